import { buildFeeds } from './build-feeds.ts';
import type { SiteFile } from './build-site.ts';
import type { JekyllFeedSettings } from './jekyll-config.ts';
import type { Post, RenderedPost, SiteConfig } from './model.ts';

const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

/** One Atom feed jekyll-feed would write: where, and which posts it carries (before `posts_limit`). */
export interface JekyllFeedSpec {
  /** Site path without baseurl, e.g. `/feed/meetups.xml`. */
  path: string;
  includes(post: Pick<Post, 'tags' | 'categories'>): boolean;
}

/**
 * The extra Atom feeds jekyll-feed's settings ask for, so their subscribers keep their URLs: the posts'
 * feed at `feed.path` (when it is not `/feed.xml`, where Herald's RSS of the same entries already is),
 * one per `feed.categories` entry at `/feed/<category>.xml`, and with `feed.tags` one per tag of the
 * published posts (names of letters, digits and `_` only, as jekyll-feed) at `<tags.path><tag>.xml`.
 * A path Herald already writes (`taken`) is left alone. The one list both `herald build` and the
 * publish path write.
 */
export function jekyllFeedSpecs(
  feed: JekyllFeedSettings,
  published: readonly Pick<Post, 'tags' | 'categories'>[],
  taken: ReadonlySet<string>,
): JekyllFeedSpec[] {
  const specs: JekyllFeedSpec[] = [];
  const add = (path: string, includes: JekyllFeedSpec['includes']) => {
    const at = path.startsWith('/') ? path : `/${path}`;
    if (taken.has(at) || specs.some((s) => s.path === at)) return;
    specs.push({ path: at, includes });
  };
  if (feed.path !== '/feed.xml') add(feed.path, () => true);
  for (const category of feed.categories) {
    add(`/feed/${category}.xml`, (p) => p.categories.includes(category));
  }
  if (feed.tags) {
    const all = [...new Set(published.flatMap((p) => p.tags))];
    const tags = (feed.tags.only ?? all).filter((t) => !feed.tags?.except.includes(t));
    for (const tag of tags) {
      if (/[^a-zA-Z0-9_]/.test(tag)) continue;
      add(`${feed.tags.path}${tag}.xml`, (p) => p.tags.includes(tag));
    }
  }
  return specs;
}

/**
 * One jekyll-feed Atom feed: the newest `feed.posts_limit` of `posts` (those the spec includes; more may
 * be given, the feed picks) with Herald's entry ids (jekyll-feed's), without content when
 * `feed.excerpt_only` is set.
 */
export function jekyllFeedFile(
  site: SiteConfig,
  spec: JekyllFeedSpec,
  posts: readonly RenderedPost[],
  feed: JekyllFeedSettings,
): SiteFile {
  const limited: SiteConfig = { ...site, feed: { limit: feed.postsLimit } };
  let atom = buildFeeds(
    limited,
    posts.filter((p) => spec.includes(p.post)),
  ).atom;
  const root = site.url + site.baseurl;
  atom = atom.replace(
    `rel="self" href="${root}/atom.xml"`,
    `rel="self" href="${root}${encodeURI(spec.path)}"`,
  );
  if (feed.excerptOnly) atom = atom.replace(/\s*<content type="html">[\s\S]*?<\/content>/g, '');
  return { path: spec.path, body: atom, contentType: ATOM_TYPE };
}

/** Every extra feed of {@link jekyllFeedSpecs}, built from all posts (`herald build`). */
export function jekyllFeedFiles(
  site: SiteConfig,
  posts: readonly RenderedPost[],
  feed: JekyllFeedSettings,
  taken: ReadonlySet<string>,
): SiteFile[] {
  const published = posts.filter((p) => !p.post.draft);
  return jekyllFeedSpecs(
    feed,
    published.map((p) => p.post),
    taken,
  ).map((spec) => jekyllFeedFile(site, spec, published, feed));
}
