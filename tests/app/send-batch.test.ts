import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  compileNewsletter,
  composeNewsletter,
  createSendBatch,
  type DeliveryMessage,
  type SendDeps,
} from '../../functions/app/send-batch.ts';
import type { CampaignWithEmail } from '../../functions/core/campaign.ts';
import { compilePersonalizer, PLACEHOLDERS, type RenderedEmail } from '../../functions/core/personalize.ts';
import { verifyToken } from '../../functions/core/tokens.ts';
import { memoryCampaigns, memoryLedger } from '../support/memory-delivery.ts';

const NOW = new Date('2026-03-14T12:00:00Z');
const KEYS = { currentKeyId: 'k1', keys: { k1: Buffer.alloc(32, 7).toString('base64') } };
const POST = '2026-03-14-pi-day-meetup';

function makeEmail(): RenderedEmail {
  return {
    postId: POST,
    subject: 'Pi Day Meetup',
    preheader: 'We met on Pi Day.',
    html: `<html><body><p>${PLACEHOLDERS.greeting}</p><p>We met.</p><a href="${PLACEHOLDERS.unsubscribeUrl}">Unsubscribe</a> <a href="${PLACEHOLDERS.viewUrl}">View</a></body></html>`,
    text: `${PLACEHOLDERS.greeting}\n\nWe met.\n\nUnsubscribe: ${PLACEHOLDERS.unsubscribeUrl}\nView: ${PLACEHOLDERS.viewUrl}\n`,
    excerpted: false,
    htmlBytes: 200,
  };
}

function makeCampaign(): CampaignWithEmail {
  return {
    kind: 'campaign',
    postId: POST,
    status: 'sending',
    startedAt: NOW,
    recipientCount: 3,
    subject: 'Pi Day Meetup',
    delivery: {
      postUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
      siteUrl: 'https://recaps.test',
      from: { name: 'Test Meetups', address: 'news@recaps.test' },
      unsubscribeMailto: 'unsubscribe@recaps.test',
    },
    fanout: { done: true, page: 1, enqueued: 3 },
    updatedAt: NOW,
    email: makeEmail(),
  };
}

const message = (n: number): DeliveryMessage => ({
  v: 1,
  postId: POST,
  subscriberId: `sub${n}`,
  addressHash: `hash${n}`,
});

/** A SES stand-in in memory: `script` answers each call in turn (then "accept"). */
function fakeSes(script: (Error | 'accept')[] = []) {
  const sent: { raw: Buffer; to: string }[] = [];
  let calls = 0;
  return {
    sent,
    calls: () => calls,
    async send(m: { raw: Buffer; from: string; to: string }) {
      const step = script[calls++] ?? 'accept';
      if (step !== 'accept') throw step;
      sent.push({ raw: m.raw, to: m.to });
      return { messageId: `ses-${sent.length}` };
    },
  };
}

function sesError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function makeDeps(overrides: Partial<SendDeps> = {}) {
  const ledger = memoryLedger();
  const campaigns = memoryCampaigns([makeCampaign()]);
  const ses = fakeSes();
  const requeued: { message: DeliveryMessage; delaySeconds: number }[] = [];
  const sleeps: number[] = [];
  const logs: string[] = [];
  let id = 0;
  const deps: SendDeps = {
    campaigns,
    ledger,
    recipients: async (m) => ({ ok: true, email: `${m.subscriberId}@example.com` }),
    sender: ses,
    rate: { acquire: async () => {} },
    requeue: async (m, delaySeconds) => {
      requeued.push({ message: m, delaySeconds });
    },
    tokenKeys: KEYS,
    now: () => NOW,
    newId: () => `claim-${++id}`,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    ...overrides,
  };
  return { deps, ledger, campaigns, ses, requeued, sleeps, logs };
}

describe('createSendBatch', () => {
  it('sends one personalised message with a working unsubscribe token and records it as sent', async () => {
    const { deps, ledger, ses } = makeDeps();
    const outcomes = await createSendBatch(deps)([message(1)]);
    expect(outcomes).toEqual([{ status: 'sent', messageId: 'ses-1' }]);
    expect(await ledger.get(POST, 'sub1')).toMatchObject({ state: 'sent', messageId: 'ses-1' });
    const mail = await simpleParser(ses.sent[0]?.raw as Buffer);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('sub1@example.com');
    // Unfold the folded header line (RFC 5322) before matching.
    const listUnsubscribe = mail.headerLines
      .find((h) => h.key === 'list-unsubscribe')
      ?.line.replace(/\r\n\s+/g, ' ');
    expect(listUnsubscribe).toMatch(
      /^List-Unsubscribe: <https:\/\/recaps\.test\/api\/unsubscribe\?token=[^>]+>, <mailto:unsubscribe@recaps\.test\?subject=unsubscribe>$/,
    );
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    const token = decodeURIComponent(/token=([^>&\s]+)/.exec(mail.text ?? '')?.[1] ?? '');
    expect(verifyToken(KEYS, token, { purpose: 'unsubscribe', now: NOW })).toMatchObject({
      ok: true,
      subscriberId: 'sub1',
    });
    expect(mail.text).toContain('View: https://recaps.test/2026/03/14/pi-day-meetup.html');
    expect(listUnsubscribe).toContain(`token=${encodeURIComponent(token)}>`);
  });

  it('retries the ledger write after SES accepted a message, so transient ledger failures leave 0 unknown', async () => {
    const base = memoryLedger();
    const failuresPerRecipient = 3;
    const failed = new Map<string, number>();
    const flakyLedger: typeof base = {
      ...base,
      async move(postId, subscriberId, change) {
        const seen = failed.get(subscriberId) ?? 0;
        if (change.to === 'sent' && seen < failuresPerRecipient) {
          failed.set(subscriberId, seen + 1);
          throw Object.assign(new Error('socket timeout'), { name: 'TimeoutError' });
        }
        return base.move(postId, subscriberId, change);
      },
    };
    const { deps, ses, sleeps } = makeDeps({ ledger: flakyLedger });
    const send = createSendBatch(deps);
    const batch = Array.from({ length: 20 }, (_, i) => message(i));

    const first = await send(batch);
    const redelivered = await send(batch.filter((_, i) => first[i]?.status === 'error'));

    const states = [...base.entries.values()].map((e) => e.state);
    expect(states.filter((s) => s === 'unknown')).toHaveLength(0);
    expect(states).toEqual(Array(20).fill('sent'));
    expect(first.every((o) => o.status === 'sent')).toBe(true);
    expect(redelivered).toEqual([]);
    expect(ses.sent).toHaveLength(20);
    expect(sleeps).toHaveLength(20 * failuresPerRecipient);
  });

  it('gives up on the ledger write after its retry budget, so a lasting outage reaches the queue', async () => {
    const base = memoryLedger();
    const brokenLedger: typeof base = {
      ...base,
      async move(postId, subscriberId, change) {
        if (change.to === 'sent') throw new Error('table unavailable');
        return base.move(postId, subscriberId, change);
      },
    };
    const { deps, sleeps } = makeDeps({ ledger: brokenLedger, sentRecordRetryMs: 1000 });

    const [outcome] = await createSendBatch(deps)([message(1)]);

    expect(outcome).toMatchObject({ status: 'error' });
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
    expect(sleeps.length).toBeGreaterThan(3);
  });

  it('drops a duplicate delivery of a recipient already sent', async () => {
    const { deps, ses } = makeDeps();
    const send = createSendBatch(deps);
    await send([message(1)]);
    const outcomes = await send([message(1)]);
    expect(outcomes).toEqual([{ status: 'duplicate', state: 'sent' }]);
    expect(ses.sent).toHaveLength(1);
  });

  it('marks an unsubscribed recipient suppressed at send time and sends nothing', async () => {
    const { deps, ses, ledger } = makeDeps({
      recipients: async () => ({ ok: false, reason: 'unsubscribed' }),
    });
    const outcomes = await createSendBatch(deps)([message(1)]);
    expect(outcomes).toEqual([{ status: 'suppressed', reason: 'unsubscribed' }]);
    expect(ses.calls()).toBe(0);
    expect((await ledger.get(POST, 'sub1'))?.state).toBe('suppressed');
  });

  it('backs off with jitter after throttling and retries until SES accepts', async () => {
    const throttle = () => sesError('Throttling', 'Maximum sending rate exceeded.');
    const ses = fakeSes([throttle(), throttle()]);
    const { deps, sleeps, ledger } = makeDeps({ sender: ses, backoffBaseMs: 100 });
    const outcomes = await createSendBatch(deps)([message(1)]);
    expect(outcomes[0]).toMatchObject({ status: 'sent' });
    expect(sleeps).toEqual([50, 100]);
    expect(ses.sent).toHaveLength(1);
    expect(await ledger.get(POST, 'sub1')).toMatchObject({ state: 'sent' });
  });

  it('returns a throttled message to the queue as retryable (claimed) after too many tries', async () => {
    const throttle = () => sesError('Throttling', 'Maximum sending rate exceeded.');
    const { deps, ledger } = makeDeps({ sender: fakeSes([throttle(), throttle()]), maxThrottleRetries: 1 });
    const outcomes = await createSendBatch(deps)([message(1)]);
    expect(outcomes[0]).toMatchObject({ status: 'retry' });
    expect((await ledger.get(POST, 'sub1'))?.state).toBe('claimed');
  });

  it('fails only the rejected recipient, with the SES reason', async () => {
    const ses = fakeSes(['accept', sesError('MessageRejected', 'Email address is not verified.'), 'accept']);
    const { deps, ledger } = makeDeps({ sender: ses, concurrency: 1 });
    const outcomes = await createSendBatch(deps)([message(1), message(2), message(3)]);
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'failed', 'sent']);
    expect(await ledger.get(POST, 'sub2')).toMatchObject({
      state: 'failed',
      reason: 'MessageRejected: Email address is not verified.',
    });
  });

  it('records an unknown outcome when SES does not answer, and never retries it', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const ses = fakeSes([reset]);
    const { deps, ledger } = makeDeps({ sender: ses });
    const send = createSendBatch(deps);
    expect((await send([message(1)]))[0]).toMatchObject({ status: 'unknown' });
    expect((await send([message(1)]))[0]).toEqual({ status: 'duplicate', state: 'unknown' });
    expect(ses.calls()).toBe(1);
    expect((await ledger.get(POST, 'sub1'))?.state).toBe('unknown');
  });

  it('takes over a record left in claimed by a crashed worker and sends once', async () => {
    // The first worker dies right after its claim.
    const { deps, ses, ledger } = makeDeps();
    const crashing = createSendBatch({
      ...deps,
      recipients: async () => {
        throw new Error('worker killed after claim');
      },
    });
    const first = await crashing([message(1)]);
    const second = await createSendBatch(deps)([message(1)]);
    expect(first[0]).toMatchObject({ status: 'error' });
    expect(second[0]).toMatchObject({ status: 'sent' });
    expect(ses.sent).toHaveLength(1);
    expect((await ledger.get(POST, 'sub1'))?.attempts).toBe(2);
  });

  it('turns a record left in sending (killed after SES accepted) into unknown without resending', async () => {
    const { deps, ses, ledger } = makeDeps();
    const crashingLedger = {
      ...ledger,
      move: async (...args: Parameters<typeof ledger.move>) => {
        if (args[2].to === 'sent') throw new Error('worker killed after SES accepted');
        return ledger.move(...args);
      },
    };
    await createSendBatch({ ...deps, ledger: crashingLedger })([message(1)]);
    const outcomes = await createSendBatch(deps)([message(1)]);
    expect(outcomes[0]).toMatchObject({ status: 'unknown' });
    expect(ses.sent).toHaveLength(1);
    expect((await ledger.get(POST, 'sub1'))?.state).toBe('unknown');
  });

  it('pauses the campaign on the daily quota and puts messages back with a delay', async () => {
    const ses = fakeSes([sesError('Throttling', 'Daily message quota exceeded.')]);
    const { deps, campaigns, requeued, ledger } = makeDeps({ sender: ses, concurrency: 1 });
    const outcomes = await createSendBatch(deps)([message(1), message(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['deferred', 'deferred']);
    expect(campaigns.records.get(POST)?.status).toBe('paused');
    expect(requeued.map((r) => r.delaySeconds)).toEqual([900, 900]);
    expect((await ledger.get(POST, 'sub1'))?.state).toBe('claimed');
    expect(ses.calls()).toBe(1);
  });

  it('halts the campaign on an account-level error and logs an alarmable error', async () => {
    const ses = fakeSes([sesError('AccountSendingPausedException', 'Account sending paused.')]);
    const { deps, campaigns, logs } = makeDeps({ sender: ses, concurrency: 1 });
    const outcomes = await createSendBatch(deps)([message(1), message(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['halted', 'halted']);
    expect(campaigns.records.get(POST)).toMatchObject({ status: 'halted' });
    expect(logs).toContain('campaign halted');
    expect(ses.calls()).toBe(1);
  });
});

describe('compileNewsletter', () => {
  it('produces the message composeNewsletter builds with a full MailComposer run', async () => {
    const campaign = makeCampaign();
    const email = makeEmail();
    const recipient = { subscriberId: 'sub_42', email: 'ada@example.com', name: 'Ada Lovelace' };
    const compose = await compileNewsletter({
      postId: POST,
      delivery: campaign.delivery,
      email,
      tokenKeys: KEYS,
    });

    const fast = await simpleParser(await compose(recipient, NOW));
    const reference = await simpleParser(
      await composeNewsletter({
        postId: POST,
        delivery: campaign.delivery,
        personalize: compilePersonalizer(email),
        recipient,
        tokenKeys: KEYS,
        now: NOW,
      }),
    );

    const view = (m: typeof fast) => ({
      subject: m.subject,
      from: m.from?.text,
      to: Array.isArray(m.to) ? undefined : m.to?.text,
      messageId: m.messageId,
      date: m.date?.toISOString(),
      post: m.headers.get('x-herald-post'),
      listUnsubscribe: m.headerLines
        .find((h) => h.key === 'list-unsubscribe')
        ?.line.replace(/\r?\n[ \t]+/g, ' '),
      oneClick: m.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line,
      text: m.text,
      html: m.html,
    });
    expect(view(fast)).toEqual(view(reference));
    expect(fast.text).toContain('Hi Ada Lovelace,');
    expect(fast.messageId).toBe(`<${POST}.sub_42@recaps.test>`);
  });
});
