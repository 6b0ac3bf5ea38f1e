import { ContentError, type ContentProblem } from './errors.ts';
import { frontMatterDefaults, type JekyllSettings } from './jekyll-config.ts';
import { createJekyllLiquid, hasLiquid, type JekyllLiquid, type LiquidPost } from './liquid/render-liquid.ts';
import { readSiteData } from './liquid/site-data.ts';
import type { SiteFiles } from './liquid/site-files.ts';
import type { Post, SiteConfig } from './model.ts';
import { parsePost } from './parse-post.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { TextMemo } from './text-memo.ts';

/** How many of the other posts the publish path reads at once. */
const READ_BATCH = 32;

/** One post file of a Jekyll site. */
export interface JekyllPostFile {
  /** Path inside the site folder, `/`-separated: `_posts/2026-01-02-x.md`, `news/_posts/…`, `_drafts/x.md`. */
  relativePath: string;
  /** Path used in messages and as `Post.sourcePath` (e.g. `../blog/_posts/2026-01-02-x.md`). */
  path: string;
  source: string;
  /** For `_drafts/`: the file's modification time, a draft's date unless front matter gives one. */
  modified?: Date;
}

/** What {@link loadJekyllPosts} needs besides the files. */
export interface JekyllLoadOptions {
  site: SiteConfig;
  settings: JekyllSettings;
  /** `_includes/`, `_data/` and the posts' folders, for Liquid. */
  siteFiles: SiteFiles;
  /** The build's instant: `site.time`, and what counts as a future post. */
  now: Date;
  /** The site folder as given (for categories from `<category>/_posts/`). */
  root?: string;
  /** Pages `{% link %}` may name, with their URL. */
  links?: readonly { relativePath: string; url: string }[];
  /** Keeps parsed front matter and rendered Liquid between builds (see {@link TextMemo}). */
  memo?: TextMemo;
  /**
   * Called with each post whose body had Liquid, as soon as it is rendered (oldest first), so a caller
   * can start on its Markdown while the other posts' Liquid is rendered.
   */
  onRendered?: (post: Post) => void;
}

/** Posts of a Jekyll site as Jekyll would publish them. */
export interface JekyllPosts {
  /** Posts Jekyll would write, Liquid already rendered into their bodies. */
  posts: Post[];
  /** Posts left out: future-dated (without `future: true`), or `published: false` (without `unpublished`). */
  skipped: { path: string; reason: 'future' | 'unpublished' }[];
}

/**
 * Parses a Jekyll site's posts the way Jekyll reads them: front matter `defaults` by scope, `_drafts/`
 * (dated by their file time) only when `show_drafts` is on, `published: false` only with `unpublished`,
 * posts dated after `now` only with `future`; then renders each body's Liquid before Markdown, and takes a
 * post's summary from its excerpt when `excerpt_separator` is set explicitly.
 *
 * @throws {ContentError} with every problem: front matter, dates, data files, Liquid (file and line).
 */
export async function loadJekyllPosts(
  files: readonly JekyllPostFile[],
  options: JekyllLoadOptions,
): Promise<JekyllPosts> {
  const { site, settings } = options;
  const problems: ContentProblem[] = [];
  const entries: LiquidPost[] = [];
  const skipped: JekyllPosts['skipped'] = [];
  for (const file of files) {
    const isDraft = /(^|\/)_drafts\//.test(file.relativePath);
    if (isDraft && !settings.showDrafts) continue;
    let post: Post;
    try {
      post = parsePost(
        {
          path: file.path,
          source: file.source,
          ...(options.root === undefined ? {} : { root: options.root }),
          defaults: frontMatterDefaults(settings.defaults, file.relativePath, isDraft ? 'drafts' : 'posts'),
          ...(isDraft ? { draftDate: file.modified ?? options.now } : {}),
          ...(options.memo ? { memo: options.memo } : {}),
        },
        site,
      );
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    if (post.data.published === false) {
      if (!settings.unpublished) {
        skipped.push({ path: file.path, reason: 'unpublished' });
        continue;
      }
      post = { ...post, draft: post.data.draft === true };
    }
    if (isDraft) post = { ...post, draft: false };
    if (!settings.future && post.date.getTime() > options.now.getTime()) {
      skipped.push({ path: file.path, reason: 'future' });
      continue;
    }
    // The body is the end of the file: what comes before it is the front matter.
    const frontMatter = file.source.endsWith(post.body)
      ? file.source.slice(0, file.source.length - post.body.length)
      : undefined;
    entries.push({
      post,
      relativePath: file.relativePath,
      ...(frontMatter === undefined ? {} : { frontMatter }),
    });
  }
  const rendered = await renderLiquid(entries, options, problems);
  if (problems.length > 0) throw new ContentError(problems);
  return { posts: rendered, skipped };
}

/**
 * Finishes one post on the publish path, where only that post was parsed: `unpublished` applied, and its
 * Liquid rendered with the other posts (for `site.posts` and `post_url`) read through `siteFiles`.
 *
 * @throws {ContentError} for a Liquid problem in the post (another post's problems are not this one's).
 */
export async function renderJekyllPost(
  parsed: Post,
  relativePath: string,
  options: JekyllLoadOptions,
): Promise<Post> {
  const [rendered] = await renderJekyllPosts([{ post: parsed, relativePath }], options);
  if (!rendered) throw new ContentError([]);
  return rendered.post;
}

/** A post finished by {@link renderJekyllPosts}. */
export interface RenderedJekyllPost {
  post: Post;
  /**
   * Its Liquid reads what other posts change (`site.posts`, `site.tags`, `site.categories`,
   * `page.next`/`previous`): it must be rendered again when another post is published or removed.
   */
  listsPosts: boolean;
}

/**
 * {@link renderJekyllPost} for several posts at once (the publish path's refresh of posts that list
 * others): the other posts are read once and one Liquid environment renders them all. Results are in the
 * order of `targets`.
 *
 * @throws {ContentError} for a Liquid problem in any of the targets.
 */
export async function renderJekyllPosts(
  targets: readonly { post: Post; relativePath: string }[],
  options: JekyllLoadOptions,
): Promise<RenderedJekyllPost[]> {
  const own = targets.map(({ post, relativePath }) => ({
    post:
      post.data.published === false && options.settings.unpublished
        ? { ...post, draft: post.data.draft === true }
        : post,
    relativePath,
  }));
  if (!own.some((e) => e.post.data.render_with_liquid !== false && hasLiquid(e.post.body))) {
    return own.map((e) => ({ post: withExcerpt(e.post, options.settings), listsPosts: false }));
  }
  const skip = new Set(own.map((e) => e.relativePath));
  const entries: LiquidPost[] = [...own];
  const keys = (await options.siteFiles.list('')).filter(
    (key) => !skip.has(key) && /(^|\/)_posts\/.+\.(md|markdown)$/i.test(key),
  );
  // The other posts are read a batch at a time: one request after another would wait on the bucket's
  // latency a thousand times on a large blog.
  const sources: (string | undefined)[] = [];
  for (let i = 0; i < keys.length; i += READ_BATCH) {
    sources.push(
      ...(await Promise.all(keys.slice(i, i + READ_BATCH).map((key) => options.siteFiles.read(key)))),
    );
  }
  for (const [i, key] of keys.entries()) {
    const source = sources[i];
    if (source === undefined) continue;
    try {
      const other = parsePost(
        {
          path: key,
          source,
          defaults: frontMatterDefaults(options.settings.defaults, key, 'posts'),
        },
        options.site,
      );
      if (other.data.published === false && !options.settings.unpublished) continue;
      if (!options.settings.future && other.date.getTime() > options.now.getTime()) continue;
      entries.push({ post: other, relativePath: key });
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
    }
  }
  const problems: ContentProblem[] = [];
  const { posts, liquid } = await renderLiquidWith(
    entries,
    options,
    problems,
    own.map((e) => e.post),
  );
  if (problems.length > 0) throw new ContentError(problems);
  const out: RenderedJekyllPost[] = [];
  for (const entry of own) {
    const post = posts.get(entry.post);
    if (!post) throw new ContentError([]);
    out.push({ post, listsPosts: liquid ? await liquid.listsPosts(entry) : false });
  }
  return out;
}

async function renderLiquid(
  entries: readonly LiquidPost[],
  options: JekyllLoadOptions,
  problems: ContentProblem[],
): Promise<Post[]> {
  return [...(await renderLiquidWith(entries, options, problems)).posts.values()];
}

/** Renders `only` (default: every entry), keyed by the post given; `liquid` is the environment used, if any. */
async function renderLiquidWith(
  entries: readonly LiquidPost[],
  options: JekyllLoadOptions,
  problems: ContentProblem[],
  only?: readonly Post[],
): Promise<{ posts: Map<Post, Post>; liquid?: JekyllLiquid }> {
  const needsLiquid = entries.some((e) => hasLiquid(e.post.body));
  if (!needsLiquid) {
    const chosen = only ?? entries.map((e) => e.post);
    return { posts: new Map(chosen.map((p) => [p, withExcerpt(p, options.settings)])) };
  }
  let data: Record<string, unknown> = {};
  try {
    data = await readSiteData(options.siteFiles);
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    problems.push(...error.problems);
  }
  const liquid = createJekyllLiquid({
    site: options.site,
    config: options.settings.config,
    data,
    posts: entries,
    files: options.siteFiles,
    time: options.now,
    excerptSeparator: options.settings.excerptSeparator,
    ...(options.links ? { links: options.links } : {}),
    ...(options.memo ? { memo: options.memo } : {}),
  });
  const out = new Map<Post, Post>();
  // Oldest first, as Jekyll renders them, so an excerpt of an earlier post is already rendered.
  const order = [...entries].sort((a, b) => a.post.date.getTime() - b.post.date.getTime());
  const wanted = only ? new Set(only) : undefined;
  for (const entry of order) {
    if (wanted && !wanted.has(entry.post)) continue;
    try {
      const body = await liquid.render(entry);
      const post = withExcerpt({ ...entry.post, body }, options.settings);
      out.set(entry.post, post);
      if (body !== entry.post.body) options.onRendered?.(post);
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      problems.push(...error.problems);
    }
  }
  return { posts: out, liquid };
}

/** A post without summary takes the text before an explicitly set `excerpt_separator` as its summary. */
function withExcerpt(post: Post, settings: JekyllSettings): Post {
  if (post.summary !== undefined) return post;
  const own = post.data.excerpt_separator;
  const explicit =
    typeof own === 'string'
      ? own
      : 'excerpt_separator' in settings.config
        ? settings.excerptSeparator
        : undefined;
  if (explicit === undefined || explicit === '') return post;
  const at = post.body.indexOf(explicit);
  if (at === -1) return post;
  const text = renderMarkdown(post.body.slice(0, at))
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? post : { ...post, summary: decodeEntities(text) };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
