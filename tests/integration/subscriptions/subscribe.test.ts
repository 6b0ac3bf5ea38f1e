import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { ORIGIN_SECRET_HEADER } from '../../../functions/core/http.ts';
import { signToken } from '../../../functions/core/tokens.ts';
import { freshAddress, startHarness } from './harness.ts';

describe('POST /api/subscribe', () => {
  it('stores a pending subscriber with consent evidence and mails one confirmation link', async () => {
    const h = await startHarness();
    const email = freshAddress('ada');

    const response = await h.subscribe({
      email,
      ip: '203.0.113.9',
      headers: { referer: 'https://recaps.test/subscribe.html', 'user-agent': 'Firefox/140' },
    });

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      ok: true,
      message: expect.stringContaining('check your inbox'),
    });
    const stored = await h.store.findByAddressHash(addressHash(email));
    expect(isSubscriber(stored) && stored.status).toBe('pending');
    expect(isSubscriber(stored) && stored.consent).toEqual({
      at: h.clock.now,
      source: 'https://recaps.test/subscribe.html',
      method: 'double-opt-in',
      ip: '203.0.113.9',
      userAgent: 'Firefox/140',
      textVersion: '1',
    });
    const mails = await h.emailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('Confirm your subscription to Test Meetups');
    expect(mails[0]?.body.html).toContain('https://recaps.test/api/confirm?token=');
  });

  it('mails one victim address three confirmations a day at most, answering every request alike', async () => {
    const h = await startHarness();
    const email = freshAddress('victim');
    const answers: string[] = [];

    for (let i = 0; i < 8; i++) {
      answers.push((await h.subscribe({ email })).body);
      h.clock.now = new Date(h.clock.now.getTime() + 16 * 60_000);
    }

    expect(await h.emailsTo(email)).toHaveLength(3);
    expect(new Set(answers).size).toBe(1);
  });

  it('answers a plain form post with an HTML page carrying the same message and status', async () => {
    const h = await startHarness();
    const email = freshAddress('form');

    const response = await h.subscribe({ email, form: true });

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<p role="status">Thanks! Please check your inbox');
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('accepts a base64-encoded form body as API Gateway may deliver it', async () => {
    const h = await startHarness();
    const email = freshAddress('b64');

    const response = await h.subscribe({ email, form: true, base64: true });

    expect(response.statusCode).toBe(200);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('answers identically for new, pending, confirmed and unsubscribed addresses', async () => {
    const h = await startHarness();
    const [fresh, pending, confirmed, unsubscribed] = ['new', 'pending', 'confirmed', 'unsub'].map(
      freshAddress,
    ) as [string, string, string, string];
    for (const email of [pending, confirmed, unsubscribed]) await h.subscribe({ email });
    await h.confirm(await h.confirmTokenFor(confirmed));
    await h.confirm(await h.confirmTokenFor(unsubscribed));
    const unsub = await h.store.findByAddressHash(addressHash(unsubscribed));
    if (!isSubscriber(unsub)) throw new Error('setup failed');
    await h.oneClick(
      signToken(h.deps.keys, { purpose: 'unsubscribe', subscriberId: unsub.id, issuedAt: h.clock.now }),
    );

    const responses = [];
    for (const email of [fresh, pending, confirmed, unsubscribed]) {
      for (const form of [false, true]) responses.push(await h.subscribe({ email, form }));
    }

    const json = responses.filter((_, i) => i % 2 === 0);
    const html = responses.filter((_, i) => i % 2 === 1);
    expect(new Set(json.map((r) => `${r.statusCode} ${r.body}`)).size).toBe(1);
    expect(new Set(html.map((r) => `${r.statusCode} ${r.body}`)).size).toBe(1);
    expect(json[0]?.statusCode).toBe(200);
  });

  it('normalises the address: trimmed, domain lower-cased, local part kept', async () => {
    const h = await startHarness();
    const local = `Ada.Lovelace-${randomUUID().slice(0, 6)}`;

    await h.subscribe({ email: `  ${local}@Example.TEST \n` });

    const stored = await h.store.findByAddressHash(addressHash(`${local}@example.test`));
    expect(isSubscriber(stored) && stored.email).toBe(`${local}@example.test`);
    expect(await h.emailsTo(`${local}@example.test`)).toHaveLength(1);
  });

  it('rejects an invalid address with a clear 400 and stores nothing', async () => {
    const h = await startHarness();

    const response = await h.subscribe({ email: 'not-an-address' });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      ok: false,
      message: expect.stringContaining('valid email address'),
    });
    expect(await h.store.findByAddressHash(addressHash('not-an-address'))).toBeUndefined();
  });

  it('rejects an address longer than 254 characters', async () => {
    const h = await startHarness();
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.test`;

    const response = await h.subscribe({ email });

    expect(email.length).toBeGreaterThan(254);
    expect(response.statusCode).toBe(400);
  });

  it('sends a pending address at most one confirmation per 15 minutes', async () => {
    const h = await startHarness();
    const email = freshAddress('again');
    await h.subscribe({ email });

    h.clock.now = new Date(h.clock.now.getTime() + 14 * 60_000);
    await h.subscribe({ email });
    const afterFourteen = (await h.emailsTo(email)).length;
    h.clock.now = new Date(h.clock.now.getTime() + 60_000);
    await h.subscribe({ email });

    expect(afterFourteen).toBe(1);
    expect(await h.emailsTo(email)).toHaveLength(2);
  });

  it('sends one confirmation email for 1,000 subscribe requests for one address', async () => {
    const h = await startHarness();
    const email = freshAddress('flood');
    const statuses: number[] = [];

    // 40 waves of 25 concurrent requests from different addresses
    for (let wave = 0; wave < 40; wave++) {
      const batch = Array.from({ length: 25 }, (_, i) =>
        h.subscribe({ email, ip: `192.0.2.${(wave * 25 + i) % 250}` }),
      );
      for (const r of await Promise.all(batch)) statuses.push(r.statusCode);
    }

    expect(statuses).toHaveLength(1000);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('gives a filled honeypot the same success answer, and sends and stores nothing', async () => {
    const h = await startHarness();
    const email = freshAddress('bot');
    const human = await h.subscribe({ email: freshAddress('human') });

    const response = await h.subscribe({ email, website: 'https://spam.example' });

    expect(response.statusCode).toBe(human.statusCode);
    expect(response.body).toBe(human.body);
    expect(await h.emailsTo(email)).toHaveLength(0);
    expect(await h.store.findByAddressHash(addressHash(email))).toBeUndefined();
  });

  it('limits subscribe requests per client IP so a script cannot mail-bomb strangers', async () => {
    const h = await startHarness({ ipLimit: { max: 3, windowMs: 3600_000 } });
    const victims = Array.from({ length: 4 }, () => freshAddress('victim'));

    const responses = [];
    for (const email of victims) responses.push(await h.subscribe({ email, ip: '192.0.2.66' }));
    const otherIp = await h.subscribe({ email: freshAddress('other'), ip: '192.0.2.67' });

    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
    expect(responses[3]?.headers?.['retry-after']).toBe('3600');
    expect(await h.emailsTo(victims[3] ?? '')).toHaveLength(0);
    expect(otherIp.statusCode).toBe(200);
  });

  it('counts the viewer address CloudFront forwards, not the edge address the API sees', async () => {
    const h = await startHarness({ ipLimit: { max: 2, windowMs: 3600_000 } });
    const secret = 'origin-secret-for-this-test-0123456789abcdef';
    h.deps.originSecret = secret;
    const edge = '130.176.0.10';
    const viaEdge = (viewer: string) => ({
      email: freshAddress('viewer'),
      ip: edge,
      headers: { 'cloudfront-viewer-address': viewer, [ORIGIN_SECRET_HEADER]: secret },
    });

    const first = [
      await h.subscribe(viaEdge('192.0.2.10:50123')),
      await h.subscribe(viaEdge('192.0.2.10:50124')),
    ];
    const sameViewer = await h.subscribe(viaEdge('192.0.2.10:50125'));
    const otherViewer = await h.subscribe(viaEdge('2001:db8::7:443'));

    expect(first.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(sameViewer.statusCode).toBe(429);
    expect(otherViewer.statusCode).toBe(200);
  });
});
