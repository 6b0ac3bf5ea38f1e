import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { API_ROUTES } from '../../../functions/core/api-routes.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { signToken } from '../../../functions/core/tokens.ts';
import { createConfirmHandler } from '../../../functions/handlers/confirm.ts';
import { subscriptionRoutes } from '../../../functions/local/subscriptions.ts';
import { apiEvent, freshAddress, type Harness, startHarness } from './harness.ts';

async function stored(h: Harness, email: string): Promise<Subscriber> {
  const record = await h.store.findByAddressHash(addressHash(email));
  if (!isSubscriber(record)) throw new Error(`no subscriber for ${email}`);
  return record;
}

function tamper(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.slice(-1)}`;
}

describe('confirm', () => {
  it('GET shows a page with a Confirm button and changes nothing', async () => {
    const h = await startHarness();
    const email = freshAddress('scanner');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);
    const before = await stored(h, email);

    const page = await h.confirmPage(token);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post" action="https://recaps.test/api/confirm">');
    expect(page.body).toContain(`<input type="hidden" name="token" value="${token}">`);
    expect(page.body).toContain('<button type="submit">Confirm</button>');
    expect(page.headers?.['referrer-policy']).toBe('no-referrer');
    expect(await stored(h, email)).toEqual(before);
  });

  it('POST confirms and records when and from where', async () => {
    const h = await startHarness();
    const email = freshAddress('confirm');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);
    h.clock.now = new Date('2026-05-01T11:30:00.000Z');

    const response = await h.confirm(token);

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are subscribed');
    const sub = await stored(h, email);
    expect(sub.status).toBe('confirmed');
    expect(sub.confirmedAt).toEqual(new Date('2026-05-01T11:30:00.000Z'));
    expect(sub.consent.confirmedAt).toEqual(new Date('2026-05-01T11:30:00.000Z'));
    expect(sub.consent.confirmIp).toBe('198.51.100.7');
    const page = await h.store.listConfirmed({ limit: 10 });
    expect(page.subscribers.map((s) => s.email)).toEqual([email]);
  });

  it('treats a replayed confirm token as already confirmed and writes nothing', async () => {
    const h = await startHarness();
    const email = freshAddress('replay');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);
    await h.confirm(token);
    const before = await stored(h, email);

    const again = await h.confirm(token);

    expect(again.statusCode).toBe(200);
    expect((await stored(h, email)).version).toBe(before.version);
  });

  it('rejects a tampered token without changing anything', async () => {
    const h = await startHarness();
    const email = freshAddress('tamper');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);

    const response = await h.confirm(tamper(token));

    expect(response.statusCode).toBe(400);
    expect((await stored(h, email)).status).toBe('pending');
  });

  it('rejects a truncated token', async () => {
    const h = await startHarness();
    const email = freshAddress('truncated');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);

    const response = await h.confirm(token.slice(0, -5));

    expect(response.statusCode).toBe(400);
    expect((await stored(h, email)).status).toBe('pending');
  });

  it('rejects an unsubscribe token used to confirm', async () => {
    const h = await startHarness();
    const email = freshAddress('purpose');
    await h.subscribe({ email });
    const sub = await stored(h, email);
    const foreign = signToken(h.deps.keys, {
      purpose: 'unsubscribe',
      subscriberId: sub.id,
      issuedAt: h.clock.now,
    });

    const response = await h.confirm(foreign);

    expect(response.statusCode).toBe(400);
    expect((await stored(h, email)).status).toBe('pending');
  });

  it('shows an expired link page offering a resend, and the resend mails a working link', async () => {
    const h = await startHarness();
    const email = freshAddress('expired');
    await h.subscribe({ email });
    const oldToken = await h.confirmTokenFor(email);
    h.clock.now = new Date(h.clock.now.getTime() + 8 * 24 * 3600_000);

    const page = await h.confirmPage(oldToken);
    const post = await h.confirm(oldToken);
    const resent = await h.resend(oldToken);
    const newToken = await h.confirmTokenFor(email);
    const confirmed = await h.confirm(newToken);

    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('action="https://recaps.test/api/resend"');
    expect(post.statusCode).toBe(410);
    expect((await stored(h, email)).status).toBe('confirmed');
    expect(resent.statusCode).toBe(200);
    expect(newToken).not.toBe(oldToken);
    expect(confirmed.statusCode).toBe(200);
    expect(await h.emailsTo(email)).toHaveLength(2);
  });

  it('sends no mail from the confirm function, even for a request on the resend path', async () => {
    const h = await startHarness();
    const email = freshAddress('confirm-no-mail');
    await h.subscribe({ email });
    const oldToken = await h.confirmTokenFor(email);
    h.clock.now = new Date(h.clock.now.getTime() + 8 * 24 * 3600_000);

    const response = await createConfirmHandler(h.deps)(
      apiEvent({
        path: '/api/resend',
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ token: oldToken }).toString(),
      }),
    );

    expect(response.statusCode).toBe(410);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it('routes locally exactly as the shared route table says, resend to the resend function', async () => {
    const h = await startHarness();
    const email = freshAddress('local-resend');
    await h.subscribe({ email });
    const oldToken = await h.confirmTokenFor(email);
    h.clock.now = new Date(h.clock.now.getTime() + 8 * 24 * 3600_000);
    const routes = subscriptionRoutes(h.deps);

    const resent = await routes['POST /api/resend']?.(
      apiEvent({
        path: '/api/resend',
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ token: oldToken }).toString(),
      }),
    );

    expect(Object.keys(routes).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(resent?.statusCode).toBe(200);
    expect(await h.emailsTo(email)).toHaveLength(2);
  });

  it('refuses a confirm link after the subscriber unsubscribed', async () => {
    const h = await startHarness();
    const email = freshAddress('after-unsub');
    await h.subscribe({ email });
    const token = await h.confirmTokenFor(email);
    const sub = await stored(h, email);
    await h.oneClick(
      signToken(h.deps.keys, { purpose: 'unsubscribe', subscriberId: sub.id, issuedAt: h.clock.now }),
    );

    const response = await h.confirm(token);

    expect(response.statusCode).toBe(400);
    expect((await stored(h, email)).status).toBe('unsubscribed');
  });

  it('refuses a link from before a re-subscription, and accepts the new one', async () => {
    const h = await startHarness();
    const email = freshAddress('resub');
    await h.subscribe({ email });
    const first = await h.confirmTokenFor(email);
    const sub = await stored(h, email);
    await h.oneClick(
      signToken(h.deps.keys, { purpose: 'unsubscribe', subscriberId: sub.id, issuedAt: h.clock.now }),
    );
    h.clock.now = new Date(h.clock.now.getTime() + 20 * 60_000);
    await h.subscribe({ email });
    const second = await h.confirmTokenFor(email);

    const stale = await h.confirm(first);
    const fresh = await h.confirm(second);

    expect(stale.statusCode).toBe(400);
    expect(fresh.statusCode).toBe(200);
    expect((await stored(h, email)).status).toBe('confirmed');
  });
});
