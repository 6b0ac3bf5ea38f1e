/**
 * Mail to the `mailto:` unsubscribe address (the second target of `List-Unsubscribe`), delivered by
 * an SES receipt rule. The sender's address identifies the subscriber; we act only when SES vouches
 * for it (SPF or DKIM passed, no spam or virus verdict), so a forged From cannot unsubscribe others.
 * Failures are rethrown so Lambda retries the asynchronous invocation.
 */
import type { SESEventRecord } from 'aws-lambda';
import type { Logger } from '../adapters/json-logger.ts';
import type { SubscriberStore } from '../adapters/subscriber-store.ts';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import { decideUnsubscribe } from '../core/subscriber.ts';

/** What the inbound unsubscribe handler depends on. */
export interface InboundUnsubscribeDeps {
  store: SubscriberStore;
  now: () => Date;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** Why a message was not acted on, or what happened. */
export type InboundOutcome = 'unsubscribed' | 'not-subscribed' | 'unverified-sender' | 'unreadable-sender';

const MAX_SAVE_ATTEMPTS = 4;

/** SES verdicts say the sender is who it claims to be and the message is not spam or a virus. */
export function senderIsVouchedFor(record: SESEventRecord): boolean {
  const r = record.ses.receipt;
  const authenticated = r.spfVerdict?.status === 'PASS' || r.dkimVerdict?.status === 'PASS';
  const clean = r.spamVerdict?.status !== 'FAIL' && r.virusVerdict?.status !== 'FAIL';
  return authenticated && clean;
}

function senderAddress(record: SESEventRecord): string | undefined {
  const from = record.ses.mail.commonHeaders.from?.[0] ?? record.ses.mail.source;
  const bare = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const normal = normalizeEmailAddress(bare);
  return normal.ok ? normal.address : undefined;
}

/** Unsubscribes the (verified) sender of one inbound message. */
export async function unsubscribeSender(
  deps: InboundUnsubscribeDeps,
  record: SESEventRecord,
): Promise<InboundOutcome> {
  if (!senderIsVouchedFor(record)) return 'unverified-sender';
  const address = senderAddress(record);
  if (!address) return 'unreadable-sender';
  const hash = addressHash(address);
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(hash);
    if (!sub || 'kind' in sub) return 'not-subscribed';
    const { save } = decideUnsubscribe(sub, deps.now());
    if (!save) return 'unsubscribed';
    if ((await deps.store.save(save)) === 'saved') return 'unsubscribed';
  }
  throw new Error(`inbound unsubscribe: too much contention after ${MAX_SAVE_ATTEMPTS} attempts`);
}
