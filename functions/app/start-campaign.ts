/**
 * Starting a campaign: one per post id, ever. The conditional create in the store is the only
 * guard, so duplicate S3 events, re-uploads, edits and renames can never mail a post twice.
 */
import type { Campaign, CampaignDelivery, CampaignRecord } from '../core/campaign.ts';
import type { Post, SiteConfig } from '../core/model.ts';
import type { RenderedEmail } from '../core/personalize.ts';
import { type CampaignAudience, postAudience } from '../core/topics.ts';

/** The campaign store's create side. */
export interface CampaignCreator {
  /** Writes `record` if nothing exists for its post id; otherwise returns what does. */
  create(
    record: CampaignRecord,
    email?: RenderedEmail,
  ): Promise<{ created: true } | { created: false; existing: CampaignRecord }>;
}

/** What {@link startCampaign} needs. */
export interface StartCampaignDeps {
  campaigns: CampaignCreator;
  /** Confirmed subscribers at `at` (confirmed at or before it), of `audience` when given. */
  countConfirmed(at: Date, audience?: CampaignAudience): Promise<number>;
  /** Kicks off fan-out (async invoke on AWS, the local queue locally). */
  startFanout(postId: string): Promise<void>;
}

/** Result of {@link startCampaign}. */
export type StartResult =
  | { started: true; campaign: Campaign }
  | { started: false; existing: CampaignRecord };

/** Sender details for a post's campaign, from the site config. */
export function campaignDelivery(
  post: Pick<Post, 'url' | 'tags' | 'data'>,
  site: SiteConfig,
): CampaignDelivery {
  const n = site.newsletter;
  const topics = n.topics ?? [];
  return {
    postUrl: post.url,
    siteUrl: `${site.url}${site.baseurl}`.replace(/\/+$/, ''),
    from: { name: n.fromName, address: n.fromAddress },
    ...(n.replyTo ? { replyTo: n.replyTo } : {}),
    ...(n.unsubscribeMailto ? { unsubscribeMailto: n.unsubscribeMailto } : {}),
    ...(topics.length > 0 ? { audience: postAudience(post, topics).audience } : {}),
  };
}

/**
 * Creates the campaign for a post (conditional write) and starts fan-out. A second call for the
 * same post id, or for a post recorded as not-to-mail, returns `{ started: false, existing }` and
 * sends nothing. If the fan-out trigger fails after the create, the campaign exists and the
 * reconciler (or a retried publish event calling `resumeFanout`) picks it up.
 */
export async function startCampaign(
  deps: StartCampaignDeps,
  input: { postId: string; email: RenderedEmail; delivery: CampaignDelivery; now: Date },
): Promise<StartResult> {
  const recipientCount = await deps.countConfirmed(input.now, input.delivery.audience);
  const campaign: Campaign = {
    kind: 'campaign',
    postId: input.postId,
    status: 'sending',
    startedAt: input.now,
    recipientCount,
    subject: input.email.subject,
    delivery: input.delivery,
    fanout: { done: false, page: 0, enqueued: 0 },
    updatedAt: input.now,
  };
  const result = await deps.campaigns.create(campaign, input.email);
  if (!result.created) return { started: false, existing: result.existing };
  await deps.startFanout(input.postId);
  return { started: true, campaign };
}

/**
 * Remembers that a post must never be mailed (e.g. too old when first published). Uses the same
 * conditional create, so it never overrides a real campaign and a later publish never mails it.
 */
export async function recordNotToMail(
  deps: Pick<StartCampaignDeps, 'campaigns'>,
  input: { postId: string; reason: string; now: Date },
): Promise<{ recorded: true } | { recorded: false; existing: CampaignRecord }> {
  const result = await deps.campaigns.create({
    kind: 'not-to-mail',
    postId: input.postId,
    reason: input.reason,
    recordedAt: input.now,
  });
  return result.created ? { recorded: true } : { recorded: false, existing: result.existing };
}
