import { DateTime } from 'luxon';
import Mustache from 'mustache';
import { buildFeeds, type FeedSet } from './build-feeds.ts';
import { ContentError, type ContentProblem } from './errors.ts';
import type { RenderedPost, SiteConfig } from './model.ts';
import { buildSitemap, type SitemapEntry } from './sitemap.ts';
import { tagSlug } from './tag-slug.ts';

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
const FEED_TYPES = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
} as const;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// Mustache's default escaper also encodes `/`, `=` and backticks, which mangles every URL in the
// markup for no safety gain inside quoted attributes and text.
function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(template: string, view: object): string {
  return Mustache.render(template, view, undefined, { escape: escapeHtml });
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

interface TagGroup {
  name: string;
  slug: string;
  posts: RenderedPost[];
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
  const published = posts.filter((p) => !p.post.draft).sort(newestFirst);
  const base = site.baseurl;
  const root = `${site.url}${base}`;
  const locale = usableLocale(site.language);
  const link = (path: string) => `${base}${path}`;
  const absolute = (path: string) => `${root}${path}`;

  const siteFeeds: FeedLink[] = [
    { type: 'application/rss+xml', title: `${site.title} (RSS)`, href: link('/feed.xml') },
    { type: 'application/atom+xml', title: `${site.title} (Atom)`, href: link('/atom.xml') },
    { type: 'application/feed+json', title: `${site.title} (JSON Feed)`, href: link('/feed.json') },
  ];
  const nav = {
    homeHref: link('/'),
    tagsHref: link('/tags/'),
    subscribeHref: link('/subscribe.html'),
    rssHref: link('/feed.xml'),
    atomHref: link('/atom.xml'),
    jsonFeedHref: link('/feed.json'),
    styleHref: link('/style.css'),
  };

  const page = (options: {
    title: string;
    description: string;
    path: string;
    body: string;
    feeds?: FeedLink[];
    image?: string;
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
  const summaries = new Map<RenderedPost, Link & Record<string, unknown>>();
  const summaryOf = (rendered: RenderedPost): Link & Record<string, unknown> => {
    const cached = summaries.get(rendered);
    if (cached) return cached;
    const { post } = rendered;
    const summary = {
      title: post.title,
      href: link(post.path),
      datetime: isoInZone(post.date, site.timezone),
      date: dateFormat.format(post.date),
      summary: post.summary ?? firstParagraphText(rendered.html),
      authors: post.authors.map((a) => a.name).join(', '),
      tags: post.tags.map((t) => ({ name: t, href: link(`/tags/${tagSlug(t)}/`) })),
      hasTags: post.tags.length > 0,
    };
    summaries.set(rendered, summary);
    return summary;
  };

  const files: SiteFile[] = [];
  // Who wrote each path, so a post whose permalink lands on a generated page is named in the error.
  const owners: string[] = [];
  const sitemap: SitemapEntry[] = [];
  const add = (path: string, body: string | Uint8Array, contentType: string, owner?: string) => {
    files.push({ path, body, contentType });
    owners.push(owner ?? `the generated page ${path}`);
  };
  const newest = published[0]?.post.updated;

  // Index
  add(
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
    HTML,
  );
  sitemap.push({ loc: absolute('/'), lastmod: latest(published) ?? newest });

  // Post pages
  published.forEach((rendered, i) => {
    const { post } = rendered;
    const newer = published[i - 1];
    const older = published[i + 1];
    const body = render(templates.post, {
      ...summaryOf(rendered),
      html: withBaseurl(rendered.html, base),
      url: post.url,
      updated:
        post.updated.getTime() !== post.date.getTime()
          ? {
              datetime: isoInZone(post.updated, site.timezone),
              date: dateFormat.format(post.updated),
            }
          : undefined,
      newer: newer ? { title: newer.post.title, href: link(newer.post.path) } : undefined,
      older: older ? { title: older.post.title, href: link(older.post.path) } : undefined,
      ...nav,
    });
    add(
      filePath(post.path),
      page({
        title: post.title,
        description: String(summaryOf(rendered).summary),
        path: post.path,
        body,
        image: post.image,
        type: 'article',
      }),
      HTML,
      post.sourcePath,
    );
    sitemap.push({ loc: post.url, lastmod: post.updated });
  });

  // Tag pages with their feeds
  const groups = groupByTag(published);
  for (const group of groups) {
    const dir = `/tags/${group.slug}/`;
    const tagFeeds: FeedLink[] = [
      {
        type: 'application/rss+xml',
        title: `${site.title}: ${group.name} (RSS)`,
        href: link(`${dir}feed.xml`),
      },
      {
        type: 'application/atom+xml',
        title: `${site.title}: ${group.name} (Atom)`,
        href: link(`${dir}atom.xml`),
      },
      {
        type: 'application/feed+json',
        title: `${site.title}: ${group.name} (JSON Feed)`,
        href: link(`${dir}feed.json`),
      },
    ];
    add(
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
          rssHref: link(`${dir}feed.xml`),
          atomHref: link(`${dir}atom.xml`),
          jsonFeedHref: link(`${dir}feed.json`),
          homeHref: nav.homeHref,
          tagsHref: nav.tagsHref,
        }),
      }),
      HTML,
    );
    addFeeds(add, dir, buildFeeds(site, group.posts, { tag: group.name }));
    sitemap.push({ loc: absolute(dir), lastmod: latest(group.posts) });
  }

  add(
    '/tags/index.html',
    page({
      title: 'Tags',
      description: `All tags on ${site.title}.`,
      path: '/tags/',
      body: render(templates.tags, {
        tags: groups.map((g) => ({ name: g.name, href: link(`/tags/${g.slug}/`), count: g.posts.length })),
        hasTags: groups.length > 0,
        ...nav,
      }),
    }),
    HTML,
  );
  sitemap.push({ loc: absolute('/tags/'), lastmod: latest(published) });

  add(
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
        ...nav,
      }),
    }),
    HTML,
  );
  sitemap.push({ loc: absolute('/subscribe.html') });

  add(
    '/404.html',
    page({
      title: 'Page not found',
      description: site.description,
      path: '/404.html',
      noindex: true,
      body: render(templates.notFound, { ...nav, siteTitle: site.title }),
    }),
    HTML,
  );

  addFeeds(add, '/', buildFeeds(site, published));
  add('/sitemap.xml', buildSitemap(sitemap), 'application/xml; charset=utf-8');
  add('/style.css', templates.style, 'text/css; charset=utf-8');
  add('/subscribe.js', templates.subscribeScript, 'text/javascript; charset=utf-8');

  assertNoCollisions(files, owners, assets);
  return [...files, ...assets];
}

function addFeeds(
  add: (path: string, body: string, type: string) => void,
  dir: string,
  feeds: FeedSet,
): void {
  add(`${dir}feed.xml`, feeds.rss, FEED_TYPES.rss);
  add(`${dir}atom.xml`, feeds.atom, FEED_TYPES.atom);
  add(`${dir}feed.json`, feeds.json, FEED_TYPES.json);
}

/** A URL path ending in `/` is a directory; servers and buckets answer it with its index.html. */
function filePath(urlPath: string): string {
  return urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath;
}

function newestFirst(a: RenderedPost, b: RenderedPost): number {
  const byDate = b.post.date.getTime() - a.post.date.getTime();
  if (byDate !== 0) return byDate;
  // Same instant: order by path so the output never depends on the caller's order.
  return a.post.path < b.post.path ? -1 : a.post.path > b.post.path ? 1 : 0;
}

function latest(posts: readonly RenderedPost[]): Date | undefined {
  let max: Date | undefined;
  for (const { post } of posts) if (!max || post.updated > max) max = post.updated;
  return max;
}

/**
 * Groups posts by tag slug, so "KV Cache" and "kv-cache" share one page; the page shows the
 * first spelling met in newest-first order. Groups are sorted by slug for stable output.
 */
function groupByTag(posts: readonly RenderedPost[]): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const rendered of posts) {
    const seenInPost = new Set<string>();
    for (const name of rendered.post.tags) {
      const slug = tagSlug(name);
      if (!slug || seenInPost.has(slug)) continue;
      seenInPost.add(slug);
      const group = groups.get(slug);
      if (group) group.posts.push(rendered);
      else groups.set(slug, { name, slug, posts: [rendered] });
    }
  }
  return [...groups.values()].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

function usableLocale(language: string): string {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([language]).length > 0 ? language : 'en';
  } catch {
    return 'en';
  }
}

function isoInZone(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toISO({ suppressMilliseconds: true }) ?? date.toISOString();
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
  generated: readonly SiteFile[],
  owners: readonly string[],
  assets: readonly SiteFile[],
): void {
  const problems: ContentProblem[] = [];
  const seen = new Map<string, string>();
  generated.forEach((file, i) => {
    const owner = owners[i] ?? file.path;
    const previous = seen.get(file.path);
    if (previous === undefined) {
      seen.set(file.path, owner);
      return;
    }
    const [first, second] = owner.startsWith('the generated') ? [previous, owner] : [owner, previous];
    problems.push({
      file: first,
      field: 'permalink',
      message: `writes ${file.path}, which ${second} also writes`,
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
