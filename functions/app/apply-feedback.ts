/**
 * Applying SES feedback: bounce and complaint notifications (delivered through SNS). Accepts both the classic
 * notification shape (`notificationType`) and the configuration-set event shape (`eventType`).
 * Permanent bounces and complaints suppress the address at once and forever; transient bounces
 * are counted and suppress after a threshold. Failures are thrown so SNS/Lambda retries and the
 * DLQ keep the notification.
 */
// zod/mini: the classic build would double this function's bundle and cold start.
import * as z from 'zod/mini';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import {
  DEFAULT_POLICY,
  decideFeedback,
  type Feedback,
  type SubscriptionPolicy,
} from '../core/subscriber.ts';
import type { Log, SubscriberStore } from './ports.ts';

/** What the feedback handler depends on. */
export interface FeedbackDeps {
  store: SubscriberStore;
  policy: Pick<SubscriptionPolicy, 'transientBounceThreshold'>;
  now: () => Date;
  logger: Pick<Log, 'info' | 'warn' | 'error'>;
}

/** A notification we could not understand; rethrown so it lands in the DLQ. */
export class FeedbackError extends Error {
  override name = 'FeedbackError';
}

const recipient = z.looseObject({ emailAddress: z.string() });
const sesMessage = z.looseObject({
  notificationType: z.optional(z.string()),
  eventType: z.optional(z.string()),
  bounce: z.optional(z.looseObject({ bounceType: z.string(), bouncedRecipients: z.array(recipient) })),
  complaint: z.optional(z.looseObject({ complainedRecipients: z.array(recipient) })),
});

/** One address and what happened to it. */
export interface FeedbackItem {
  email: string;
  feedback: Feedback;
}

/** Extracts the affected addresses from one SES notification (already JSON-parsed). */
export function readSesNotification(value: unknown): FeedbackItem[] {
  const parsed = sesMessage.safeParse(value);
  if (!parsed.success)
    throw new FeedbackError('SES notification has an unexpected shape', { cause: parsed.error });
  const message = parsed.data;
  const type = message.notificationType ?? message.eventType;
  if (type === 'Bounce') {
    if (!message.bounce) throw new FeedbackError('SES Bounce notification without a bounce object');
    // Undetermined bounces are treated as transient: counted, not fatal.
    const feedback: Feedback =
      message.bounce.bounceType === 'Permanent' ? 'permanent-bounce' : 'transient-bounce';
    return message.bounce.bouncedRecipients.map((r) => ({ email: r.emailAddress, feedback }));
  }
  if (type === 'Complaint') {
    if (!message.complaint) throw new FeedbackError('SES Complaint notification without a complaint object');
    return message.complaint.complainedRecipients.map((r) => ({
      email: r.emailAddress,
      feedback: 'complaint',
    }));
  }
  return []; // Delivery, Send, Open…: nothing to do here.
}

// SES reports `"Name" <a@b>` for some recipients; we only key on the bare address.
function bareAddress(raw: string): string {
  const match = /<([^<>]+)>\s*$/.exec(raw);
  return (match?.[1] ?? raw).trim();
}

const MAX_SAVE_ATTEMPTS = 4;

/** Applies one feedback item to the store. */
export async function applyFeedback(
  deps: FeedbackDeps,
  item: FeedbackItem,
): Promise<'suppressed' | 'counted' | 'ignored'> {
  const raw = bareAddress(item.email);
  const normal = normalizeEmailAddress(raw);
  // Suppress whatever SES told us about, even if our normaliser would have refused it.
  const hash = addressHash(normal.ok ? normal.address : raw.toLowerCase());
  const now = deps.now();
  const policy = { ...DEFAULT_POLICY, ...deps.policy };
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const record = await deps.store.findByAddressHash(hash);
    if (!record || 'kind' in record) {
      if (item.feedback === 'transient-bounce') return 'ignored';
      await deps.store.suppress(hash, item.feedback === 'complaint' ? 'complaint' : 'bounce', now);
      return 'suppressed';
    }
    const { save } = decideFeedback(record, item.feedback, now, policy);
    if (!save) return 'ignored';
    if (save.status === 'suppressed') {
      // One unconditional update: suppression must win over any concurrent write.
      await deps.store.suppress(hash, save.suppressionReason ?? 'bounce', now);
      return 'suppressed';
    }
    if ((await deps.store.save(save)) === 'conflict') continue;
    return 'counted';
  }
  throw new FeedbackError(`feedback: too much contention on one address after ${MAX_SAVE_ATTEMPTS} attempts`);
}
