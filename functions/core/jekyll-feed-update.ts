/**
 * jekyll-feed's extra feeds on the publish path: which of them a change touches, and rendering exactly
 * those from the index and stored fragments, with the same list and builder `herald build` uses
 * ({@link jekyllFeedSpecs}, {@link jekyllFeedFile}).
 */
import { filePath, groupByTag, type SiteFile, tagDir } from './build-site.ts';
import { feedPaths } from './feeds.ts';
import type { JekyllFeedSettings } from './jekyll-config.ts';
import { type JekyllFeedSpec, jekyllFeedFile, jekyllFeedSpecs } from './jekyll-feeds.ts';
import type { RenderedPost, SiteConfig } from './model.ts';
import { feedSelection, type PostFragments } from './plan-site-update.ts';
import { entryPost, type IndexEntry, type PostIndex, publishedEntries } from './post-index.ts';

/** What to write and delete among the extra feeds. */
export interface JekyllFeedPlan {
  /** Feed paths to write. */
  writes: string[];
  /** Feed paths that no longer exist (a tag no post carries any more). */
  deletes: string[];
  /** Post ids whose stored fragments the written feeds carry. */
  fragments: string[];
}

interface FeedState {
  spec: JekyllFeedSpec;
  selection: IndexEntry[];
}

/** Paths Herald itself writes for this index that an extra feed must not overwrite (as in `herald build`). */
function heraldPaths(published: readonly IndexEntry[]): Set<string> {
  const taken = new Set<string>([...Object.values(feedPaths('/')), '/sitemap.xml']);
  for (const entry of published) taken.add(filePath(entry.path));
  for (const group of groupByTag(published, (e) => e.tags)) {
    for (const path of Object.values(feedPaths(tagDir(group.slug)))) taken.add(path);
  }
  return taken;
}

function feedsOf(index: PostIndex, feed: JekyllFeedSettings): Map<string, FeedState> {
  const published = publishedEntries(index);
  const posts = published.map((entry) => ({ entry, post: entryPost(entry) }));
  const specs = jekyllFeedSpecs(
    feed,
    posts.map((p) => p.post),
    heraldPaths(published),
  );
  return new Map(
    specs.map((spec) => [
      spec.path,
      {
        spec,
        selection: feedSelection(
          posts.filter((p) => spec.includes(p.post)).map((p) => p.entry),
          feed.postsLimit,
        ),
      },
    ]),
  );
}

// What an entry shows in a feed; `sourceKey` and `firstPublishedAt` change no feed.
function selectionKey(selection: readonly IndexEntry[]): string {
  return JSON.stringify(selection.map(({ sourceKey: _s, firstPublishedAt: _f, ...shown }) => shown));
}

/**
 * Plans the extra feeds' update from `before` to `after`: a feed is written when its entries changed, when
 * it carries a post in `changed` (whose body may have changed), or on a full render; a feed that no longer
 * exists is deleted.
 */
export function planJekyllFeeds(
  before: PostIndex,
  after: PostIndex,
  feed: JekyllFeedSettings,
  options: { changed: readonly string[]; full: boolean },
): JekyllFeedPlan {
  const was = feedsOf(before, feed);
  const now = feedsOf(after, feed);
  const changed = new Set(options.changed);
  const writes: string[] = [];
  const fragments = new Set<string>();
  for (const [path, state] of now) {
    const old = was.get(path);
    if (
      options.full ||
      !old ||
      selectionKey(old.selection) !== selectionKey(state.selection) ||
      state.selection.some((e) => changed.has(e.id))
    ) {
      writes.push(path);
      for (const e of state.selection) fragments.add(e.id);
    }
  }
  const deletes = [...was.keys()].filter((path) => !now.has(path)).sort();
  return { writes: writes.sort(), deletes, fragments: [...fragments].sort() };
}

/**
 * Renders the feeds a plan writes, from the index after the change and the fragments of `plan.fragments`.
 *
 * @throws Error when a needed fragment is missing.
 */
export function renderJekyllFeeds(
  plan: JekyllFeedPlan,
  after: PostIndex,
  fragments: ReadonlyMap<string, PostFragments>,
  site: SiteConfig,
  feed: JekyllFeedSettings,
): SiteFile[] {
  const now = feedsOf(after, feed);
  return plan.writes.flatMap((path) => {
    const state = now.get(path);
    if (!state) return [];
    const posts: RenderedPost[] = state.selection.map((entry) => {
      const fragment = fragments.get(entry.id);
      if (!fragment) throw new Error(`site update: the stored rendering of post ${entry.id} is missing`);
      return { post: entryPost(entry), html: fragment.html, portableHtml: fragment.portableHtml };
    });
    return [jekyllFeedFile(site, state.spec, posts, feed)];
  });
}
