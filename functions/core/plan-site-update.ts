/**
 * Incremental site updates: which files change when posts change, and rendering exactly those.
 *
 * Every page is a function of the index (listings) plus, for post pages and feeds, stored fragments.
 * The plan compares what each page would be rendered from before and after the change and keeps
 * only the pages whose inputs differ, so publishing one post into a site of 1,000 reads a few post
 * fragments (its neighbours and the newest posts of the affected feeds), never 1,000.
 */
import { createHash } from 'node:crypto';
import {
  createSitePages,
  filePath,
  groupByTag,
  type PostListing,
  type SiteFile,
  type SiteTemplates,
  type TagGroup,
  tagDir,
} from './build-site.ts';
import { feedPaths } from './feeds.ts';
import type { RenderedPost, SiteConfig } from './model.ts';
import {
  entryListing,
  entryPost,
  type IndexEntry,
  POST_INDEX_VERSION,
  type PostIndex,
  publishedEntries,
} from './post-index.ts';

/**
 * Fingerprint of everything besides the posts that shapes the pages: site config, templates and
 * the index format. Stored in the index; when it changes, the next update re-renders every page.
 */
export function renderKey(site: SiteConfig, templates: SiteTemplates): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: POST_INDEX_VERSION, site, templates }))
    .digest('hex');
}

/** The stored rendering of one post body. */
export interface PostFragments {
  /** For the post's own page. */
  html: string;
  /** For feeds (and email). */
  portableHtml: string;
}

/** What to write and delete. */
export interface SiteUpdatePlan {
  /** Re-render everything (first publish, or the site config or templates changed). */
  full: boolean;
  /** Post ids whose page is written. */
  postPages: string[];
  /** Tag slugs whose page is written. */
  tagPages: string[];
  /** Tag slugs whose feeds are written. */
  tagFeeds: string[];
  siteFeeds: boolean;
  /** Site paths (without baseurl) to delete: pages that no longer exist after the change. */
  deletes: string[];
  /** Post ids whose stored fragments the rendering needs. */
  fragments: string[];
}

interface SiteShape {
  published: IndexEntry[];
  /** Post page inputs: own entry and neighbour links. */
  pageInputs: Map<string, string>;
  groups: TagGroup<IndexEntry>[];
  paths: Set<string>;
}

function shape(index: PostIndex): SiteShape {
  const published = publishedEntries(index);
  const pageInputs = new Map<string, string>();
  published.forEach((entry, i) => {
    const newer = published[i - 1];
    const older = published[i + 1];
    pageInputs.set(
      entry.id,
      JSON.stringify([
        listingKey(entry),
        newer ? [newer.title, newer.path] : null,
        older ? [older.title, older.path] : null,
      ]),
    );
  });
  const groups = groupByTag(published, (entry) => entry.tags);
  const paths = new Set<string>();
  for (const entry of published) paths.add(filePath(entry.path));
  for (const group of groups) {
    const dir = tagDir(group.slug);
    paths.add(`${dir}index.html`);
    for (const path of Object.values(feedPaths(dir))) paths.add(path);
  }
  return { published, pageInputs, groups, paths };
}

// The fields a listing or page renders; `sourceKey` and `firstPublishedAt` change no page.
function listingKey(entry: IndexEntry): unknown[] {
  return [
    entry.id,
    entry.title,
    entry.path,
    entry.url,
    entry.date,
    entry.updated,
    entry.excerpt,
    entry.summary ?? null,
    entry.tags,
    entry.authors,
    entry.image ?? null,
    entry.guid,
  ];
}

/** The entries a feed carries, in the order `buildFeeds` picks them (date, then guid). */
export function feedSelection(entries: readonly IndexEntry[], limit: number): IndexEntry[] {
  return [...entries]
    .map((entry) => ({ entry, time: Date.parse(entry.date) }))
    .sort(
      (a, b) => b.time - a.time || (a.entry.guid < b.entry.guid ? -1 : a.entry.guid > b.entry.guid ? 1 : 0),
    )
    .slice(0, Math.max(0, limit))
    .map(({ entry }) => entry);
}

function feedKey(name: string, selection: readonly IndexEntry[]): string {
  return JSON.stringify([name, selection.map(listingKey)]);
}

/**
 * Plans the update from `before` to `after`.
 *
 * @param changed ids whose body may have changed (their pages and any feed carrying them are
 *   rewritten even if their metadata did not change)
 */
export function planSiteUpdate(
  before: PostIndex,
  after: PostIndex,
  options: { changed: readonly string[]; full: boolean; feedLimit: number },
): SiteUpdatePlan {
  const was = shape(before);
  const now = shape(after);
  const changed = new Set(options.changed);
  const full = options.full;

  const postPages = now.published
    .filter((e) => full || changed.has(e.id) || was.pageInputs.get(e.id) !== now.pageInputs.get(e.id))
    .map((e) => e.id);

  const oldGroups = new Map(was.groups.map((g) => [g.slug, g]));
  const tagPages: string[] = [];
  const tagFeeds: string[] = [];
  const feedEntries = new Set<string>();
  for (const group of now.groups) {
    const old = oldGroups.get(group.slug);
    const pageKey = (g: TagGroup<IndexEntry>) => JSON.stringify([g.name, g.posts.map(listingKey)]);
    if (full || !old || pageKey(old) !== pageKey(group)) tagPages.push(group.slug);
    const selection = feedSelection(group.posts, options.feedLimit);
    const oldSelection = old ? feedSelection(old.posts, options.feedLimit) : [];
    if (
      full ||
      !old ||
      feedKey(old.name, oldSelection) !== feedKey(group.name, selection) ||
      selection.some((e) => changed.has(e.id))
    ) {
      tagFeeds.push(group.slug);
      for (const e of selection) feedEntries.add(e.id);
    }
  }

  const siteSelection = feedSelection(now.published, options.feedLimit);
  const siteFeeds =
    full ||
    feedKey('', feedSelection(was.published, options.feedLimit)) !== feedKey('', siteSelection) ||
    siteSelection.some((e) => changed.has(e.id));
  if (siteFeeds) for (const e of siteSelection) feedEntries.add(e.id);

  const deletes = [...was.paths].filter((path) => !now.paths.has(path)).sort();
  return {
    full,
    postPages,
    tagPages,
    tagFeeds,
    siteFeeds,
    deletes,
    fragments: [...new Set([...postPages, ...feedEntries])].sort(),
  };
}

/**
 * Renders the files a plan writes, from the index after the change and the fragments of
 * `plan.fragments`. The index, tags page and sitemap are always written: they need only the index.
 *
 * @throws Error when a needed fragment is missing.
 */
export function renderSiteUpdate(
  plan: SiteUpdatePlan,
  after: PostIndex,
  fragments: ReadonlyMap<string, PostFragments>,
  site: SiteConfig,
  templates: SiteTemplates,
): SiteFile[] {
  const pages = createSitePages(site, templates);
  const published = publishedEntries(after);
  // One listing object per post, so the page renderer's per-post view cache works across pages.
  const listings = new Map<string, PostListing>(published.map((e) => [e.id, entryListing(e)]));
  const listingOf = (entry: IndexEntry) => listings.get(entry.id) ?? entryListing(entry);
  const fragmentOf = (id: string): PostFragments => {
    const fragment = fragments.get(id);
    if (!fragment) throw new Error(`site update: the stored rendering of post ${id} is missing`);
    return fragment;
  };
  const rendered = (entry: IndexEntry): RenderedPost => {
    const { html, portableHtml } = fragmentOf(entry.id);
    return { post: entryPost(entry), html, portableHtml };
  };
  const feedPosts = (entries: readonly IndexEntry[]) => feedSelection(entries, site.feed.limit).map(rendered);

  const all = published.map(listingOf);
  const groups = groupByTag(published, (e) => e.tags);
  const listingGroups = groups.map((g) => ({ ...g, posts: g.posts.map(listingOf) }));
  const files: SiteFile[] = [pages.index(all)];

  const wantPage = new Set(plan.postPages);
  published.forEach((entry, i) => {
    if (!wantPage.has(entry.id)) return;
    const newer = published[i - 1];
    const older = published[i + 1];
    files.push(
      pages.post(
        listingOf(entry),
        fragmentOf(entry.id).html,
        newer ? listingOf(newer) : undefined,
        older ? listingOf(older) : undefined,
      ),
    );
  });

  const wantTagPage = new Set(plan.tagPages);
  const wantTagFeeds = new Set(plan.tagFeeds);
  groups.forEach((group, i) => {
    const listingGroup = listingGroups[i] as TagGroup<PostListing>;
    if (wantTagPage.has(group.slug)) files.push(pages.tag(listingGroup));
    if (wantTagFeeds.has(group.slug)) {
      files.push(...pages.feeds(tagDir(group.slug), feedPosts(group.posts), group.name));
    }
  });
  files.push(pages.tags(listingGroups));
  if (plan.siteFeeds) files.push(...pages.feeds('/', feedPosts(published)));
  files.push(pages.sitemap(all, listingGroups));
  if (plan.full) files.push(pages.subscribe(), pages.notFound(), ...pages.statics());
  return files;
}
