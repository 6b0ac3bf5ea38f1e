import type { SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { createFeedbackHandler } from '../../../functions/handlers/feedback.ts';
import { silentLogger } from '../../../functions/local/subscriptions.ts';
import { freshAddress, type Harness, startHarness } from './harness.ts';

function snsEvent(...messages: unknown[]): SNSEvent {
  return {
    Records: messages.map((message, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:eu-central-1:123456789012:ses-feedback:sub',
      Sns: {
        Type: 'Notification',
        MessageId: `m-${i}`,
        TopicArn: 'arn:aws:sns:eu-central-1:123456789012:ses-feedback',
        Subject: '',
        Message: typeof message === 'string' ? message : JSON.stringify(message),
        Timestamp: '2026-05-02T10:00:00.000Z',
        SignatureVersion: '1',
        Signature: '',
        SigningCertUrl: '',
        UnsubscribeUrl: '',
        MessageAttributes: {},
      },
    })),
  };
}

const bounce = (email: string, bounceType: string) => ({
  notificationType: 'Bounce',
  bounce: { bounceType, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: email }] },
  mail: { messageId: 'ses-1', destination: [email] },
});

async function confirmed(h: Harness, label: string): Promise<string> {
  const email = freshAddress(label);
  await h.subscribe({ email });
  await h.confirm(await h.confirmTokenFor(email));
  return email;
}

function feedbackHandler(h: Harness) {
  return createFeedbackHandler({
    store: h.store,
    policy: { transientBounceThreshold: 3 },
    now: () => h.clock.now,
    logger: silentLogger(),
  });
}

async function record(h: Harness, email: string) {
  return h.store.findByAddressHash(addressHash(email));
}

describe('SES feedback', () => {
  it('suppresses at once on a permanent bounce (classic notification) and drops from the mailing index', async () => {
    const h = await startHarness();
    const email = await confirmed(h, 'hard');

    await feedbackHandler(h)(snsEvent(bounce(email, 'Permanent')));

    const sub = await record(h, email);
    expect(isSubscriber(sub) && sub.status).toBe('suppressed');
    expect(isSubscriber(sub) && sub.suppressionReason).toBe('bounce');
    expect((await h.store.listConfirmed({ limit: 100 })).subscribers).toEqual([]);
    expect(await h.store.isSuppressed(addressHash(email))).toBe(true);
  });

  it('suppresses on a complaint in the event-publishing shape, and a later subscribe mails nothing', async () => {
    const h = await startHarness();
    const email = await confirmed(h, 'complaint');

    await feedbackHandler(h)(
      snsEvent({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: email }] } }),
    );
    h.clock.now = new Date(h.clock.now.getTime() + 3600_000);
    const again = await h.subscribe({ email });

    const sub = await record(h, email);
    expect(isSubscriber(sub) && sub.suppressionReason).toBe('complaint');
    expect(again.statusCode).toBe(200);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('counts transient bounces and suppresses at the threshold', async () => {
    const h = await startHarness();
    const email = await confirmed(h, 'soft');
    const handler = feedbackHandler(h);

    await handler(snsEvent(bounce(email, 'Transient'), bounce(email, 'Transient')));
    const afterTwo = await record(h, email);
    await handler(snsEvent(bounce(email, 'Transient')));

    expect(isSubscriber(afterTwo) && [afterTwo.status, afterTwo.softBounces]).toEqual(['confirmed', 2]);
    const sub = await record(h, email);
    expect(isSubscriber(sub) && sub.status).toBe('suppressed');
  });

  it('suppresses an address it never stored, so subscribing it later sends nothing', async () => {
    const h = await startHarness();
    const email = freshAddress('stranger');

    await feedbackHandler(h)(snsEvent(bounce(`"Some One" <${email}>`, 'Permanent')));
    await h.subscribe({ email });

    expect(await h.store.isSuppressed(addressHash(email))).toBe(true);
    expect(await h.emailsTo(email)).toHaveLength(0);
  });

  it('ignores delivery notifications', async () => {
    const h = await startHarness();
    const email = await confirmed(h, 'delivered');

    await feedbackHandler(h)(snsEvent({ notificationType: 'Delivery', delivery: { recipients: [email] } }));

    const sub = await record(h, email);
    expect(isSubscriber(sub) && sub.status).toBe('confirmed');
  });

  it('rethrows on a message it cannot read so SNS retries and the DLQ keeps it', async () => {
    const h = await startHarness();
    const handler = feedbackHandler(h);

    const notJson = handler(snsEvent('{not json'));
    const noBounce = handler(snsEvent({ notificationType: 'Bounce' }));

    await expect(notJson).rejects.toThrow('is not JSON');
    await expect(noBounce).rejects.toThrow('without a bounce object');
  });
});
