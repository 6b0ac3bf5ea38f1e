/**
 * The post index: metadata of every post the publish handler has seen, one JSON object, so that
 * publishing one post re-renders listings, tag pages and the sitemap without reading every source.
 * Pure: entries are plain JSON (dates as ISO strings) and every change returns a new index.
 */
import { z } from 'zod';
import { compareNewestFirst, type PostListing, postListing } from './build-site.ts';
import type { ContentProblem } from './errors.ts';
import { feedPaths } from './feeds.ts';
import type { Author, Post, RenderedPost } from './model.ts';

/** Bumped when the entry shape or the meaning of a field changes; a mismatch re-renders everything. */
export const POST_INDEX_VERSION = 1;

/** One post in the index: everything listings, feeds and the mailing decision need except the body. */
export interface IndexEntry {
  id: string;
  /** Key of the source object in the content bucket (also the post's `sourcePath`). */
  sourceKey: string;
  slug: string;
  title: string;
  /** ISO 8601 instants. */
  date: string;
  updated: string;
  path: string;
  url: string;
  guid: string;
  /** Front matter summary (feeds use it), if any. */
  summary?: string;
  /** Listing text: the summary or the first paragraph of the body. */
  excerpt: string;
  tags: string[];
  /** Jekyll categories (for jekyll-feed's per-category feeds); absent when there are none. */
  categories?: string[];
  authors: Author[];
  image?: string;
  draft: boolean;
  /** When the post first went on the site (not as a draft); fixes its age for the mailing policy. */
  firstPublishedAt?: string;
  /**
   * Jekyll: the post's Liquid reads `site.posts`, `site.tags`, `site.categories` or its neighbours, so
   * it is rendered again whenever another post is published or removed.
   */
  listsPosts?: true;
}

/** The whole index. */
export interface PostIndex {
  version: number;
  /**
   * Fingerprint of the site config and templates the stored pages were rendered with. Another value
   * means every page is stale and the next publish re-renders the whole site.
   */
  renderKey?: string;
  /** By post id. */
  posts: Record<string, IndexEntry>;
  /**
   * Sources refused because another existing source owns the id they claim: source key → that id.
   * When the owner's file is removed, the first of them (by key) is published in its place.
   */
  refused?: Record<string, string>;
}

const isoDate = z.iso.datetime({ offset: true });
const entrySchema = z.object({
  id: z.string().min(1),
  sourceKey: z.string().min(1),
  slug: z.string(),
  title: z.string(),
  date: isoDate,
  updated: isoDate,
  path: z.string().startsWith('/'),
  url: z.string(),
  guid: z.string(),
  summary: z.string().optional(),
  excerpt: z.string(),
  tags: z.array(z.string()),
  categories: z.array(z.string()).optional(),
  authors: z.array(z.object({ name: z.string(), email: z.string().optional(), url: z.string().optional() })),
  image: z.string().optional(),
  draft: z.boolean(),
  firstPublishedAt: isoDate.optional(),
  listsPosts: z.literal(true).optional(),
});
const indexSchema = z.object({
  version: z.number().int(),
  renderKey: z.string().optional(),
  posts: z.record(z.string(), entrySchema),
  refused: z.record(z.string(), z.string()).optional(),
});

/** Thrown when a stored index is not one this code wrote. */
export class PostIndexError extends Error {
  override name = 'PostIndexError';
}

/** An index with no posts. */
export function emptyIndex(): PostIndex {
  return { version: POST_INDEX_VERSION, posts: {} };
}

/**
 * Validates a stored index (parsed JSON). An index of another version is returned empty of its
 * render key, so the next publish re-renders the whole site from it.
 *
 * @throws PostIndexError naming the field when the object is not an index.
 */
export function parsePostIndex(value: unknown, file: string): PostIndex {
  const parsed = indexSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new PostIndexError(`${file}: ${where}: ${issue?.message ?? 'not a post index'}`, {
      cause: parsed.error,
    });
  }
  const index = parsed.data as PostIndex;
  if (index.version !== POST_INDEX_VERSION) {
    const { posts, refused } = index;
    return { version: POST_INDEX_VERSION, posts, ...(refused === undefined ? {} : { refused }) };
  }
  return index;
}

/** The index entry for a rendered post read from `sourceKey`. */
export function indexEntry(rendered: RenderedPost, sourceKey: string, firstPublishedAt?: Date): IndexEntry {
  const { post } = rendered;
  return {
    id: post.id,
    sourceKey,
    slug: post.slug,
    title: post.title,
    date: post.date.toISOString(),
    updated: post.updated.toISOString(),
    path: post.path,
    url: post.url,
    guid: post.guid,
    ...(post.summary === undefined ? {} : { summary: post.summary }),
    excerpt: postListing(rendered).excerpt,
    tags: [...post.tags],
    ...(post.categories.length === 0 ? {} : { categories: [...post.categories] }),
    authors: post.authors.map((a) => ({ ...a })),
    ...(post.image === undefined ? {} : { image: post.image }),
    draft: post.draft,
    ...(firstPublishedAt === undefined ? {} : { firstPublishedAt: firstPublishedAt.toISOString() }),
  };
}

/** Adds or replaces the entry with `entry.id`. */
export function upsertEntry(index: PostIndex, entry: IndexEntry): PostIndex {
  return { ...index, posts: { ...index.posts, [entry.id]: entry } };
}

/** Removes the entry with this id, if any. */
export function removeEntry(index: PostIndex, id: string): PostIndex {
  if (!(id in index.posts)) return index;
  const posts = { ...index.posts };
  delete posts[id];
  return { ...index, posts };
}

/**
 * The entry whose source is `sourceKey`, if any. A post renamed with a stable `id` has moved to
 * its new key already when the removal of the old key arrives late, so that removal finds nothing.
 */
export function entryForSource(index: PostIndex, sourceKey: string): IndexEntry | undefined {
  return Object.values(index.posts).find((entry) => entry.sourceKey === sourceKey);
}

/** Records that the source `sourceKey` was refused because another source owns `id`. */
export function refuseSource(index: PostIndex, sourceKey: string, id: string): PostIndex {
  return { ...index, refused: { ...index.refused, [sourceKey]: id } };
}

/** Forgets a refusal of `sourceKey`, if any. */
export function forgetRefusal(index: PostIndex, sourceKey: string): PostIndex {
  if (index.refused?.[sourceKey] === undefined) return index;
  const refused = { ...index.refused };
  delete refused[sourceKey];
  return { ...index, refused };
}

/** The refused source first in line (by key) to take the post `id` over when its owner leaves. */
export function nextInLine(index: PostIndex, id: string): string | undefined {
  return Object.keys(index.refused ?? {})
    .filter((key) => index.refused?.[key] === id)
    .sort()[0];
}

/** Published (non-draft) entries in the site's order, newest first. */
export function publishedEntries(index: PostIndex): IndexEntry[] {
  return Object.values(index.posts)
    .filter((entry) => !entry.draft)
    .map((entry) => ({ entry, key: { date: new Date(entry.date), path: entry.path } }))
    .sort((a, b) => compareNewestFirst(a.key, b.key))
    .map(({ entry }) => entry);
}

/** The page-rendering view of an entry. */
export function entryListing(entry: IndexEntry): PostListing {
  return {
    title: entry.title,
    path: entry.path,
    url: entry.url,
    date: new Date(entry.date),
    updated: new Date(entry.updated),
    excerpt: entry.excerpt,
    authors: entry.authors,
    tags: entry.tags,
    ...(entry.image === undefined ? {} : { image: entry.image }),
  };
}

/**
 * A {@link Post} rebuilt from an entry, for the feeds: every field they read is real; the body is
 * not kept (feeds take the stored portable HTML instead).
 */
export function entryPost(entry: IndexEntry): Post {
  return {
    id: entry.id,
    guid: entry.guid,
    sourcePath: entry.sourceKey,
    slug: entry.slug,
    title: entry.title,
    date: new Date(entry.date),
    updated: new Date(entry.updated),
    path: entry.path,
    url: entry.url,
    authors: entry.authors,
    ...(entry.summary === undefined ? {} : { summary: entry.summary }),
    ...(entry.image === undefined ? {} : { image: entry.image }),
    tags: entry.tags,
    categories: entry.categories ?? [],
    draft: entry.draft,
    body: '',
    bodyLine: 1,
    data: {},
  };
}

// Paths the site generates itself; a post may not take them (buildSite refuses the same).
const GENERATED = new Set([
  '/index.html',
  '/404.html',
  '/subscribe.html',
  '/sitemap.xml',
  '/style.css',
  '/subscribe.js',
  ...Object.values(feedPaths('/')),
]);

/**
 * Why `entry`'s page cannot be written, if it cannot: another post (other id) already has the same
 * page, or the page would replace a generated file, a tag page, or the private state prefix.
 *
 * @param filePath the site file the entry's page is written to (see `filePath` in build-site).
 */
export function pathConflict(
  index: PostIndex,
  entry: IndexEntry,
  filePath: (path: string) => string,
): ContentProblem | undefined {
  if (entry.draft) return undefined;
  const file = filePath(entry.path);
  const problem = (message: string): ContentProblem => ({
    file: entry.sourceKey,
    field: 'permalink',
    message,
  });
  if (GENERATED.has(file) || file.startsWith('/tags/')) {
    return problem(`writes ${file}, which the generated page ${file} also writes`);
  }
  if (file.startsWith('/_herald/')) return problem(`writes ${file}, inside Herald's private state prefix`);
  for (const other of Object.values(index.posts)) {
    if (other.id === entry.id || other.draft) continue;
    if (filePath(other.path) === file) return problem(`writes ${file}, which ${other.sourceKey} also writes`);
  }
  return undefined;
}
