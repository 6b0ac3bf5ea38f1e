import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { signToken } from '../../../functions/core/tokens.ts';
import { createUnsubscribeHandler } from '../../../functions/handlers/unsubscribe.ts';
import { apiEvent, freshAddress, type Harness, type Result, startHarness } from './harness.ts';

async function confirmedSubscriber(h: Harness, label: string): Promise<{ sub: Subscriber; token: string }> {
  const email = freshAddress(label);
  await h.subscribe({ email });
  await h.confirm(await h.confirmTokenFor(email));
  const sub = await h.store.findByAddressHash(addressHash(email));
  if (!isSubscriber(sub)) throw new Error('setup failed');
  const token = signToken(h.deps.keys, {
    purpose: 'unsubscribe',
    subscriberId: sub.id,
    issuedAt: h.clock.now,
  });
  return { sub, token };
}

async function statusOf(h: Harness, sub: Subscriber) {
  const record = await h.store.findByAddressHash(sub.addressHash);
  return isSubscriber(record) ? record.status : record;
}

describe('unsubscribe', () => {
  it('GET shows a page with an Unsubscribe button and changes nothing', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'get');

    const page = await h.unsubscribePage(token);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post" action="https://recaps.test/api/unsubscribe">');
    expect(page.body).toContain('<button type="submit">Unsubscribe</button>');
    expect(await statusOf(h, sub)).toBe('confirmed');
  });

  it('RFC 8058 one-click POST unsubscribes at once: 2xx, no redirect, no cookie needed', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'oneclick');

    const response = await h.oneClick(token);

    expect(response.statusCode).toBe(200);
    expect(response.headers?.location).toBeUndefined();
    expect(response.headers?.['set-cookie']).toBeUndefined();
    expect(await statusOf(h, sub)).toBe('unsubscribed');
    const confirmed = await h.store.listConfirmed({ limit: 100 });
    expect(confirmed.subscribers.map((s) => s.id)).not.toContain(sub.id);
  });

  it('the page button (form field token, no query) unsubscribes too', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'button');
    const handler = createUnsubscribeHandler(h.deps);

    const response = (await handler(
      apiEvent({
        path: '/api/unsubscribe',
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ token }).toString(),
      }),
    )) as Result;

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are unsubscribed');
    expect(await statusOf(h, sub)).toBe('unsubscribed');
  });

  it('accepts a one-click POST whose client sends multipart/form-data', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'multipart');
    const handler = createUnsubscribeHandler(h.deps);
    const boundary = 'x-boundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;

    const response = (await handler(
      apiEvent({
        path: '/api/unsubscribe',
        query: { token },
        contentType: `multipart/form-data; boundary=${boundary}`,
        body,
      }),
    )) as Result;

    expect(response.statusCode).toBe(200);
    expect(await statusOf(h, sub)).toBe('unsubscribed');
  });

  it('is idempotent: a replayed unsubscribe succeeds and changes nothing more', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'twice');
    await h.oneClick(token);
    const after = await h.store.findByAddressHash(sub.addressHash);

    const again = await h.oneClick(token);

    expect(again.statusCode).toBe(200);
    expect(await h.store.findByAddressHash(sub.addressHash)).toEqual(after);
  });

  it('answers 200 for an unknown subscriber with a genuine token', async () => {
    const h = await startHarness();
    const token = signToken(h.deps.keys, {
      purpose: 'unsubscribe',
      subscriberId: randomUUID(),
      issuedAt: h.clock.now,
    });

    const response = await h.oneClick(token);

    expect(response.statusCode).toBe(200);
  });

  it('rejects a tampered token with 400 and keeps the subscriber', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'forged');
    const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;

    const response = await h.oneClick(forged);

    expect(response.statusCode).toBe(400);
    expect(await statusOf(h, sub)).toBe('confirmed');
  });

  it('rejects a confirm token used to unsubscribe', async () => {
    const h = await startHarness();
    const { sub } = await confirmedSubscriber(h, 'purpose');
    const confirmToken = signToken(h.deps.keys, {
      purpose: 'confirm',
      subscriberId: sub.id,
      issuedAt: h.clock.now,
    });

    const response = await h.oneClick(confirmToken);

    expect(response.statusCode).toBe(400);
    expect(await statusOf(h, sub)).toBe('confirmed');
  });

  it('honours an unsubscribe token years later (they never expire)', async () => {
    const h = await startHarness();
    const { sub, token } = await confirmedSubscriber(h, 'old');
    h.clock.now = new Date('2031-05-01T10:00:00.000Z');

    const response = await h.oneClick(token);

    expect(response.statusCode).toBe(200);
    expect(await statusOf(h, sub)).toBe('unsubscribed');
  });
});
