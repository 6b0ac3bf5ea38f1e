import { buildFeeds } from './build-feeds.ts';
import type { SiteFile } from './build-site.ts';
import type { JekyllFeedSettings } from './jekyll-config.ts';
import type { RenderedPost, SiteConfig } from './model.ts';

const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

/**
 * The extra Atom feeds jekyll-feed's settings ask for, so their subscribers keep their URLs: the posts'
 * feed at `feed.path` (when it is not `/feed.xml`, where Herald's RSS of the same entries already is),
 * one per `feed.categories` entry at `/feed/<category>.xml`, and with `feed.tags` one per tag (names of
 * letters, digits and `_` only, as jekyll-feed) at `<tags.path><tag>.xml`. Each carries the newest
 * `feed.posts_limit` posts with Herald's entry ids (jekyll-feed's), without content when
 * `feed.excerpt_only` is set. A path a generated file already has is left alone.
 */
export function jekyllFeedFiles(
  site: SiteConfig,
  posts: readonly RenderedPost[],
  feed: JekyllFeedSettings,
  taken: ReadonlySet<string>,
): SiteFile[] {
  const limited: SiteConfig = { ...site, feed: { limit: feed.postsLimit } };
  const published = posts.filter((p) => !p.post.draft);
  const files: SiteFile[] = [];
  const add = (path: string, selected: readonly RenderedPost[]) => {
    const at = path.startsWith('/') ? path : `/${path}`;
    if (taken.has(at) || files.some((f) => f.path === at)) return;
    let atom = buildFeeds(limited, [...selected]).atom;
    const root = site.url + site.baseurl;
    atom = atom.replace(`rel="self" href="${root}/atom.xml"`, `rel="self" href="${root}${encodeURI(at)}"`);
    if (feed.excerptOnly) atom = atom.replace(/\s*<content type="html">[\s\S]*?<\/content>/g, '');
    files.push({ path: at, body: atom, contentType: ATOM_TYPE });
  };

  if (feed.path !== '/feed.xml') add(feed.path, published);
  for (const category of feed.categories) {
    add(
      `/feed/${category}.xml`,
      published.filter((p) => p.post.categories.includes(category)),
    );
  }
  if (feed.tags) {
    const all = [...new Set(published.flatMap((p) => p.post.tags))];
    const tags = (feed.tags.only ?? all).filter((t) => !feed.tags?.except.includes(t));
    for (const tag of tags) {
      if (/[^a-zA-Z0-9_]/.test(tag)) continue;
      add(
        `${feed.tags.path}${tag}.xml`,
        published.filter((p) => p.post.tags.includes(tag)),
      );
    }
  }
  return files;
}
