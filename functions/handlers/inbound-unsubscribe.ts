/**
 * Mail to the `mailto:` unsubscribe address (the second target of `List-Unsubscribe`), delivered by
 * an SES receipt rule. The header From identifies the subscriber; we act only when it is
 * authenticated (`core/inbound-sender.ts`: DMARC passed, or aligned DKIM where the domain has no
 * DMARC policy), so a forged From cannot unsubscribe others. Refusals change nothing and are logged.
 * Failures are rethrown so Lambda retries the asynchronous invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESEvent, SESEventRecord } from 'aws-lambda';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { addressHash } from '../core/email-address.ts';
import { judgeInboundSender, type RefusalReason } from '../core/inbound-sender.ts';
import { decideUnsubscribe } from '../core/subscriber.ts';
import { loadFeedbackConfig } from './config.ts';
import { createLogger, type LoggerLike } from './subscription-deps.ts';

/** What the inbound unsubscribe handler depends on. */
export interface InboundUnsubscribeDeps {
  store: SubscriberStore;
  now: () => Date;
  logger: LoggerLike;
}

/** Why a message was not acted on, or what happened. */
export type InboundOutcome = 'unsubscribed' | 'not-subscribed';

const MAX_SAVE_ATTEMPTS = 4;

/** SES's verdicts and the DKIM-Signature headers of one record, judged (pure, in core). */
export function judgeRecord(record: SESEventRecord) {
  const r = record.ses.receipt as SESEventRecord['ses']['receipt'] & { dmarcPolicy?: string };
  return judgeInboundSender({
    from: record.ses.mail.commonHeaders.from ?? [],
    dmarcVerdict: r.dmarcVerdict?.status,
    dmarcPolicy: r.dmarcPolicy,
    dkimVerdict: r.dkimVerdict?.status,
    spamVerdict: r.spamVerdict?.status,
    virusVerdict: r.virusVerdict?.status,
    dkimSignatures: (record.ses.mail.headers ?? [])
      .filter((h) => h.name.toLowerCase() === 'dkim-signature')
      .map((h) => h.value),
  });
}

/** Unsubscribes the (authenticated) sender of one inbound message. */
export async function unsubscribeSender(
  deps: InboundUnsubscribeDeps,
  record: SESEventRecord,
): Promise<InboundOutcome | { refused: RefusalReason }> {
  const judgement = judgeRecord(record);
  if (!judgement.act) return { refused: judgement.reason };
  const hash = addressHash(judgement.address);
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(hash);
    if (!sub || 'kind' in sub) return 'not-subscribed';
    const { save } = decideUnsubscribe(sub, deps.now());
    if (!save) return 'unsubscribed';
    if ((await deps.store.save(save)) === 'saved') return 'unsubscribed';
  }
  throw new Error(`inbound unsubscribe: too much contention after ${MAX_SAVE_ATTEMPTS} attempts`);
}

/** Builds the SES receipt-rule handler over injected deps. */
export function createInboundUnsubscribeHandler(deps: InboundUnsubscribeDeps) {
  return async (event: SESEvent): Promise<void> => {
    for (const record of event.Records) {
      const outcome = await unsubscribeSender(deps, record);
      const messageId = record.ses.mail.messageId;
      if (typeof outcome === 'string') deps.logger.info('inbound unsubscribe', { outcome, messageId });
      else deps.logger.warn('inbound unsubscribe refused', { reason: outcome.refused, messageId });
    }
  };
}

function fromEnv(): (event: SESEvent) => Promise<void> {
  const config = loadFeedbackConfig(process.env);
  return createInboundUnsubscribeHandler({
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    now: () => new Date(),
    logger: createLogger(),
  });
}

// Inside Lambda, build at init so a bad environment fails the cold start naming the variable.
let built = process.env.AWS_LAMBDA_FUNCTION_NAME ? fromEnv() : undefined;

/** The Lambda entry point. */
export async function handler(event: SESEvent): Promise<void> {
  built ??= fromEnv();
  return built(event);
}
