import type { SESEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { createInboundUnsubscribeHandler } from '../../../functions/handlers/inbound-unsubscribe.ts';
import { silentLogger } from '../../../functions/local/subscriptions.ts';
import { freshAddress, type Harness, startHarness } from './harness.ts';

type Verdict = 'PASS' | 'FAIL' | 'GRAY';

/** The event an SES receipt rule's Lambda action delivers for one inbound message. */
function inboundMail(
  from: string,
  verdicts: { spf?: Verdict; dkim?: Verdict; spam?: Verdict } = {},
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
            headers: [],
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
            dmarcVerdict: { status: 'PASS' },
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

    await handler(inboundMail(email, { spf: 'FAIL', dkim: 'FAIL' }));
    await handler(inboundMail(email, { spam: 'FAIL' }));

    expect(await status(h, email)).toBe('confirmed');
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
