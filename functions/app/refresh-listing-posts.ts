/**
 * Jekyll posts whose Liquid lists other posts (`site.posts`, `site.tags`, `site.categories`, `page.next`
 * …) go stale when another post is published or removed. The publish path marks them in the index
 * (`listsPosts`) when it renders them, and after every change renders exactly those again — not the
 * whole site — so an archive page or a "recent posts" block stays current.
 */
import { ContentError, formatProblem } from '../core/errors.ts';
import { type JekyllSettings, jekyllPostInput } from '../core/jekyll-config.ts';
import type { SiteFiles } from '../core/liquid/site-files.ts';
import type { Post, SiteConfig } from '../core/model.ts';
import { parsePost } from '../core/parse-post.ts';
import type { PostFragments } from '../core/plan-site-update.ts';
import { type IndexEntry, indexEntry, type PostIndex, upsertEntry } from '../core/post-index.ts';
import { renderPost } from '../core/render-post.ts';
import type { Log, PostSource } from './ports.ts';

/** What the refresh changed, to merge into the site update. */
export interface ListingRefresh {
  index: PostIndex;
  /** Post ids rendered again (their pages and any feed carrying them are rewritten). */
  changed: string[];
  fresh: Map<string, PostFragments>;
}

/** The index entry of a rendered Jekyll post, with its `listsPosts` mark. */
export function markedEntry(entry: IndexEntry, listsPosts: boolean): IndexEntry {
  const { listsPosts: _old, ...rest } = entry;
  return listsPosts ? { ...rest, listsPosts: true } : rest;
}

/**
 * Renders again every published post of `index` marked `listsPosts`, except `exceptId` (the post just
 * rendered), against the content as it is now. A post that no longer renders (its source gone or its
 * Liquid now failing) is logged and left as it was: another post's publish must not fail for it.
 */
export async function refreshListingPosts(
  deps: { content: PostSource; log: Log },
  index: PostIndex,
  options: {
    exceptId?: string;
    site: SiteConfig;
    jekyll: JekyllSettings;
    siteFiles: SiteFiles;
    now: Date;
  },
): Promise<ListingRefresh> {
  const stale = Object.values(index.posts).filter(
    (e) => e.listsPosts && !e.draft && e.id !== options.exceptId,
  );
  const none: ListingRefresh = { index, changed: [], fresh: new Map() };
  if (stale.length === 0) return none;
  const targets: { entry: IndexEntry; post: Post; relativePath: string }[] = [];
  for (const entry of stale) {
    const stored = await deps.content.readPost(entry.sourceKey);
    if (!stored) continue;
    try {
      const post = parsePost(
        { path: entry.sourceKey, source: stored.source, ...jekyllPostInput(options.jekyll, entry.sourceKey) },
        options.site,
      );
      if (post.id === entry.id) targets.push({ entry, post, relativePath: entry.sourceKey });
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      logSkipped(deps, entry, error);
    }
  }
  if (targets.length === 0) return none;
  // Loaded only for a Jekyll site, as on the publish path itself.
  const { renderJekyllPosts } = await import('../core/jekyll-site.ts');
  let rendered: Awaited<ReturnType<typeof renderJekyllPosts>>;
  try {
    rendered = await renderJekyllPosts(targets, {
      site: options.site,
      settings: options.jekyll,
      siteFiles: options.siteFiles,
      now: options.now,
    });
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    for (const t of targets) logSkipped(deps, t.entry, error);
    return none;
  }
  let after = index;
  const fresh = new Map<string, PostFragments>();
  rendered.forEach(({ post, listsPosts }, i) => {
    const target = targets[i];
    if (!target) return;
    const page = renderPost(post, options.site);
    const firstPublishedAt = target.entry.firstPublishedAt
      ? new Date(target.entry.firstPublishedAt)
      : undefined;
    after = upsertEntry(
      after,
      markedEntry(indexEntry(page, target.entry.sourceKey, firstPublishedAt), listsPosts),
    );
    fresh.set(post.id, { html: page.html, portableHtml: page.portableHtml });
  });
  deps.log.info('listing posts refreshed', { posts: [...fresh.keys()] });
  return { index: after, changed: [...fresh.keys()], fresh };
}

function logSkipped(deps: { log: Log }, entry: IndexEntry, error: ContentError): void {
  deps.log.warn('listing post not refreshed', {
    postId: entry.id,
    key: entry.sourceKey,
    problems: error.problems.map(formatProblem),
  });
}
