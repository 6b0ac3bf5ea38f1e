/**
 * Publishing a post: a post created in or removed from the content bucket becomes site pages,
 * feeds and (once per post id, ever) a newsletter campaign.
 *
 * Messages: an S3 event notification, or `{ "herald": "scheduled-publish", "key": … }` from the
 * one-time schedule of a future-dated post. Each returns a typed {@link PublishOutcome} per record,
 * which the handler, the local runtime's reporter and the benchmark read.
 *
 * Publishes are serialised (reserved concurrency 1 on AWS; the local runtime runs one at a time),
 * which is what makes the read-modify-write of the post index safe without locking. Each step is
 * idempotent, and the index is written last, so a crash midway is repaired by the retry.
 */
import { z } from 'zod';
import { filePath, type SiteTemplates } from '../core/build-site.ts';
import type { CampaignRecord } from '../core/campaign.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import { jekyllPostInput } from '../core/jekyll-config.ts';
import { memorySiteFiles } from '../core/liquid/site-files.ts';
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
  indexEntry,
  type PostIndex,
  pathConflict,
  removeEntry,
  upsertEntry,
} from '../core/post-index.ts';
import { renderPost } from '../core/render-post.ts';
import { scheduledPublishSchema, scheduleName } from '../core/scheduled-publish.ts';
import type { EmailRenderer, IoCounter, Log, PostSource, PublishScheduler, SiteStore } from './ports.ts';
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
  try {
    post = parsePost({ path: key, source: stored.source, ...jekyllPostInput(jekyll, key) }, site);
    if (jekyll) {
      // Loaded only for a Jekyll site: liquidjs stays out of the cold start of Herald-layout sites.
      const { renderJekyllPost } = await import('../core/jekyll-site.ts');
      const siteFiles = deps.content.files?.() ?? memorySiteFiles({});
      post = await renderJekyllPost(post, key, { site, settings: jekyll, siteFiles, now: deps.now() });
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
  let after: PostIndex = before;
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
  after = { ...upsertEntry(after, entry), renderKey: renderKey(site, templates) };

  const fresh: PostFragments = { html: rendered.html, portableHtml: rendered.portableHtml };
  const update = await applyUpdate(
    deps,
    before,
    after,
    [post.id],
    site,
    templates,
    new Map([[post.id, fresh]]),
  );
  await deps.site.writeFragments(post.id, fresh);
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
  if (!entry) return { action: 'ignored', key, reason: 'no published post has this source' };
  if (await deps.content.exists(key)) {
    return { action: 'ignored', key, reason: 'the source exists again (late removal event)' };
  }
  const { site } = await loadSite(deps);
  const templates = await deps.templates();
  const after = { ...removeEntry(before, entry.id), renderKey: renderKey(site, templates) };
  const update = await applyUpdate(deps, before, after, [], site, templates, new Map());
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
): Promise<{ plan: SiteUpdatePlan; written: number; deleted: string[] }> {
  const plan = planSiteUpdate(before, after, {
    changed,
    full: before.renderKey !== after.renderKey,
    feedLimit: site.feed.limit,
  });
  const fragments = new Map(fresh);
  const missing = plan.fragments.filter((id) => !fragments.has(id));
  for (const [id, fragment] of await deps.site.readFragments(missing)) fragments.set(id, fragment);
  const files = renderSiteUpdate(plan, after, fragments, site, templates);
  await deps.site.writeFiles(files);
  if (plan.deletes.length > 0) await deps.site.deleteFiles(plan.deletes);
  return { plan, written: files.length, deleted: plan.deletes };
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
  if (!isPostKey(key)) return { action: 'ignored', key, reason: 'not a post' };
  if (eventName.startsWith('ObjectRemoved')) return unpublishKey(deps, key);
  if (eventName.startsWith('ObjectCreated')) return publishKey(deps, key);
  return { action: 'ignored', key, reason: `event ${eventName}` };
}
