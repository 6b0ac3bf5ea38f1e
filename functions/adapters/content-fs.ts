import type { Dirent } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ContentError, type ContentProblem, formatProblem } from '../core/errors.ts';
import { findCollisions } from '../core/find-collisions.ts';
import { type JekyllSettings, readJekyllSettings } from '../core/jekyll-config.ts';
import { jekyllPageUrl } from '../core/jekyll-page-url.ts';
import type { JekyllPostFile } from '../core/jekyll-site.ts';
import type { Post, SiteConfig } from '../core/model.ts';
import { parsePost } from '../core/parse-post.ts';
import { parseSiteConfig } from '../core/site-config.ts';
import type { TextMemo } from '../core/text-memo.ts';
import { lastCommitTimes } from './git-times.ts';
import { readFiles } from './read-files.ts';
import { createFsSiteFiles } from './site-files-fs.ts';

/** A static file copied to the site as is. */
export interface ContentAsset {
  /** Path on the site without baseurl, e.g. `/assets/recaps/stage.png`. */
  sitePath: string;
  /** Absolute path of the file on disk. */
  file: string;
}

/** Everything a content folder holds, validated. */
export interface Content {
  /** Absolute path of the content folder. */
  root: string;
  /** `herald`: site.yml + posts/ + assets/; `jekyll`: _config.yml + _posts/ + static files. */
  layout: 'herald' | 'jekyll';
  site: SiteConfig;
  /** All posts, drafts included, newest first (ties by file path). */
  posts: Post[];
  assets: ContentAsset[];
  /** Things `check` should mention that do not stop a build, e.g. a Jekyll site without a postal address. */
  warnings?: string[];
  /** Jekyll layout: the settings Herald follows (defaults, jekyll-feed's `feed:`, …). */
  jekyll?: JekyllSettings;
}

const HERALD_CONFIG = 'site.yml';
const JEKYLL_CONFIG = '_config.yml';
const MARKDOWN = /\.(md|markdown)$/i;
// Jekyll's own default excludes that can appear in a source folder without a leading dot or underscore.
const JEKYLL_EXCLUDES = [/^Gemfile/, /\.gemspec$/, /^node_modules$/, /^vendor$/, /^gemfiles$/];

// Used only to keep parsing posts when site config is broken, so one run reports every problem.
const FALLBACK_SITE: SiteConfig = {
  title: 'Unknown',
  description: '',
  url: 'https://site.invalid',
  baseurl: '',
  language: 'en',
  timezone: 'UTC',
  permalink: 'date',
  feed: { limit: 20 },
  newsletter: {
    fromAddress: 'newsletter@site.invalid',
    fromName: 'Unknown',
    postalAddress: '',
    subscribeAction: '/api/subscribe',
    maxAgeDays: 7,
  },
};

/**
 * Loads a content folder in Herald's layout (`site.yml`, `posts/`, `assets/`) or Jekyll's (`_config.yml`,
 * `_posts/` and `<category>/_posts/`, static files), detected by which config file exists.
 *
 * Every file is read and checked before failing, so an author fixes all problems in one go; nothing is
 * skipped silently: a non-Markdown file among posts is a problem too (dotfiles and README.md excepted).
 * Problem and `Post.sourcePath` file names are `dir` joined with the file's path inside it.
 *
 * @throws {ContentError} with all problems found across all files.
 */
export async function loadContent(dir: string, options: LoadOptions = {}): Promise<Content> {
  const root = resolve(dir);
  const hasHerald = await exists(join(root, HERALD_CONFIG));
  const hasJekyll = await exists(join(root, JEKYLL_CONFIG));
  if (hasHerald === hasJekyll) {
    const message = hasHerald
      ? `both ${HERALD_CONFIG} (Herald) and ${JEKYLL_CONFIG} (Jekyll) found; keep one so the layout is clear`
      : `no ${HERALD_CONFIG} (Herald layout) or ${JEKYLL_CONFIG} (Jekyll layout) found`;
    throw new ContentError([{ file: dir, message }]);
  }
  const layout = hasHerald ? 'herald' : 'jekyll';
  const configName = hasHerald ? HERALD_CONFIG : JEKYLL_CONFIG;
  const configFile = join(dir, configName);
  const configText = await readFile(join(root, configName), 'utf8');

  const problems: ContentProblem[] = [];
  const warnings: string[] = [];
  let site = FALLBACK_SITE;
  let siteOk = true;
  try {
    site = parseSiteConfig(configText, configFile, layout);
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    problems.push(...error.problems);
    siteOk = false;
  }

  const jekyll = layout === 'jekyll' ? readJekyllSettings(configText) : undefined;
  if (jekyll && options.drafts) jekyll.showDrafts = true;
  const found =
    layout === 'herald' ? await scanHerald(root) : await scanJekyll(root, jekyllExcludes(configText));
  let posts: Post[] = [];
  for (const rel of found.notPosts) {
    problems.push({
      file: join(dir, rel),
      line: 1,
      message: 'not a Markdown post; posts are YYYY-MM-DD-slug.md or .markdown (move other files to assets)',
    });
  }
  const sources = await readFiles(
    found.posts.map((rel) => join(root, rel)),
    'utf8',
  );
  if (jekyll) {
    // Jekyll's own rules (defaults, drafts, future, unpublished, Liquid) live in core; this only reads files.
    try {
      posts = await loadJekyllFolder(root, dir, found, sources, site, jekyll, {
        now: options.now ?? new Date(),
        ...(options.memo ? { memo: options.memo } : {}),
        ...(options.onRendered ? { onRendered: options.onRendered } : {}),
      });
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      problems.push(...error.problems);
    }
  } else {
    found.posts.forEach((rel, i) => {
      try {
        posts.push(
          parsePost(
            {
              path: join(dir, rel),
              source: sources[i] ?? '',
              root: join(dir),
              ...(options.memo ? { memo: options.memo } : {}),
            },
            site,
          ),
        );
      } catch (error) {
        if (!(error instanceof ContentError)) throw error;
        problems.push(...error.problems);
      }
    });
  }
  if (options.gitTimes !== false) posts = await withCommitTimes(posts, root, dir);
  if (siteOk) problems.push(...findCollisions(posts));
  if (problems.length > 0) throw new ContentError(problems);

  if (layout === 'jekyll' && site.newsletter.postalAddress === '') {
    warnings.push(
      formatProblem({
        file: configFile,
        field: 'herald.newsletter.postal_address',
        message: 'not set; emails must carry the sender postal address, so the newsletter cannot be sent',
      }),
    );
  }
  for (const rel of found.pages) {
    warnings.push(
      formatProblem({ file: join(dir, rel), message: 'page with front matter is not published by Herald' }),
    );
  }

  posts.sort((a, b) => b.date.getTime() - a.date.getTime() || a.sourcePath.localeCompare(b.sourcePath));
  const assets = found.assets.map((rel) => ({ sitePath: sitePathOf(rel), file: join(root, rel) }));
  return {
    root,
    layout,
    site,
    posts,
    assets,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(jekyll ? { jekyll } : {}),
  };
}

/** How to load a content folder. */
export interface LoadOptions {
  /** Jekyll's `--drafts`: publish `_drafts/` too. */
  drafts?: boolean;
  /** The build's instant (Jekyll's `site.time`; later posts are future posts). Default: the clock. */
  now?: Date;
  /** Take a post's `updated` from its file's last git commit (default true when the folder is in git). */
  gitTimes?: boolean;
  /** Keeps parsed front matter between builds (the CLI's build cache). */
  memo?: TextMemo;
  /** A Jekyll site's posts whose Liquid was rendered, each as soon as it is (see `loadJekyllPosts`). */
  onRendered?: (post: Post) => void;
}

async function loadJekyllFolder(
  root: string,
  dir: string,
  found: Scan,
  sources: string[],
  site: SiteConfig,
  settings: JekyllSettings,
  { now, memo, onRendered }: { now: Date; memo?: TextMemo; onRendered?: (post: Post) => void },
): Promise<Post[]> {
  const toPosix = (rel: string) => rel.split(sep).join('/');
  const files: JekyllPostFile[] = found.posts.map((rel, i) => ({
    relativePath: toPosix(rel),
    path: join(dir, rel),
    source: sources[i] ?? '',
  }));
  if (settings.showDrafts) {
    for (const rel of await walk(root, '_drafts', (name) => name.startsWith('.'))) {
      if (!isPostCandidate(rel)) continue;
      const file = join(root, rel);
      const [source, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      files.push({ relativePath: toPosix(rel), path: join(dir, rel), source, modified: info.mtime });
    }
  }
  const pageSources = await readFiles(
    found.pages.map((rel) => join(root, rel)),
    'utf8',
  );
  const links = found.pages.map((rel, i) => ({
    relativePath: toPosix(rel),
    url: jekyllPageUrl(toPosix(rel), pageSources[i] ?? ''),
  }));
  // Loaded only for a Jekyll site, so liquidjs costs a Herald-layout build nothing.
  const { loadJekyllPosts } = await import('../core/jekyll-site.ts');
  const { posts } = await loadJekyllPosts(files, {
    site,
    settings,
    siteFiles: createFsSiteFiles(root),
    now,
    root: join(dir),
    links,
    ...(memo ? { memo } : {}),
    ...(onRendered ? { onRendered } : {}),
  });
  return posts;
}

/** A post without `last_modified_at`/`updated` is updated when its file was last committed (if later than its date). */
async function withCommitTimes(posts: Post[], root: string, dir: string): Promise<Post[]> {
  const times = await lastCommitTimes(root);
  if (times.size === 0) return posts;
  return posts.map((post) => {
    if (post.data.last_modified_at != null || post.data.updated != null) return post;
    const rel = relative(resolve(dir), resolve(post.sourcePath)).split(sep).join('/');
    const committed = times.get(rel);
    return committed && committed.getTime() > post.date.getTime() ? { ...post, updated: committed } : post;
  });
}

interface Scan {
  /** Paths relative to the content root. */
  posts: string[];
  notPosts: string[];
  assets: string[];
  /** Jekyll pages (files with front matter outside _posts), which Herald does not render. */
  pages: string[];
}

async function scanHerald(root: string): Promise<Scan> {
  const scan: Scan = { posts: [], notPosts: [], assets: [], pages: [] };
  for (const rel of await walk(root, 'posts', (name) => name.startsWith('.'))) {
    if (isReadme(rel)) continue;
    if (isPostCandidate(rel)) scan.posts.push(rel);
    else scan.notPosts.push(rel);
  }
  scan.assets = await walk(root, 'assets', (name) => name.startsWith('.'));
  return scan;
}

async function scanJekyll(root: string, excluded: (rel: string) => boolean): Promise<Scan> {
  const scan: Scan = { posts: [], notPosts: [], assets: [], pages: [] };
  const visit = async (relDir: string): Promise<void> => {
    for (const entry of await entries(join(root, relDir))) {
      const rel = relDir === '' ? entry.name : join(relDir, entry.name);
      if (entry.name.startsWith('.') || excluded(rel)) continue;
      const isDir = await isDirectory(root, rel, entry);
      if (isDir && entry.name === '_posts') {
        for (const post of await walk(root, rel, (name) => name.startsWith('.'))) {
          if (isReadme(post)) continue;
          if (isPostCandidate(post)) scan.posts.push(post);
          else scan.notPosts.push(post);
        }
      } else if (entry.name.startsWith('_')) {
        // _layouts, _includes, _data, _sass, _site, _drafts: Jekyll's machinery, not published content.
      } else if (isDir) {
        await visit(rel);
      } else if (await startsWithFrontMatter(join(root, rel))) {
        scan.pages.push(rel);
      } else {
        scan.assets.push(rel);
      }
    }
  };
  await visit('');
  return scan;
}

/** Files under `root/start`, relative to `root`, sorted; `skip` prunes files and folders by name. */
async function walk(root: string, start: string, skip: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const visit = async (relDir: string): Promise<void> => {
    for (const entry of await entries(join(root, relDir))) {
      if (skip(entry.name)) continue;
      const rel = join(relDir, entry.name);
      if (await isDirectory(root, rel, entry)) await visit(rel);
      else out.push(rel);
    }
  };
  if (await exists(join(root, start))) await visit(start);
  return out;
}

async function entries(dir: string): Promise<Dirent[]> {
  const list = await readdir(dir, { withFileTypes: true });
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function isDirectory(root: string, rel: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  return (await stat(join(root, rel))).isDirectory();
}

async function startsWithFrontMatter(file: string): Promise<boolean> {
  const head = (await readFile(file)).subarray(0, 8).toString('utf8');
  return /^(\uFEFF)?---\s/.test(head);
}

function jekyllExcludes(configText: string): (rel: string) => boolean {
  let configured: string[] = [];
  try {
    const raw = (parseYaml(configText) as { exclude?: unknown } | null)?.exclude;
    if (Array.isArray(raw)) configured = raw.filter((e): e is string => typeof e === 'string');
  } catch {
    // parseSiteConfig reports the broken YAML with its line; here we only lose the extra excludes.
  }
  const patterns = configured.map((e) => globToRegExp(e.replace(/^\/+|\/+$/g, '')));
  return (rel) => {
    const posix = rel.split(sep).join('/');
    const name = posix.slice(posix.lastIndexOf('/') + 1);
    if (posix === JEKYLL_CONFIG || JEKYLL_EXCLUDES.some((re) => re.test(name))) return true;
    return patterns.some((re) => re.test(posix));
  };
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  // Like Jekyll, an excluded folder excludes everything below it.
  return new RegExp(`^${body}(/.*)?$`);
}

function isPostCandidate(rel: string): boolean {
  return MARKDOWN.test(rel);
}

function isReadme(rel: string): boolean {
  return /(^|[/\\])README\.md$/i.test(rel);
}

/** Herald's `assets/x.png` and Jekyll's `assets/x.png` are both published at `/assets/x.png`. */
function sitePathOf(rel: string): string {
  return `/${rel.split(sep).join('/')}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
