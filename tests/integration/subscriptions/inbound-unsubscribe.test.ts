import type { SESEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { createInboundUnsubscribeHandler } from '../../../functions/handlers/inbound-unsubscribe.ts';
import { silentLogger } from '../../../functions/local/subscriptions.ts';
import { freshAddress, type Harness, startHarness } from './harness.ts';

type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED';

/** The event an SES receipt rule's Lambda action delivers for one inbound message. */
function inboundMail(
  from: string,
  verdicts: {
    spf?: Verdict;
    dkim?: Verdict;
    dmarc?: Verdict;
    dmarcPolicy?: 'none' | 'quarantine' | 'reject';
    spam?: Verdict;
    /** `d=` of each DKIM-Signature header. */
    dkimDomains?: string[];
  } = {},
): SESEvent {
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: '2026-05-02T10:00:00.000Z',
            source: from.replace(/^.*<|>$/g, ''),
            messageId: 'inbound-1',
            destination: ['unsubscribe@recaps.test'],
            headersTruncated: false,
            headers: [
              { name: 'From', value: from },
              ...(verdicts.dkimDomains ?? []).map((d) => ({
                name: 'DKIM-Signature',
                value: `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${d}; s=s1; h=from:to:subject; bh=aGk=; b=aGk=`,
              })),
            ],
            commonHeaders: {
              returnPath: from,
              from: [from],
              date: '',
              to: ['unsubscribe@recaps.test'],
              messageId: 'x',
              subject: 'unsubscribe',
            },
          },
          receipt: {
            timestamp: '2026-05-02T10:00:00.000Z',
            processingTimeMillis: 10,
            recipients: ['unsubscribe@recaps.test'],
            spamVerdict: { status: verdicts.spam ?? 'PASS' },
            virusVerdict: { status: 'PASS' },
            spfVerdict: { status: verdicts.spf ?? 'PASS' },
            dkimVerdict: { status: verdicts.dkim ?? 'PASS' },
            dmarcVerdict: { status: verdicts.dmarc ?? 'PASS' },
            ...(verdicts.dmarcPolicy ? { dmarcPolicy: verdicts.dmarcPolicy } : {}),
            action: {
              type: 'Lambda',
              functionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:x',
              invocationType: 'Event',
            },
          },
        },
      },
    ],
  } as SESEvent;
}

async function confirmed(h: Harness): Promise<string> {
  const email = freshAddress('mailto');
  await h.subscribe({ email });
  await h.confirm(await h.confirmTokenFor(email));
  return email;
}

async function status(h: Harness, email: string) {
  const record = await h.store.findByAddressHash(addressHash(email));
  return isSubscriber(record) ? record.status : undefined;
}

describe('mailto: unsubscribe (SES inbound)', () => {
  it('unsubscribes an authenticated sender, named with a display name', async () => {
    const h = await startHarness();
    const email = await confirmed(h);
    const handler = createInboundUnsubscribeHandler({
      store: h.store,
      now: () => h.clock.now,
      logger: silentLogger(),
    });

    await handler(inboundMail(`"A Reader" <${email}>`, { spf: 'FAIL', dkim: 'PASS' }));

    expect(await status(h, email)).toBe('unsubscribed');
    expect((await h.store.listConfirmed({ limit: 100 })).subscribers).toEqual([]);
  });

  it('ignores a sender SES could not authenticate, or a message marked as spam', async () => {
    const h = await startHarness();
    const email = await confirmed(h);
    const handler = createInboundUnsubscribeHandler({
      store: h.store,
      now: () => h.clock.now,
      logger: silentLogger(),
    });

    await handler(inboundMail(email, { spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'reject' }));
    await handler(inboundMail(email, { spam: 'FAIL' }));

    expect(await status(h, email)).toBe('confirmed');
  });

  it("ignores a forged From that passed only SPF (the attacker's envelope domain) and logs why", async () => {
    const h = await startHarness();
    const email = await confirmed(h);
    const warnings: unknown[][] = [];
    const handler = createInboundUnsubscribeHandler({
      store: h.store,
      now: () => h.clock.now,
      logger: { ...silentLogger(), warn: (...args: unknown[]) => void warnings.push(args) },
    });

    await handler(
      inboundMail(email, { spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY', dkimDomains: ['attacker.example'] }),
    );
    await handler(inboundMail(email, { spf: 'PASS', dkim: 'FAIL', dmarc: 'GRAY' }));
    await handler(
      inboundMail(email, { spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL', dmarcPolicy: 'quarantine' }),
    );
    await handler(inboundMail(email, { spf: 'PASS', dkim: 'PASS', dmarc: 'PROCESSING_FAILED' }));

    expect(await status(h, email)).toBe('confirmed');
    expect(warnings.map(([message, context]) => [message, (context as { reason: string }).reason])).toEqual([
      ['inbound unsubscribe refused', 'dkim-not-aligned'],
      ['inbound unsubscribe refused', 'dkim-not-passed'],
      ['inbound unsubscribe refused', 'dmarc-failed'],
      ['inbound unsubscribe refused', 'dmarc-unavailable'],
    ]);
  });

  it('acts on a domain without DMARC when a DKIM signature aligned with the From domain passed', async () => {
    const h = await startHarness();
    const email = await confirmed(h);
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const handler = createInboundUnsubscribeHandler({
      store: h.store,
      now: () => h.clock.now,
      logger: silentLogger(),
    });

    await handler(inboundMail(email, { spf: 'FAIL', dkim: 'PASS', dmarc: 'GRAY', dkimDomains: [domain] }));

    expect(await status(h, email)).toBe('unsubscribed');
  });

  it('is idempotent and quiet for addresses that are not subscribed', async () => {
    const h = await startHarness();
    const email = await confirmed(h);
    const handler = createInboundUnsubscribeHandler({
      store: h.store,
      now: () => h.clock.now,
      logger: silentLogger(),
    });

    await handler(inboundMail(email));
    await handler(inboundMail(email));
    await handler(inboundMail(freshAddress('stranger')));

    expect(await status(h, email)).toBe('unsubscribed');
  });
});
