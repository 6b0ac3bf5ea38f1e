import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildCache, NO_BUILD_CACHE, openBuildCache } from '../adapters/build-cache.ts';
import { type Content, loadContent } from '../adapters/content-fs.ts';
import { type OutputFile, openOutput } from '../adapters/output-fs.ts';
import { readFiles } from '../adapters/read-files.ts';
import { loadSiteTemplates } from '../adapters/templates-fs.ts';
import {
  compareNewestFirst,
  type FeedMemo,
  filePath,
  generateSite,
  groupByTag,
  type SiteFile,
} from '../core/build-site.ts';
import { contentTypeFor } from '../core/content-type.ts';
import { isFeedPath } from '../core/feeds.ts';
import { jekyllFeedFiles } from '../core/jekyll-feeds.ts';
import { shouldMail } from '../core/mailing-policy.ts';
import type { Post, RenderedPost, SiteConfig } from '../core/model.ts';
import { toPortableHtml } from '../core/portable-html.ts';
import { printable } from '../core/printable.ts';
import { renderMarkdownReport } from '../core/render-markdown.ts';
import { postAudience } from '../core/topics.ts';
import { type MarkdownAhead, startMarkdownAhead } from './markdown-ahead.ts';
import {
  type EmailReport,
  type PreviewJob,
  type PreviewWorker,
  startCachedPreviewEmails,
  startPreviewWorker,
} from './preview-emails.ts';

export type { EmailReport } from './preview-emails.ts';

/** The repository's own `templates/` folder: site templates in `site/`, the newsletter MJML at the top. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Compiled newsletter template shapes kept between builds (see the email renderer's `cacheDir`). */
const EMAIL_SHAPE_CACHE_DIR = fileURLToPath(
  new URL('../../node_modules/.cache/herald/mjml/', import.meta.url),
);

/** Gmail clips messages above about 102 KB; the email renderer switches to an excerpt past this. */
const EMAIL_SIZE_LIMIT = 102_400;

export interface BuildOptions {
  contentDir: string;
  outDir: string;
  /** Folder holding `site/*.html` and `newsletter.mjml`. Default: the repository's `templates/`. */
  templatesDir?: string;
  /**
   * Render preview emails for at most this many of the newest mailable posts (default: all).
   * The benchmark uses it; a normal build previews every email.
   */
  maxEmails?: number;
  /**
   * Which posts get a preview email: `all` that would be mailed (default), or only those that can
   * still be mailed at `now` — not too old for `newsletter.max_age_days`, not before `since`,
   * scheduled ones included. An archive's old posts are never mailed, so `herald build` and
   * `herald check` preview only the ones that can be.
   */
  emails?: EmailSelection;
  /** The moment `emails: 'mailable'` is judged at. Required with it. */
  now?: Date;
  /** Jekyll's `--drafts`: publish `_drafts/` too (Jekyll layout). */
  drafts?: boolean;
  /**
   * Where Markdown and sanitised HTML are kept between builds (see `openBuildCache`). Default: inside the
   * compiled CLI's folder, which is replaced whenever Herald's sources or packages change, so nothing
   * stale survives an upgrade; none when the CLI runs from its TypeScript sources (tests).
   */
  cacheDir?: string;
  /** Take `updated` from each post file's last git commit (default true; off where the publish path is compared). */
  gitTimes?: boolean;
  /**
   * The worker that renders Markdown while a Jekyll blog's Liquid is rendered (see `startMarkdownAhead`).
   * Default: the compiled CLI's `markdown-worker.mjs`; none when the CLI runs from its TypeScript sources.
   */
  markdownWorker?: URL;
}

/** See {@link BuildOptions.emails}. */
export type EmailSelection = 'all' | 'mailable';

/** What a build produced, for the CLI summary, the benchmark and tests. */
export interface BuildReport {
  /** The site's baseurl, so the dev server can serve the site where production will. */
  baseurl: string;
  /** Published (non-draft) posts on the site. */
  posts: number;
  drafts: number;
  /** HTML pages in the site. */
  pages: number;
  /** RSS, Atom and JSON feed files, site-wide and per tag. */
  feeds: number;
  assets: number;
  /** Every file under `site/`. */
  siteFiles: number;
  emails: EmailReport[];
  /** Mailable posts whose preview email was not rendered because of `maxEmails`. */
  emailsSkipped: number;
  /** Posts not previewed because they can no longer be mailed (`emails: 'mailable'`). */
  emailsPast: number;
  warnings: string[];
  /** Total bytes written (0 for `check`). */
  bytes: number;
  durationMs: number;
  /**
   * Milliseconds per phase, for the benchmark: load, render (assets; Markdown is rendered as pages
   * need it), site (pages + feeds, and writing them in `build`), emails, write (the emails, then
   * swapping the output in).
   */
  phases: Record<'load' | 'render' | 'site' | 'emails' | 'write', number>;
  /** Posts whose Markdown a second core rendered while the Liquid was rendered (see `startMarkdownAhead`). */
  markdownAhead: number;
}

/** Everything a build would write: what `check` validates and `build` writes. */
export interface PreparedBuild {
  content: Content;
  /** Every site file, unless they went to the caller's `onSiteFile` as they were made (then empty). */
  siteFiles: SiteFile[];
  emailFiles: OutputFile[];
  report: BuildReport;
}

/**
 * Same result as `renderPost`, computed on first use: the Markdown when the page (or a listing's
 * excerpt) needs it, the portable (email/feed) HTML when a feed or an email does, since feeds carry
 * only the newest posts, only mailed posts get emails, and sanitising is about half the rendering
 * cost of a large archive. `release` lets the HTML go once the post's page is written (it is
 * rendered again if asked for later), so a large archive's HTML is never held whole.
 */
export function renderPostLazily(
  post: Post,
  site: SiteConfig,
  cache: BuildCache = NO_BUILD_CACHE,
  ahead?: MarkdownAhead,
): RenderedPost & {
  /** Page-hijacking tags cut from the body. */
  readonly removedTags: string[];
  release(): void;
} {
  let html: string | undefined;
  let removed: string[] | undefined;
  let portable: string | undefined;
  const render = (): string => {
    if (html === undefined) {
      // A render made now is used as it is, not read back from what the cache keeps: the removed tags'
      // JSON on the first line, then the HTML as it is. (JSON.stringify of the HTML, escaping its every
      // quote, took 350 ms of a 10,000-post build, and parsing it back most of a warm one's reading.)
      let made: { html: string; removed: string[] } | undefined;
      const kept = cache.get('markdown', post.body, () => {
        made = ahead?.take(post) ?? renderMarkdownReport(post.body);
        return `${JSON.stringify(made.removed)}\n${made.html}`;
      });
      if (made) ({ html, removed } = made);
      else {
        const lineEnd = kept.indexOf('\n');
        removed = JSON.parse(kept.slice(0, lineEnd)) as string[];
        html = kept.slice(lineEnd + 1);
      }
    }
    return html;
  };
  return {
    post,
    get html() {
      return render();
    },
    get removedTags() {
      if (removed === undefined) render();
      return removed ?? [];
    },
    get portableHtml() {
      const root = site.url + site.baseurl;
      portable ??= cache.get(`portable\0${post.url}\0${root}`, render(), () =>
        toPortableHtml(render(), post.url, root),
      );
      return portable;
    },
    release() {
      html = undefined;
    },
  };
}

/**
 * The posts whose HTML a build keeps after writing their pages: the newest `limit` of the site and
 * of each tag, which the feeds carry (and among them the posts still mailable). Any other post a
 * feed or an email asks for is rendered again.
 */
function feedCandidates(posts: readonly RenderedPost[], limit: number): Set<RenderedPost> {
  const newest = [...posts].sort((a, b) => compareNewestFirst(a.post, b.post));
  const keep = new Set(newest.slice(0, limit));
  for (const group of groupByTag(newest, (r) => r.post.tags)) {
    for (const r of group.posts.slice(0, limit)) keep.add(r);
  }
  return keep;
}

/**
 * A file of the compiled CLI (each compiled module records where it lies: see bin/compile-cli.mjs), or
 * undefined when the CLI runs from its TypeScript sources (tests, HERALD_TSX).
 */
function compiledCliFile(name: string): URL | undefined {
  const entry = (globalThis as Record<symbol, unknown>)[Symbol.for('herald.compiledCli')];
  return typeof entry === 'string' ? new URL(name, entry) : undefined;
}

/**
 * Feeds through the build cache, kept as their UTF-8 bytes: a kept feed is written as it was read, never
 * decoded and encoded again. Stored as three 4-byte lengths (RSS, Atom, JSON Feed), then the three files.
 */
function keptFeeds(cache: BuildCache): FeedMemo {
  const formats = ['rss', 'atom', 'json'] as const;
  return (key, build) => {
    const kept = cache.peekBytes('feeds', key);
    if (kept && kept.length >= 12) {
      const [rss, atom, json] = [kept.readUInt32LE(0), kept.readUInt32LE(4), kept.readUInt32LE(8)];
      if (12 + rss + atom + json === kept.length) {
        return {
          rss: kept.subarray(12, 12 + rss),
          atom: kept.subarray(12 + rss, 12 + rss + atom),
          json: kept.subarray(12 + rss + atom),
        };
      }
    }
    const built = build();
    const bytes = (file: string | Uint8Array) =>
      typeof file === 'string'
        ? Buffer.from(file)
        : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    const files = { rss: bytes(built.rss), atom: bytes(built.atom), json: bytes(built.json) };
    const header = Buffer.alloc(12);
    for (const [i, format] of formats.entries()) header.writeUInt32LE(files[format].length, i * 4);
    cache.putBytes('feeds', key, Buffer.concat([header, files.rss, files.atom, files.json]));
    return files;
  };
}

/** The build cache's default folder: see {@link BuildOptions.cacheDir}. */
function defaultCacheDir(): string | undefined {
  const url = compiledCliFile('build-cache/');
  return url === undefined ? undefined : fileURLToPath(url);
}

/** A post gets a newsletter unless it is a draft or says `email: false`. */
export function wouldBeMailed(post: Post): boolean {
  return !post.draft && post.email !== false;
}

/** Whether a post can still be mailed at `now`: mailed if published now, or scheduled for later. */
export function canStillBeMailed(post: Post, site: SiteConfig, now: Date): boolean {
  const decision = shouldMail(post, site, { now });
  return decision.mail || decision.reason === 'scheduled';
}

/**
 * Loads, renders and builds everything without writing: the site files and, for every post that
 * would be mailed, its preview email as `.html`, `.txt` and `.eml`.
 *
 * @param onSiteFile receives each site file as soon as it is made (awaited, so a writer can hold
 *   the build back), instead of the build keeping them all: 10,000 pages need not fit in memory
 *   together. It may also get files before a ContentError about colliding paths is thrown.
 * @throws ContentError for invalid content (every problem), TemplateError for a broken template.
 */
export async function prepareBuild(
  options: Omit<BuildOptions, 'outDir'>,
  onSiteFile?: (file: SiteFile) => void | Promise<void>,
): Promise<PreparedBuild> {
  // Started once a preview is not in the build cache, so the email libraries load on a second core
  // while the site is built; a build whose previews are all kept starts no thread.
  const workerUrl = compiledCliFile('preview-worker.mjs');
  let worker: PreviewWorker | undefined;
  const startWorker = () => {
    worker ??= workerUrl && startPreviewWorker(workerUrl, EMAIL_SHAPE_CACHE_DIR);
    return worker;
  };
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cache = cacheDir === undefined ? NO_BUILD_CACHE : openBuildCache(cacheDir);
  const ahead = markdownAheadOf(options.markdownWorker ?? compiledCliFile('markdown-worker.mjs'), cache);
  try {
    return await prepareWith(options, onSiteFile, startWorker, cache, ahead);
  } catch (error) {
    worker?.close();
    throw error;
  } finally {
    ahead.close();
    cache.close();
  }
}

/**
 * Markdown on a second core (see {@link startMarkdownAhead}), started when a post's Liquid is rendered
 * afresh: in a build whose Liquid comes from the build cache, the Markdown mostly does too.
 */
function markdownAheadOf(
  workerUrl: URL | undefined,
  cache: BuildCache,
): {
  memo: BuildCache['get'];
  onRendered: ((post: Post) => void) | undefined;
  ahead(): MarkdownAhead | undefined;
  close(): void;
} {
  let fresh = cache === NO_BUILD_CACHE;
  let ahead: MarkdownAhead | undefined;
  return {
    memo: (kind, input, compute) =>
      cache.get(
        kind,
        input,
        kind === 'liquid'
          ? () => {
              fresh = true;
              return compute();
            }
          : compute,
      ),
    onRendered:
      workerUrl &&
      ((post) => {
        if (!fresh) return;
        ahead ??= startMarkdownAhead(workerUrl);
        ahead.send(post);
      }),
    ahead: () => ahead,
    close: () => ahead?.close(),
  };
}

async function prepareWith(
  options: Omit<BuildOptions, 'outDir'>,
  onSiteFile: ((file: SiteFile) => void | Promise<void>) | undefined,
  startWorker: () => PreviewWorker | undefined,
  cache: BuildCache,
  markdown: ReturnType<typeof markdownAheadOf>,
): Promise<PreparedBuild> {
  const started = performance.now();
  const templatesDir = resolve(options.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  const [content, templates] = await Promise.all([
    loadContent(options.contentDir, {
      ...(options.drafts === undefined ? {} : { drafts: options.drafts }),
      ...(options.gitTimes === undefined ? {} : { gitTimes: options.gitTimes }),
      ...(cache === NO_BUILD_CACHE ? {} : { memo: markdown.memo }),
      ...(markdown.onRendered ? { onRendered: markdown.onRendered } : {}),
    }),
    loadSiteTemplates(resolve(templatesDir, 'site')),
  ]);
  const { site } = content;
  const phases = { load: performance.now() - started, render: 0, site: 0, emails: 0, write: 0 };
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };

  const published = content.posts.filter((p) => !p.draft);
  const ahead = markdown.ahead();
  const rendered = published.map((post) => renderPostLazily(post, site, cache, ahead));
  const assetBodies = await readFiles(content.assets.map((asset) => asset.file));
  const assets: SiteFile[] = content.assets.map((asset, i) => ({
    path: asset.sitePath,
    body: assetBodies[i] ?? new Uint8Array(),
    contentType: contentTypeFor(asset.sitePath),
  }));
  phases.render = lap();

  // The preview emails are chosen now and start rendering (on a worker thread when the CLI is
  // compiled) while the site is built; they are awaited after it.
  const mailable = rendered
    .filter((r) => wouldBeMailed(r.post))
    .sort((a, b) => b.post.date.getTime() - a.post.date.getTime());
  const { now } = options;
  if (options.emails === 'mailable' && !now) throw new TypeError("emails: 'mailable' needs now");
  const current =
    options.emails === 'mailable' && now
      ? mailable.filter((r) => canStillBeMailed(r.post, site, now))
      : mailable;
  const toMail = options.maxEmails === undefined ? current : current.slice(0, options.maxEmails);
  const slugCount = new Map<string, number>();
  for (const r of mailable) slugCount.set(r.post.slug, (slugCount.get(r.post.slug) ?? 0) + 1);
  const jobs: PreviewJob[] = toMail.map((r) => ({
    rendered: r,
    name: (slugCount.get(r.post.slug) ?? 0) > 1 ? r.post.id : r.post.slug,
  }));
  const previews = await startCachedPreviewEmails(
    jobs,
    { site, templatesDir, cacheDir: EMAIL_SHAPE_CACHE_DIR },
    startWorker,
    cache,
  );

  const siteFiles: SiteFile[] = [];
  const sitePaths = new Set<string>();
  const counts = { files: 0, pages: 0, feeds: 0 };
  // Streaming, a post's HTML goes once its page is written, unless a feed will want it.
  const pageOf = new Map(onSiteFile ? rendered.map((r) => [filePath(r.post.path), r]) : []);
  const keep = onSiteFile
    ? feedCandidates(rendered, Math.max(site.feed.limit, content.jekyll?.feed.postsLimit ?? 0))
    : new Set();
  const emit = async (file: SiteFile) => {
    counts.files++;
    if (file.path.endsWith('.html')) counts.pages++;
    if (isFeedPath(file.path)) counts.feeds++;
    if (!onSiteFile) {
      siteFiles.push(file);
      return;
    }
    await onSiteFile(file);
    const page = pageOf.get(file.path);
    if (page && !keep.has(page)) page.release();
  };
  try {
    for (const file of generateSite(
      site,
      rendered,
      templates,
      assets,
      cache === NO_BUILD_CACHE ? undefined : keptFeeds(cache),
    )) {
      sitePaths.add(file.path);
      await emit(file);
    }
    if (content.jekyll) {
      for (const file of jekyllFeedFiles(site, rendered, content.jekyll.feed, sitePaths)) await emit(file);
    }
  } catch (error) {
    previews.cancel();
    throw error;
  }
  phases.site = lap();
  // Every page is written: what the worker has not delivered, the main thread has rendered.
  markdown.close();

  const emails: EmailReport[] = [];
  const emailFiles: OutputFile[] = [];
  for (const preview of await previews.wait()) {
    emails.push(preview.report);
    emailFiles.push(...preview.files);
  }

  phases.emails = lap();

  const warnings = [...(content.warnings ?? [])];
  // The loader already warns about a Jekyll site without one; say it once.
  if (!site.newsletter.postalAddress.trim() && !warnings.some((w) => /postal.address/i.test(w))) {
    warnings.push(
      'site config: newsletter.postal_address is empty; every newsletter must show the sender’s postal address (CAN-SPAM)',
    );
  }
  for (const r of rendered) {
    for (const tag of r.removedTags) {
      const at = r.post.body.indexOf(tag);
      const line = at < 0 ? '' : `:${r.post.body.slice(0, at).split('\n').length + r.post.bodyLine - 1}`;
      warnings.push(
        `${r.post.sourcePath}${line}: ${printable(tag)} is removed from the site page (it would redirect readers or re-point its links)`,
      );
    }
  }
  const topics = site.newsletter.topics ?? [];
  for (const post of topics.length > 0 ? published : []) {
    const { unknown } = postAudience(post, topics);
    if (unknown.length > 0) {
      warnings.push(
        `${post.sourcePath}: topics: unknown topic ${unknown.map((id) => `"${id}"`).join(', ')} (site.yml has ${topics.map((t) => t.id).join(', ')}); left out of the audience`,
      );
    }
  }
  for (const e of emails.filter((x) => x.excerpted)) {
    warnings.push(
      `email for ${e.postId} is over ${EMAIL_SIZE_LIMIT / 1024} KB in full, so it is sent as an excerpt (${e.htmlBytes} bytes) with a link to the full recap`,
    );
  }

  const report: BuildReport = {
    baseurl: site.baseurl,
    posts: published.length,
    drafts: content.posts.length - published.length,
    pages: counts.pages,
    feeds: counts.feeds,
    assets: assets.length,
    siteFiles: counts.files,
    emails,
    emailsSkipped: current.length - toMail.length,
    emailsPast: mailable.length - current.length,
    warnings,
    bytes: 0,
    durationMs: performance.now() - started,
    phases,
    markdownAhead: ahead?.taken ?? 0,
  };
  return { content, siteFiles, emailFiles, report };
}

/**
 * `herald build`: builds the site into `OUT/site/` and the preview emails into `OUT/email/`,
 * replacing OUT only when everything succeeded (a failed build leaves the previous output alone).
 */
export async function runBuild(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  // Site files are written as they are made (the `site` phase includes their writing).
  const output = openOutput(options.outDir);
  try {
    const prepared = await prepareBuild(options, (f) =>
      output.write({ path: `site${f.path}`, body: f.body }),
    );
    const writeStarted = performance.now();
    for (const file of prepared.emailFiles) await output.write(file);
    const written = await output.commit();
    const phases = { ...prepared.report.phases, write: performance.now() - writeStarted };
    return { ...prepared.report, bytes: written.bytes, durationMs: performance.now() - started, phases };
  } catch (error) {
    await output.abort();
    throw error;
  }
}
