/**
 * The one list of feeds Herald publishes for the site and for each tag: file name, format and the
 * types they are served and linked with. Pages, the incremental planner, the post index's reserved
 * paths, the banners and the build report all read it.
 */

/** A feed format. */
export type FeedFormat = 'rss' | 'atom' | 'json';

/** One published feed. */
export interface FeedFile {
  format: FeedFormat;
  /** File name inside the scope's folder (`/` or `/tags/<slug>/`). */
  file: string;
  /** `Content-Type` the file is stored and served with. */
  contentType: string;
  /** `type` of its `<link rel="alternate">`. */
  linkType: string;
  /** How a page names it: `Site title (RSS)`. */
  label: string;
}

/** RSS 2.0, Atom 1.0 and JSON Feed 1.1, in the order pages list them. */
export const FEEDS: readonly FeedFile[] = [
  {
    format: 'rss',
    file: 'feed.xml',
    contentType: 'application/rss+xml; charset=utf-8',
    linkType: 'application/rss+xml',
    label: 'RSS',
  },
  {
    format: 'atom',
    file: 'atom.xml',
    contentType: 'application/atom+xml; charset=utf-8',
    linkType: 'application/atom+xml',
    label: 'Atom',
  },
  {
    format: 'json',
    file: 'feed.json',
    contentType: 'application/feed+json; charset=utf-8',
    linkType: 'application/feed+json',
    label: 'JSON Feed',
  },
];

/** The feed paths of one scope, by format: `feedPaths('/tags/x/').rss` is `/tags/x/feed.xml`. */
export function feedPaths(dir: string): Record<FeedFormat, string> {
  const paths = {} as Record<FeedFormat, string>;
  for (const feed of FEEDS) paths[feed.format] = `${dir}${feed.file}`;
  return paths;
}

/** Whether a site path is one of the feeds (of the site or of a tag). */
export function isFeedPath(path: string): boolean {
  return FEEDS.some((feed) => path === feed.file || path.endsWith(`/${feed.file}`));
}
