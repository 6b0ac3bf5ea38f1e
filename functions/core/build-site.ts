import { DateTime } from 'luxon';
import Mustache from 'mustache';
import { buildFeedBytes, buildFeeds, type FeedSet, feedsKey } from './build-feeds.ts';
import { ContentError, type ContentProblem } from './errors.ts';
import { escapeHtml } from './escape-html.ts';
import { FEEDS, feedPaths } from './feeds.ts';
import type { Author, RenderedPost, SiteConfig } from './model.ts';
import { buildSitemap, type SitemapEntry } from './sitemap.ts';
import { tagSlug } from './tag-slug.ts';
import { zoneNamed } from './zones.ts';

/** One file of the static site. */
export interface SiteFile {
  /** Path inside the site, without baseurl, e.g. `/index.html` or `/2026/09/24/x/index.html`. */
  path: string;
  body: string | Uint8Array;
  contentType: string;
}

/** The user-editable page templates (Mustache) plus the two static files every site ships. */
export interface SiteTemplates {
  /** Page frame; receives the page's HTML as `{{{content}}}`. */
  layout: string;
  index: string;
  post: string;
  tag: string;
  tags: string;
  subscribe: string;
  notFound: string;
  /** Copied verbatim to `/style.css`. */
  style: string;
  /** Copied verbatim to `/subscribe.js`. */
  subscribeScript: string;
}

const HTML = 'text/html; charset=utf-8';

// Mustache's default escaper also encodes `/`, `=` and backticks, which mangles every URL in the
// markup for no safety gain inside quoted attributes and text: `escapeHtml` leaves them alone.
const RENDER_OPTIONS = { escape: escapeHtml };
const writer = new Mustache.Writer();
/** Parsed templates, by their text: a few per site, kept for the process (`herald dev` edits add some). */
const parsedTemplates = new Map<string, string[][]>();

/**
 * `Mustache.render` of a template parsed once. Mustache looks every render's template up in its cache
 * under a key made afresh (the template's whole text plus its tags), which hashes that text each time:
 * about 70 ms of a 10,000-post build, for two renders a page. A Map keyed by the template string itself
 * hashes it once (V8 keeps a string's hash).
 */
function render(template: string, view: object): string {
  let tokens = parsedTemplates.get(template);
  if (!tokens) {
    if (parsedTemplates.size >= 64) parsedTemplates.clear();
    tokens = writer.parse(template) as string[][];
    parsedTemplates.set(template, tokens);
  }
  return writer.renderTokens(tokens, new Mustache.Context(view), undefined, template, RENDER_OPTIONS);
}

/** A link to a site path as the browser needs it: with the baseurl. */
interface Link {
  title: string;
  href: string;
}

interface FeedLink {
  type: string;
  title: string;
  href: string;
}

/**
 * What the pages need to know about a post without its body: listings (index, tag pages), the
 * sitemap and the neighbours' links. The publish handler keeps one per post in its index, so it
 * can re-render a listing without reading every post again.
 */
export interface PostListing {
  title: string;
  /** Path inside the site, without baseurl. */
  path: string;
  url: string;
  date: Date;
  updated: Date;
  /** Text under the title in listings and the page description: `summary`, else the first paragraph. */
  excerpt: string;
  authors: readonly Author[];
  tags: readonly string[];
  image?: string;
}

/** Posts sharing one tag page: tags that differ only in case or punctuation share a slug. */
export interface TagGroup<T> {
  /** The first spelling met in newest-first order. */
  name: string;
  slug: string;
  posts: T[];
}

/** Derives a post's {@link PostListing} from its rendered form. */
export function postListing(rendered: RenderedPost): PostListing {
  const { post } = rendered;
  return {
    title: post.title,
    path: post.path,
    url: post.url,
    date: post.date,
    updated: post.updated,
    excerpt: post.summary ?? firstParagraphText(rendered.html),
    authors: post.authors,
    tags: post.tags,
    ...(post.image === undefined ? {} : { image: post.image }),
  };
}

/** The site's post order: newest first, ties by path so the output never depends on the caller's order. */
export function compareNewestFirst(a: { date: Date; path: string }, b: { date: Date; path: string }): number {
  const byDate = b.date.getTime() - a.date.getTime();
  if (byDate !== 0) return byDate;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Groups posts (already newest first) by tag slug, so "KV Cache" and "kv-cache" share one page; the
 * page shows the first spelling met. Groups are sorted by slug for stable output.
 */
export function groupByTag<T>(posts: readonly T[], tagsOf: (post: T) => readonly string[]): TagGroup<T>[] {
  const groups = new Map<string, TagGroup<T>>();
  for (const item of posts) {
    const seenInPost = new Set<string>();
    for (const name of tagsOf(item)) {
      const slug = tagSlug(name);
      if (!slug || seenInPost.has(slug)) continue;
      seenInPost.add(slug);
      const group = groups.get(slug);
      if (group) group.posts.push(item);
      else groups.set(slug, { name, slug, posts: [item] });
    }
  }
  return [...groups.values()].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

/** The directory of a tag's page and feeds, e.g. `/tags/kv-cache/`. */
export function tagDir(slug: string): string {
  return `/tags/${slug}/`;
}

/** The site file a page path is served from: a path ending in `/` is answered with its index.html. */
export function filePath(urlPath: string): string {
  return urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath;
}

/**
 * Renders the site one page at a time. {@link buildSite} is built from it, and the publish handler
 * uses it to re-render only the pages a change touches; both therefore write the same bytes.
 * Every listing argument must be published posts only, newest first ({@link compareNewestFirst}).
 */
export interface SitePages {
  /** `/index.html`: every published post. */
  index(published: readonly PostListing[]): SiteFile;
  /** A post's own page, linking to its newer and older neighbours in the site order. */
  post(post: PostListing, html: string, newer?: PostListing, older?: PostListing): SiteFile;
  /** `/tags/<slug>/index.html`. */
  tag(group: TagGroup<PostListing>): SiteFile;
  /** `/tags/index.html`. */
  tags(groups: readonly TagGroup<PostListing>[]): SiteFile;
  /** `/subscribe.html`. */
  subscribe(): SiteFile;
  /** `/404.html`. */
  notFound(): SiteFile;
  /**
   * RSS, Atom and JSON feeds in `dir` (`/` or a tag's directory). `posts` must include at least the
   * newest `site.feed.limit` posts of the scope; older ones are ignored.
   */
  feeds(dir: string, posts: RenderedPost[], tag?: string): SiteFile[];
  /** `/sitemap.xml`. */
  sitemap(published: readonly PostListing[], groups: readonly TagGroup<PostListing>[]): SiteFile;
  /** `/style.css` and `/subscribe.js`, copied from the templates. */
  statics(): SiteFile[];
}

/** A feed file's content: text as built, or the UTF-8 bytes a cache kept of it. */
export type FeedFiles = Record<keyof FeedSet, string | Uint8Array>;

/**
 * Keeps built feeds between builds (the CLI's build cache): the feeds kept for `key` (everything
 * `buildFeeds` reads, see `feedsKey`), or `build()`'s, which are then kept.
 */
export type FeedMemo = (key: string, build: () => FeedFiles) => FeedFiles;

/** Builds the page renderer for a site and its templates. Pure, like {@link buildSite}. */
export function createSitePages(site: SiteConfig, templates: SiteTemplates, feedMemo?: FeedMemo): SitePages {
  const feedSet = (posts: RenderedPost[], options: { tag?: string }): FeedFiles =>
    feedMemo
      ? feedMemo(feedsKey(site, posts, options), () => buildFeedBytes(site, posts, options))
      : buildFeeds(site, posts, options);
  const base = site.baseurl;
  const root = `${site.url}${base}`;
  const locale = usableLocale(site.language);
  const link = (path: string) => `${base}${path}`;
  const absolute = (path: string) => `${root}${path}`;

  const sitePaths = feedPaths('/');
  const siteFeeds: FeedLink[] = FEEDS.map((f) => ({
    type: f.linkType,
    title: `${site.title} (${f.label})`,
    href: link(sitePaths[f.format]),
  }));
  const nav = {
    homeHref: link('/'),
    tagsHref: link('/tags/'),
    subscribeHref: link('/subscribe.html'),
    rssHref: link(sitePaths.rss),
    atomHref: link(sitePaths.atom),
    jsonFeedHref: link(sitePaths.json),
    styleHref: link('/style.css'),
  };

  const page = (options: {
    title: string;
    description: string;
    path: string;
    body: string;
    feeds?: FeedLink[];
    image?: string | undefined;
    type?: 'website' | 'article';
    script?: boolean;
    noindex?: boolean;
  }): string =>
    render(templates.layout, {
      lang: site.language,
      siteTitle: site.title,
      siteDescription: site.description,
      pageTitle: options.title === site.title ? site.title : `${options.title} · ${site.title}`,
      description: options.description,
      canonical: options.noindex ? undefined : absolute(options.path),
      ogType: options.type ?? 'website',
      image: options.image,
      feeds: [...siteFeeds, ...(options.feeds ?? [])],
      scriptHref: options.script ? link('/subscribe.js') : undefined,
      noindex: options.noindex === true,
      content: options.body,
      ...nav,
    });

  const dateFormat = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: site.timezone,
  });
  // A post appears on the index, its own page and each of its tag pages: build its view once.
  const summaries = new WeakMap<PostListing, Link & Record<string, unknown>>();
  const summaryOf = (post: PostListing): Link & Record<string, unknown> => {
    const cached = summaries.get(post);
    if (cached) return cached;
    const summary = {
      title: post.title,
      href: link(post.path),
      datetime: isoInZone(post.date, site.timezone),
      date: dateFormat.format(post.date),
      summary: post.excerpt,
      authors: post.authors.map((a) => a.name).join(', '),
      tags: post.tags.map((t) => ({ name: t, href: link(tagDir(tagSlug(t))) })),
      hasTags: post.tags.length > 0,
    };
    summaries.set(post, summary);
    return summary;
  };
  const html = (path: string, body: string): SiteFile => ({ path, body, contentType: HTML });

  return {
    index: (published) =>
      html(
        '/index.html',
        page({
          title: site.title,
          description: site.description,
          path: '/',
          body: render(templates.index, {
            siteTitle: site.title,
            siteDescription: site.description,
            posts: published.map(summaryOf),
            hasPosts: published.length > 0,
            ...nav,
          }),
        }),
      ),

    post: (post, postHtml, newer, older) => {
      const body = render(templates.post, {
        ...summaryOf(post),
        html: withBaseurl(postHtml, base),
        url: post.url,
        updated:
          post.updated.getTime() !== post.date.getTime()
            ? {
                datetime: isoInZone(post.updated, site.timezone),
                date: dateFormat.format(post.updated),
              }
            : undefined,
        newer: newer ? { title: newer.title, href: link(newer.path) } : undefined,
        older: older ? { title: older.title, href: link(older.path) } : undefined,
        ...nav,
      });
      return html(
        filePath(post.path),
        page({
          title: post.title,
          description: post.excerpt,
          path: post.path,
          body,
          image: post.image,
          type: 'article',
        }),
      );
    },

    tag: (group) => {
      const dir = tagDir(group.slug);
      const paths = feedPaths(dir);
      const tagFeeds: FeedLink[] = FEEDS.map((f) => ({
        type: f.linkType,
        title: `${site.title}: ${group.name} (${f.label})`,
        href: link(paths[f.format]),
      }));
      return html(
        `${dir}index.html`,
        page({
          title: `Posts tagged “${group.name}”`,
          description: `Recaps tagged ${group.name} on ${site.title}.`,
          path: dir,
          feeds: tagFeeds,
          body: render(templates.tag, {
            tag: group.name,
            count: group.posts.length,
            posts: group.posts.map(summaryOf),
            rssHref: link(paths.rss),
            atomHref: link(paths.atom),
            jsonFeedHref: link(paths.json),
            homeHref: nav.homeHref,
            tagsHref: nav.tagsHref,
          }),
        }),
      );
    },

    tags: (groups) =>
      html(
        '/tags/index.html',
        page({
          title: 'Tags',
          description: `All tags on ${site.title}.`,
          path: '/tags/',
          body: render(templates.tags, {
            tags: groups.map((g) => ({ name: g.name, href: link(tagDir(g.slug)), count: g.posts.length })),
            hasTags: groups.length > 0,
            ...nav,
          }),
        }),
      ),

    subscribe: () =>
      html(
        '/subscribe.html',
        page({
          title: 'Subscribe',
          description: `Get every recap from ${site.title} by email.`,
          path: '/subscribe.html',
          script: true,
          body: render(templates.subscribe, {
            siteTitle: site.title,
            siteDescription: site.description,
            subscribeAction: site.newsletter.subscribeAction,
            hasTopics: (site.newsletter.topics ?? []).length > 0,
            topics: (site.newsletter.topics ?? []).map((t) => ({
              id: t.id,
              name: t.name,
              description: t.description,
            })),
            ...nav,
          }),
        }),
      ),

    notFound: () =>
      html(
        '/404.html',
        page({
          title: 'Page not found',
          description: site.description,
          path: '/404.html',
          noindex: true,
          body: render(templates.notFound, { ...nav, siteTitle: site.title }),
        }),
      ),

    feeds: (dir, posts, tag) => {
      const feeds = feedSet(posts, tag === undefined ? {} : { tag });
      return FEEDS.map((f) => ({
        path: `${dir}${f.file}`,
        body: feeds[f.format],
        contentType: f.contentType,
      }));
    },

    sitemap: (published, groups) => {
      const entries: SitemapEntry[] = [{ loc: absolute('/'), lastmod: latest(published) }];
      for (const post of published) entries.push({ loc: post.url, lastmod: post.updated });
      for (const group of groups)
        entries.push({ loc: absolute(tagDir(group.slug)), lastmod: latest(group.posts) });
      entries.push({ loc: absolute('/tags/'), lastmod: latest(published) });
      entries.push({ loc: absolute('/subscribe.html') });
      return {
        path: '/sitemap.xml',
        body: buildSitemap(entries),
        contentType: 'application/xml; charset=utf-8',
      };
    },

    statics: () => [
      { path: '/style.css', body: templates.style, contentType: 'text/css; charset=utf-8' },
      {
        path: '/subscribe.js',
        body: templates.subscribeScript,
        contentType: 'text/javascript; charset=utf-8',
      },
    ],
  };
}

/**
 * Builds every file of the static archive site: index, post pages, tag pages, the subscribe page,
 * feeds (site-wide and per tag), sitemap, 404 page and the two static files.
 *
 * Pure and deterministic: the same input gives byte-identical output (no clock; dates come from the
 * posts). Drafts are dropped here whatever the caller passes.
 *
 * @param assets files copied into the site as they are (e.g. `/assets/...`); they may not replace a
 *   generated page.
 * @throws ContentError when a post's path or an asset collides with another page or a generated file.
 */
export function buildSite(
  site: SiteConfig,
  posts: readonly RenderedPost[],
  templates: SiteTemplates,
  assets: readonly SiteFile[] = [],
): SiteFile[] {
  return [...generateSite(site, posts, templates, assets)];
}

/**
 * {@link buildSite} one file at a time, in the same order, so a caller can write each page and let
 * it go instead of holding a large site in memory. Post pages come first, newest first, and each
 * post's `html` is read only while its own page (and its older neighbour's listing) is made, so a
 * caller may let a post's HTML go once its page is yielded. The ContentError for colliding paths
 * comes after the last generated page and before the assets: a caller that wrote pages must then
 * discard them.
 */
export function* generateSite(
  site: SiteConfig,
  posts: readonly RenderedPost[],
  templates: SiteTemplates,
  assets: readonly SiteFile[] = [],
  /** Keeps built feeds between builds (the CLI's build cache). */
  feedMemo?: FeedMemo,
): Generator<SiteFile> {
  const sorted = posts.filter((p) => !p.post.draft).sort((a, b) => compareNewestFirst(a.post, b.post));
  // A listing's excerpt may need the post's HTML: made on the way through the post pages.
  const listings: PostListing[] = [];
  const listingAt = (i: number): PostListing | undefined => {
    const rendered = sorted[i];
    if (rendered) listings[i] ??= postListing(rendered);
    return listings[i];
  };
  const pages = createSitePages(site, templates, feedMemo);

  const paths: string[] = [];
  // Who wrote each path, so a post whose permalink lands on a generated page is named in the error.
  const owners: string[] = [];
  function* add(file: SiteFile, owner?: string) {
    paths.push(file.path);
    owners.push(owner ?? `the generated page ${file.path}`);
    yield file;
  }

  for (const [i, rendered] of sorted.entries()) {
    yield* add(
      pages.post(listingAt(i) as PostListing, rendered.html, listingAt(i - 1), listingAt(i + 1)),
      rendered.post.sourcePath,
    );
  }
  const published = sorted.map((rendered, i) => ({ rendered, listing: listingAt(i) as PostListing }));
  yield* add(pages.index(listings));
  const groups = groupByTag(published, (p) => p.listing.tags);
  const listingGroups = groups.map((g) => ({ ...g, posts: g.posts.map((p) => p.listing) }));
  for (const [i, group] of groups.entries()) {
    const listingGroup = listingGroups[i] as TagGroup<PostListing>;
    yield* add(pages.tag(listingGroup));
    for (const feed of pages.feeds(
      tagDir(group.slug),
      group.posts.map((p) => p.rendered),
      group.name,
    )) {
      yield* add(feed);
    }
  }
  yield* add(pages.tags(listingGroups));
  yield* add(pages.subscribe());
  yield* add(pages.notFound());
  for (const feed of pages.feeds(
    '/',
    published.map((p) => p.rendered),
  ))
    yield* add(feed);
  yield* add(pages.sitemap(listings, listingGroups));
  for (const file of pages.statics()) yield* add(file);

  assertNoCollisions(paths, owners, assets);
  yield* assets;
}

function latest(posts: readonly { updated: Date }[]): Date | undefined {
  let max: Date | undefined;
  for (const post of posts) if (!max || post.updated > max) max = post.updated;
  return max;
}

function usableLocale(language: string): string {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([language]).length > 0 ? language : 'en';
  } catch {
    return 'en';
  }
}

// Luxon's zone offset costs tens of microseconds a call; listings show the same dates again and
// again (the index, tag pages, every publish of a warm Lambda), so results are remembered.
const isoCache = new Map<string, string>();

function isoInZone(date: Date, zone: string): string {
  const key = `${zone} ${date.getTime()}`;
  let iso = isoCache.get(key);
  if (iso === undefined) {
    iso =
      DateTime.fromJSDate(date, { zone: zoneNamed(zone) }).toISO({ suppressMilliseconds: true }) ??
      date.toISOString();
    if (isoCache.size >= 100_000) isoCache.clear();
    isoCache.set(key, iso);
  }
  return iso;
}

/**
 * Prefixes root-relative `href`/`src`/`poster` URLs in the post body with the baseurl: authors
 * write `/assets/x.png` (as on a Jekyll site at the domain root) and the site may live under `/blog`.
 */
function withBaseurl(html: string, baseurl: string): string {
  if (!baseurl) return html;
  return html.replace(
    /(\s(?:href|src|poster)\s*=\s*)(["']?)\/(?!\/)([^"'\s>]*)/gi,
    (whole: string, attr: string, quote: string, rest: string) => {
      const path = `/${rest}`;
      if (path === baseurl || path.startsWith(`${baseurl}/`)) return whole;
      return `${attr}${quote}${baseurl}${path}`;
    },
  );
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Text of the first non-empty paragraph, shortened, for posts without a summary. */
function firstParagraphText(html: string, max = 200): string {
  for (const match of html.matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/gi)) {
    const text = (match[1] ?? '')
      .replace(/<[^>]*>/g, '')
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity: string, name: string) => {
        if (name[0] === '#') {
          const code =
            name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
          return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
        }
        return ENTITIES[name.toLowerCase()] ?? entity;
      })
      .replace(/\s+/g, ' ')
      .trim();
    if (!text) continue;
    if (text.length <= max) return text;
    const cut = text.slice(0, max);
    const space = cut.lastIndexOf(' ');
    return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
  }
  return '';
}

function assertNoCollisions(
  generated: readonly string[],
  owners: readonly string[],
  assets: readonly SiteFile[],
): void {
  const problems: ContentProblem[] = [];
  const seen = new Map<string, string>();
  generated.forEach((path, i) => {
    const owner = owners[i] ?? path;
    const previous = seen.get(path);
    if (previous === undefined) {
      seen.set(path, owner);
      return;
    }
    const [first, second] = owner.startsWith('the generated') ? [previous, owner] : [owner, previous];
    problems.push({
      file: first,
      field: 'permalink',
      message: `writes ${path}, which ${second} also writes`,
    });
  });
  for (const asset of assets) {
    const previous = seen.get(asset.path);
    if (previous !== undefined)
      problems.push({ file: asset.path, message: `asset would overwrite ${previous}` });
    else seen.set(asset.path, `asset ${asset.path}`);
  }
  if (problems.length > 0) throw new ContentError(problems);
}
