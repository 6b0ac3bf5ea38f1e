/**
 * Mail to the `mailto:` unsubscribe address (the second target of `List-Unsubscribe`), delivered by
 * an SES receipt rule. The header From identifies the subscriber; we act only when it is
 * authenticated (`core/inbound-sender.ts`: DMARC passed, or aligned DKIM where the domain has no
 * DMARC policy), so a forged From cannot unsubscribe others. Refusals change nothing and are logged.
 * Failures are rethrown so Lambda retries the asynchronous invocation.
 */
import type { SESEventRecord } from 'aws-lambda';
import { addressHash } from '../core/email-address.ts';
import { judgeInboundSender, type RefusalReason } from '../core/inbound-sender.ts';
import { decideUnsubscribe } from '../core/subscriber.ts';
import type { Log, SubscriberStore } from './ports.ts';

/** What the inbound unsubscribe handler depends on. */
export interface InboundUnsubscribeDeps {
  store: SubscriberStore;
  now: () => Date;
  logger: Pick<Log, 'info' | 'warn' | 'error'>;
}

/** What happened to one message; a refusal changes nothing. */
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
