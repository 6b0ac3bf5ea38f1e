import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../../../functions/adapters/token-keys.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { signToken } from '../../../functions/core/tokens.ts';
import { createConfirmMailerHandler } from '../../../functions/handlers/confirm-mailer.ts';
import { createSubscribeHandler } from '../../../functions/handlers/subscribe.ts';
import { createSubscriberTable, localDynamoClient } from '../../../functions/local/services.ts';
import { createLocalSubscriptionDeps } from '../../../functions/local/subscriptions.ts';
import { startThrottlingSes, type ThrottlingSes } from '../../support/throttling-ses.ts';
import { apiEvent, freshAddress, SITE_URL, startHarness } from './harness.ts';

let ses: ThrottlingSes | undefined;
afterEach(async () => {
  await ses?.stop();
  ses = undefined;
});

describe('confirmations go out from a queue (issue 11 item 5)', () => {
  it('stores and mails nothing inside the request; the confirm-mailer stores the reader and mails the link', async () => {
    const h = await startHarness({ holdConfirmations: true });
    const email = freshAddress('queued');

    const response = await h.subscribe({ email });
    const storedBefore = await h.store.findByAddressHash(addressHash(email));
    const queuedBefore = h.deps.confirmationQueue.stats().waiting;
    h.deps.confirmationQueue.start();
    await h.deps.confirmationQueue.idle();

    expect(response.statusCode).toBe(200);
    expect(storedBefore).toBeUndefined();
    expect(queuedBefore).toBe(1);
    const stored = await h.store.findByAddressHash(addressHash(email));
    expect(isSubscriber(stored) && stored.status).toBe('pending');
    expect(isSubscriber(stored) && stored.consent.at).toEqual(h.clock.now);
    const mails = await h.emailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.body.html).toContain(`${SITE_URL}/api/confirm?token=`);
  });

  it('queues "send me a new link" too, and mails it to a reader still pending', async () => {
    const h = await startHarness();
    const email = freshAddress('resend');
    await h.subscribe({ email });
    const stored = await h.store.findByAddressHash(addressHash(email));
    if (!isSubscriber(stored)) throw new Error('not stored');
    const oldToken = signToken(h.deps.keys, {
      purpose: 'confirm',
      subscriberId: stored.id,
      issuedAt: new Date(h.clock.now.getTime() - 8 * 86_400_000),
    });
    h.clock.now = new Date(h.clock.now.getTime() + 20 * 60_000);

    const response = await h.resend(oldToken);

    expect(response.statusCode).toBe(200);
    expect(await h.emailsTo(email)).toHaveLength(2);
  });

  it('keeps a message it cannot read for the dead-letter queue, and handles the rest of the batch', async () => {
    const h = await startHarness();
    const email = freshAddress('batch');
    const record = (messageId: string, body: string) =>
      ({ messageId, body, attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord;
    const good = JSON.stringify({
      herald: 'confirmation',
      kind: 'subscribe',
      email,
      consent: { at: h.clock.now.toISOString(), source: 'test', method: 'double-opt-in', textVersion: '1' },
      requestedAt: h.clock.now.toISOString(),
    });

    const result = await createConfirmMailerHandler(h.deps)({
      Records: [record('bad', '{"herald":"confirmation","kind":"subscribe"}'), record('good', good)],
    });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('retries a confirmation SES throttled until it is sent, without spending the daily cap', async () => {
    ses = await startThrottlingSes();
    let calls = 0;
    ses.configure({
      onSend: () => {
        calls++;
        ses?.configure({ throttleRatio: calls <= 3 ? 1 : 0 });
      },
    });
    const tableName = `subs-${randomUUID()}`;
    await createSubscriberTable(localDynamoClient(inject('dynamoEndpoint')), tableName);
    const now = new Date('2026-05-01T10:00:00.000Z');
    const deps = await createLocalSubscriptionDeps({
      dynamoEndpoint: inject('dynamoEndpoint'),
      sesEndpoint: ses.endpoint,
      tableName,
      siteUrl: SITE_URL,
      keys: generateTokenKeys('t1'),
      now: () => now,
      confirmationRetryMs: 20,
    });
    const email = freshAddress('throttled');

    const response = await createSubscribeHandler(deps)(
      apiEvent({ path: '/api/subscribe', contentType: 'application/json', body: JSON.stringify({ email }) }),
    );
    await deps.confirmationQueue.idle();

    expect(response.statusCode).toBe(200);
    expect(ses.counts.throttled).toBe(3);
    expect(ses.accepted.map((m) => m.to)).toEqual([email]);
    expect(ses.accepted[0]?.raw?.toString('utf8')).toContain(`${SITE_URL}/api/confirm?token=`);
    expect(deps.confirmationQueue.deadLetters).toEqual([]);
    const stored = await deps.store.findByAddressHash(addressHash(email));
    expect(isSubscriber(stored) && stored.recentConfirmations).toEqual([now]);
  });
});
