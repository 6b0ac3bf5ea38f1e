/**
 * SES bounce and complaint notifications, delivered through SNS. Accepts both the classic
 * notification shape (`notificationType`) and the configuration-set event shape (`eventType`).
 * Permanent bounces and complaints suppress the address at once and forever; transient bounces
 * are counted and suppress after a threshold. Failures are rethrown so SNS/Lambda retries and the
 * DLQ keep the notification.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
// zod/mini: the classic build would double this function's bundle and cold start.
import * as z from 'zod/mini';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import {
  DEFAULT_POLICY,
  decideFeedback,
  type Feedback,
  type SubscriptionPolicy,
} from '../core/subscriber.ts';
import { loadFeedbackConfig } from './config.ts';
import { createLogger, type LoggerLike } from './subscription-deps.ts';

/** What the feedback handler depends on. */
export interface FeedbackDeps {
  store: SubscriberStore;
  policy: Pick<SubscriptionPolicy, 'transientBounceThreshold'>;
  now: () => Date;
  logger: LoggerLike;
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

/** Builds the SNS handler over injected deps. Throws (after logging) so the record is retried. */
export function createFeedbackHandler(deps: FeedbackDeps) {
  return async (event: SNSEvent): Promise<void> => {
    for (const record of event.Records) {
      let message: unknown;
      try {
        message = JSON.parse(record.Sns.Message);
      } catch (error) {
        deps.logger.error('feedback message is not JSON', { messageId: record.Sns.MessageId });
        throw new FeedbackError(`SNS message ${record.Sns.MessageId} is not JSON`, { cause: error });
      }
      const items = readSesNotification(message);
      for (const item of items) {
        const outcome = await applyFeedback(deps, item);
        deps.logger.info('feedback applied', {
          kind: item.feedback,
          outcome,
          messageId: record.Sns.MessageId,
        });
      }
    }
  };
}

function fromEnv(): (event: SNSEvent) => Promise<void> {
  const config = loadFeedbackConfig(process.env);
  return createFeedbackHandler({
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    policy: { transientBounceThreshold: config.transientBounceThreshold },
    now: () => new Date(),
    logger: createLogger(),
  });
}

// Inside Lambda, build at init so a bad environment fails the cold start naming the variable.
let built = process.env.AWS_LAMBDA_FUNCTION_NAME ? fromEnv() : undefined;

/** The Lambda entry point. */
export async function handler(event: SNSEvent): Promise<void> {
  built ??= fromEnv();
  return built(event);
}
