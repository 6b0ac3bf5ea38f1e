/**
 * Publishing a post: a post created in or removed from the content bucket becomes site pages,
 * feeds and (once per post id, ever) a newsletter campaign.
 *
 * Messages: an S3 event notification, or `{ "herald": "scheduled-publish", "key": … }` from the
 * one-time schedule of a future-dated post. Each returns a typed {@link PublishOutcome} per record,
 * which the handler, the local runtime's reporter and the benchmark read.
 *
 * An id belongs to the source that has it in the index as long as that source exists: another
 * file claiming it is refused (and published in its place once the owner's file is removed).
 *
 * Publishes are serialised (reserved concurrency 1 on AWS; the local runtime runs one at a time),
 * which is what makes the read-modify-write of the post index safe without locking. Each step is
 * idempotent, and the index is written last, so a crash midway is repaired by the retry.
 */
import { z } from 'zod';
import { filePath, type SiteTemplates } from '../core/build-site.ts';
import type { CampaignRecord } from '../core/campaign.ts';
import { ContentError, type ContentProblem, formatProblem } from '../core/errors.ts';
import { type JekyllSettings, jekyllPostInput } from '../core/jekyll-config.ts';
import { planJekyllFeeds, renderJekyllFeeds } from '../core/jekyll-feed-update.ts';
import { memoizedSiteFiles, memorySiteFiles } from '../core/liquid/site-files.ts';
import { shouldMail } from '../core/mailing-policy.ts';
import type { Post, SiteConfig } from '../core/model.ts';
import { parsePost } from '../core/parse-post.ts';
import {
  type PostFragments,
  planSiteUpdate,
  renderKey,
  renderSiteUpdate,
  type SiteUpdatePlan,
} from '../core/plan-site-update.ts';
import {
  entryForSource,
  forgetRefusal,
  indexEntry,
  nextInLine,
  type PostIndex,
  pathConflict,
  refuseSource,
  removeEntry,
  upsertEntry,
} from '../core/post-index.ts';
import { renderPost } from '../core/render-post.ts';
import { scheduledPublishSchema, scheduleName } from '../core/scheduled-publish.ts';
import type { EmailRenderer, IoCounter, Log, PostSource, PublishScheduler, SiteStore } from './ports.ts';
import { markedEntry, refreshListingPosts } from './refresh-listing-posts.ts';
import {
  campaignDelivery,
  recordNotToMail,
  type StartCampaignDeps,
  startCampaign,
} from './start-campaign.ts';

/** Structured log lines: a static message plus context. */
export type PublishLog = Log;

/** Everything publishing talks to. */
export interface PublishDeps {
  content: PostSource;
  site: SiteStore;
  /** The site page templates (cached by the caller). */
  templates(): Promise<SiteTemplates>;
  /** The newsletter renderer (mjml): the publish Lambda renders each campaign's email once. */
  emails: EmailRenderer;
  /** Campaign creation; `get` lets an edit of a mailed post skip rendering the email again. */
  delivery: StartCampaignDeps & {
    campaigns: StartCampaignDeps['campaigns'] & { get?(postId: string): Promise<CampaignRecord | undefined> };
  };
  scheduler: PublishScheduler;
  now: () => Date;
  log: PublishLog;
  /** Counts objects read and written by the adapters (shared with them). */
  counter?: IoCounter;
  /** Events naming another bucket are ignored. */
  contentBucket?: string;
  /** The site URL the subscription API links to; a site config disagreeing with it is logged. */
  siteUrl?: string;
}

/** What the mailing step did. */
export type MailOutcome =
  | { mailed: true; recipients: number }
  | {
      mailed: false;
      reason: string;
      /** Why, in words, when the post was recorded as never to be mailed. */
      detail?: string;
      recorded?: boolean;
      existing?: CampaignRecord['kind'];
    };

/** What one event record did. */
export type PublishOutcome =
  | {
      action: 'published';
      key: string;
      postId: string;
      draft: boolean;
      mail: MailOutcome;
      written: number;
      deleted: string[];
      plan: SiteUpdatePlan;
      reads: number;
    }
  | { action: 'scheduled'; key: string; postId: string; at: Date; schedule: string }
  | { action: 'unpublished'; key: string; postId: string; written: number; deleted: string[]; reads: number }
  /** Another existing source owns the post's id: nothing changed but the record of the refusal. */
  | { action: 'refused'; key: string; postId: string; owner: string; problem: ContentProblem }
  | { action: 'ignored'; key: string; reason: string };

const s3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }),
  }),
});
const s3EventSchema = z.object({ Records: z.array(s3RecordSchema) });
const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

/** Thrown for an event the handler does not understand (it would never succeed on retry either). */
export class PublishEventError extends Error {
  override name = 'PublishEventError';
}

/** S3 keys in events are URL-encoded, with `+` for a space. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Herald's layout keeps posts under `posts/`, Jekyll's under `_posts/` (or `<category>/_posts/`). */
export function isPostKey(key: string): boolean {
  return /\.(md|markdown)$/i.test(key) && (key.startsWith('posts/') || /(^|\/)_posts\//.test(key));
}

/** A Jekyll draft (`_drafts/x.md`): published only when the site's `show_drafts` is on (`herald dev --drafts`). */
export function isDraftKey(key: string): boolean {
  return /\.(md|markdown)$/i.test(key) && key.startsWith('_drafts/');
}

/**
 * Publishes the post at `key` as it is in the bucket now: parse and validate it, update the index
 * and the affected pages, then decide about mailing. A future-dated post is only scheduled.
 *
 * @throws ContentError for an invalid post or site config (after logging every problem).
 */
export async function publishKey(deps: PublishDeps, key: string): Promise<PublishOutcome> {
  const readsBefore = deps.counter?.reads ?? 0;
  const loaded = await loadSite(deps);
  const { site } = loaded;
  const stored = await deps.content.readPost(key);
  if (!stored) return { action: 'ignored', key, reason: 'the source no longer exists' };

  let post: Post;
  const jekyll = loaded.jekyll;
  const draftFile = isDraftKey(key);
  if (draftFile && !jekyll?.showDrafts)
    return { action: 'ignored', key, reason: 'a draft (show_drafts is off)' };
  const siteFiles = memoizedSiteFiles(deps.content.files?.() ?? memorySiteFiles({}));
  let listsPosts = false;
  try {
    post = parsePost(
      {
        path: key,
        source: stored.source,
        ...jekyllPostInput(jekyll, key),
        // As `jekyll --drafts`: dated by its file time unless front matter dates it, and published.
        ...(draftFile ? { draftDate: stored.lastModified ?? deps.now() } : {}),
      },
      site,
    );
    if (draftFile) post = { ...post, draft: false };
    if (jekyll) {
      // Loaded only for a Jekyll site: liquidjs stays out of the cold start of Herald-layout sites.
      const { renderJekyllPosts } = await import('../core/jekyll-site.ts');
      const [done] = await renderJekyllPosts([{ post, relativePath: key }], {
        site,
        settings: jekyll,
        siteFiles,
        now: deps.now(),
      });
      if (done) ({ post, listsPosts } = done);
    }
  } catch (error) {
    if (error instanceof ContentError) logProblems(deps, key, error);
    throw error;
  }

  const now = deps.now();
  if (!post.draft && post.date.getTime() > now.getTime() && !jekyll?.future) {
    const name = scheduleName(post.id);
    const result = await deps.scheduler.schedule({ name, at: post.date, key });
    deps.log.info('post scheduled', {
      key,
      postId: post.id,
      at: post.date.toISOString(),
      schedule: name,
      result,
    });
    return { action: 'scheduled', key, postId: post.id, at: post.date, schedule: name };
  }

  const rendered = renderPost(post, site);
  const templates = await deps.templates();
  const before = await deps.site.readIndex();
  const owner = before.posts[post.id]?.sourceKey;
  // Another file owns this id, unless it is gone: then this is a rename whose removal comes later.
  if (owner !== undefined && owner !== key && (await deps.content.exists(owner))) {
    return refuseDuplicate(deps, before, key, post.id, owner);
  }
  let after: PostIndex = forgetRefusal(before, key);
  // The same file now carrying another id is another post: the old one leaves the site.
  const replaced = Object.values(before.posts).filter((e) => e.sourceKey === key && e.id !== post.id);
  for (const entry of replaced) after = removeEntry(after, entry.id);
  const previous = before.posts[post.id];
  const firstPublishedAt = previous?.firstPublishedAt
    ? new Date(previous.firstPublishedAt)
    : post.draft
      ? undefined
      : now;
  const entry = indexEntry(rendered, key, firstPublishedAt);
  const conflict = pathConflict(after, entry, filePath);
  if (conflict) {
    const error = new ContentError([conflict]);
    logProblems(deps, key, error);
    throw error;
  }
  after = { ...upsertEntry(after, markedEntry(entry, listsPosts)), renderKey: renderKey(site, templates) };
  // Jekyll posts that list other posts see this one now.
  const refresh = jekyll
    ? await refreshListingPosts(deps, after, { exceptId: post.id, site, jekyll, siteFiles, now })
    : undefined;
  if (refresh) after = refresh.index;

  const fresh: PostFragments = { html: rendered.html, portableHtml: rendered.portableHtml };
  const update = await applyUpdate(
    deps,
    before,
    after,
    [post.id, ...(refresh?.changed ?? [])],
    site,
    templates,
    new Map([[post.id, fresh], ...(refresh?.fresh ?? [])]),
    jekyll,
  );
  await deps.site.writeFragments(post.id, fresh);
  for (const [id, fragments] of refresh?.fresh ?? []) await deps.site.writeFragments(id, fragments);
  for (const old of replaced) await deps.site.deleteFragments(old.id);
  await deps.site.writeIndex(after);

  const mail = await mailing(deps, post, rendered, site, now, firstPublishedAt);
  const outcome: PublishOutcome = {
    action: 'published',
    key,
    postId: post.id,
    draft: post.draft,
    mail,
    written: update.written,
    deleted: update.deleted,
    plan: update.plan,
    reads: (deps.counter?.reads ?? 0) - readsBefore,
  };
  deps.log.info('post published', {
    key,
    postId: post.id,
    draft: post.draft,
    mail,
    written: update.written,
    deleted: update.deleted.length,
    reads: outcome.reads,
  });
  return outcome;
}

/**
 * Unpublishes the post whose source was `key`: only if the index still has that key as the post's
 * source (a rename with a stable id may have moved it already) and the object is really gone (a
 * late removal event after a re-upload must not take the post down). Nothing is mailed.
 */
export async function unpublishKey(deps: PublishDeps, key: string): Promise<PublishOutcome> {
  const readsBefore = deps.counter?.reads ?? 0;
  const before = await deps.site.readIndex();
  const entry = entryForSource(before, key);
  if (!entry) {
    if (before.refused?.[key] === undefined || (await deps.content.exists(key))) {
      return { action: 'ignored', key, reason: 'no published post has this source' };
    }
    await deps.site.writeIndex(forgetRefusal(before, key));
    return { action: 'ignored', key, reason: 'a refused duplicate was removed' };
  }
  if (await deps.content.exists(key)) {
    return { action: 'ignored', key, reason: 'the source exists again (late removal event)' };
  }
  // A duplicate refused for this id takes the post's place, as after a rename, rather than a gap.
  let index = before;
  for (let heir = nextInLine(index, entry.id); heir; heir = nextInLine(index, entry.id)) {
    const outcome = await publishHeir(deps, index, heir);
    if (outcome.action === 'published') return outcome;
    index = forgetRefusal(index, heir);
  }
  const { site, jekyll } = await loadSite(deps);
  const templates = await deps.templates();
  let after = {
    ...removeEntry(forgetRefusal(index, key), entry.id),
    renderKey: renderKey(site, templates),
  };
  const refresh = jekyll
    ? await refreshListingPosts(deps, after, {
        site,
        jekyll,
        siteFiles: deps.content.files?.() ?? memorySiteFiles({}),
        now: deps.now(),
      })
    : undefined;
  if (refresh) after = { ...refresh.index, renderKey: after.renderKey };
  const update = await applyUpdate(
    deps,
    before,
    after,
    refresh?.changed ?? [],
    site,
    templates,
    refresh?.fresh ?? new Map(),
    jekyll,
  );
  for (const [id, fragments] of refresh?.fresh ?? []) await deps.site.writeFragments(id, fragments);
  await deps.site.deleteFragments(entry.id);
  await deps.site.writeIndex(after);
  const reads = (deps.counter?.reads ?? 0) - readsBefore;
  deps.log.info('post unpublished', { key, postId: entry.id, written: update.written, reads });
  return {
    action: 'unpublished',
    key,
    postId: entry.id,
    written: update.written,
    deleted: update.deleted,
    reads,
  };
}

/**
 * Refuses the post at `key` because `owner`, which still exists, has its id: logged as an error
 * naming both files, remembered in the index so that the post takes over when `owner` is removed.
 */
async function refuseDuplicate(
  deps: PublishDeps,
  before: PostIndex,
  key: string,
  postId: string,
  owner: string,
): Promise<PublishOutcome> {
  const problem: ContentProblem = {
    file: key,
    field: 'id',
    message: `id '${postId}' is already used by ${owner}, so this post is not published; give it another id, or remove ${owner} (this post then takes its place)`,
  };
  deps.log.error('duplicate post id', { key, postId, owner, text: formatProblem(problem) });
  if (before.refused?.[key] !== postId) await deps.site.writeIndex(refuseSource(before, key, postId));
  return { action: 'refused', key, postId, owner, problem };
}

/** Publishes the refused `heir` now that its id's owner is gone; an invalid heir is forgotten. */
async function publishHeir(deps: PublishDeps, index: PostIndex, heir: string): Promise<PublishOutcome> {
  try {
    return await publishKey(deps, heir);
  } catch (error) {
    // The heir's own content is at fault: the retry of the removal unpublishes as if it were not there.
    if (error instanceof ContentError && error.problems.some((p) => p.file === heir)) {
      await deps.site.writeIndex(forgetRefusal(index, heir));
    }
    throw error;
  }
}

async function loadSite(deps: PublishDeps) {
  try {
    const loaded = await deps.content.loadSite();
    const url = `${loaded.site.url}${loaded.site.baseurl}`;
    if (deps.siteUrl && deps.siteUrl.replace(/\/+$/, '') !== url) {
      deps.log.warn('site url differs from SITE_URL', { file: loaded.file, siteUrl: url, env: deps.siteUrl });
    }
    return loaded;
  } catch (error) {
    if (error instanceof ContentError) logProblems(deps, 'site config', error);
    throw error;
  }
}

async function applyUpdate(
  deps: PublishDeps,
  before: PostIndex,
  after: PostIndex,
  changed: string[],
  site: SiteConfig,
  templates: SiteTemplates,
  fresh: Map<string, PostFragments>,
  jekyll?: JekyllSettings,
): Promise<{ plan: SiteUpdatePlan; written: number; deleted: string[] }> {
  const full = before.renderKey !== after.renderKey;
  const plan = planSiteUpdate(before, after, { changed, full, feedLimit: site.feed.limit });
  // jekyll-feed's extra feeds (feed.path, feed.categories, feed.tags), as `herald build` writes them.
  const extra = jekyll ? planJekyllFeeds(before, after, jekyll.feed, { changed, full }) : undefined;
  const fragments = new Map(fresh);
  const needed = [...new Set([...plan.fragments, ...(extra?.fragments ?? [])])];
  const missing = needed.filter((id) => !fragments.has(id));
  for (const [id, fragment] of await deps.site.readFragments(missing)) fragments.set(id, fragment);
  const files = renderSiteUpdate(plan, after, fragments, site, templates);
  if (jekyll && extra) files.push(...renderJekyllFeeds(extra, after, fragments, site, jekyll.feed));
  await deps.site.writeFiles(files);
  const deletes = [...plan.deletes, ...(extra?.deletes ?? [])];
  if (deletes.length > 0) await deps.site.deleteFiles(deletes);
  return { plan, written: files.length, deleted: deletes };
}

async function mailing(
  deps: PublishDeps,
  post: Post,
  rendered: ReturnType<typeof renderPost>,
  site: SiteConfig,
  now: Date,
  firstPublishedAt: Date | undefined,
): Promise<MailOutcome> {
  const decision = shouldMail(post, site, { now, ...(firstPublishedAt ? { firstPublishedAt } : {}) });
  if (!decision.mail) {
    if (!decision.record) return { mailed: false, reason: decision.reason };
    const recorded = await recordNotToMail(deps.delivery, { postId: post.id, reason: decision.detail, now });
    deps.log.info('post not mailed', { postId: post.id, reason: decision.reason, detail: decision.detail });
    const { reason, detail } = decision;
    return recorded.recorded
      ? { mailed: false, reason, detail, recorded: true }
      : { mailed: false, reason, detail, recorded: false, existing: recorded.existing.kind };
  }
  // The conditional create is the guard; this read only spares an edit of a mailed post the mjml render.
  const existing = await deps.delivery.campaigns.get?.(post.id);
  if (existing) return { mailed: false, reason: 'already-recorded', existing: existing.kind };
  const email = await deps.emails.render(rendered, site);
  const result = await startCampaign(deps.delivery, {
    postId: post.id,
    email,
    delivery: campaignDelivery(post, site),
    now,
  });
  if (!result.started) return { mailed: false, reason: 'already-recorded', existing: result.existing.kind };
  deps.log.info('campaign started', { postId: post.id, recipients: result.campaign.recipientCount });
  return { mailed: true, recipients: result.campaign.recipientCount };
}

function logProblems(deps: PublishDeps, key: string, error: ContentError): void {
  deps.log.error('invalid content', {
    key,
    problems: error.problems.map((p) => ({ ...p, text: formatProblem(p) })),
  });
}

/** Handles one S3 notification, test event or scheduled-publish message (already parsed JSON). */
export async function publishMessage(deps: PublishDeps, message: unknown): Promise<PublishOutcome[]> {
  if (testEventSchema.safeParse(message).success) return [];
  const scheduled = scheduledPublishSchema.safeParse(message);
  if (scheduled.success) return [await handleKey(deps, 'ObjectCreated:Scheduled', scheduled.data.key)];
  const s3 = s3EventSchema.safeParse(message);
  if (!s3.success) {
    throw new PublishEventError(
      `not an S3 event or scheduled publish: ${JSON.stringify(message).slice(0, 200)}`,
      {
        cause: s3.error,
      },
    );
  }
  const outcomes: PublishOutcome[] = [];
  for (const record of s3.data.Records) {
    const key = decodeS3Key(record.s3.object.key);
    if (deps.contentBucket && record.s3.bucket.name !== deps.contentBucket) {
      deps.log.warn('event for another bucket ignored', { bucket: record.s3.bucket.name, key });
      outcomes.push({ action: 'ignored', key, reason: `bucket ${record.s3.bucket.name}` });
      continue;
    }
    outcomes.push(await handleKey(deps, record.eventName, key));
  }
  return outcomes;
}

async function handleKey(deps: PublishDeps, eventName: string, key: string): Promise<PublishOutcome> {
  if (!isPostKey(key) && !isDraftKey(key)) return { action: 'ignored', key, reason: 'not a post' };
  if (eventName.startsWith('ObjectRemoved')) return unpublishKey(deps, key);
  if (eventName.startsWith('ObjectCreated')) return publishKey(deps, key);
  return { action: 'ignored', key, reason: `event ${eventName}` };
}
