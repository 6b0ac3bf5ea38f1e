import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reconcileCampaign } from '../../../functions/app/reconcile.ts';
import { summarizeCampaign, TERMINAL_STATES } from '../../../functions/core/campaign.ts';
import { readSesStore } from '../../../functions/local/services.ts';
import type { DeliveryWiring } from '../../../functions/wiring/delivery-deps.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { startThrottlingSes, type ThrottlingSes } from '../../support/throttling-ses.ts';
import { createPipeline, type Pipeline, seedSubscribers, unsubscribe } from './harness.ts';

let ses: ThrottlingSes;
const pipelines: Pipeline[] = [];

beforeAll(async () => {
  ses = await startThrottlingSes();
});

afterAll(async () => {
  await Promise.all(pipelines.map((p) => p.stop()));
  await ses.stop();
});

async function pipeline(options: Partial<Parameters<typeof createPipeline>[0]> = {}): Promise<Pipeline> {
  const p = await createPipeline({ sesEndpoint: ses.endpoint, ...options });
  pipelines.push(p);
  return p;
}

/** Accepted messages per recipient address for one post. */
function acceptedByAddress(postId: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of ses.accepted) {
    if (!m.raw?.includes(`X-Herald-Post: ${postId}`)) continue;
    counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
  }
  return counts;
}

describe('delivery pipeline (dynalite + SES stand-ins)', () => {
  it('survives a worker killed at each step: nobody twice, nobody skipped, unknowns as the policy says', async () => {
    // One fault per step, each for its own recipient, each only on the first attempt.
    ses.configure({ throttleRatio: 0, maxSendRate: undefined, rejectAddresses: new Set() });
    const killed = new Set<string>();
    const killOnce = (key: string) => {
      if (killed.has(key)) return;
      killed.add(key);
      throw new Error(`worker killed: ${key}`);
    };
    const p = await pipeline({
      wrapWiring: (wiring: DeliveryWiring) => {
        const ledger = wiring.sendDeps.ledger;
        const faulty = {
          claim: async (...args: Parameters<typeof ledger.claim>) => {
            if (args[0].subscriberId === 'reader000000') killOnce('before claim');
            const claimed = await ledger.claim(...args);
            if (args[0].subscriberId === 'reader000001') killOnce('after claim');
            return claimed;
          },
          get: ledger.get,
          move: async (...args: Parameters<typeof ledger.move>) => {
            const [, subscriberId, change] = args;
            if (subscriberId === 'reader000002' && change.to === 'sent') killOnce('after SES accepted');
            const moved = await ledger.move(...args);
            if (subscriberId === 'reader000003' && change.to === 'sent') killOnce('after ledger write');
            return moved;
          },
        };
        // A killed worker gets no second try at the ledger write (that retry is for slow tables).
        return { ...wiring, sendDeps: { ...wiring.sendDeps, ledger: faulty, sentRecordRetryMs: 0 } };
      },
    });
    const subscribers = await seedSubscribers(p.dynamo, p.tables.subscriberTable, 20, p.now());
    const postId = `crash-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    expect([...killed].sort()).toEqual([
      'after SES accepted',
      'after claim',
      'after ledger write',
      'before claim',
    ]);
    const accepted = acceptedByAddress(postId);
    for (const s of subscribers) expect(accepted.get(s.email), s.email).toBe(1);
    const counts = await p.wiring.store.countStates(postId);
    expect(counts).toMatchObject({ sent: 19, unknown: 1, claimed: 0, sending: 0 });
    expect((await p.wiring.store.getEntry(postId, 'reader000002'))?.state).toBe('unknown');
    const campaign = await p.wiring.store.get(postId);
    if (campaign?.kind !== 'campaign') throw new Error('no campaign');
    expect(summarizeCampaign(campaign, counts, p.now())).toMatchObject({
      phase: 'complete',
      recipients: 20,
      pending: 0,
    });
  });

  it('settles everyone correctly with 30% throttling, rejections and an unsubscribe mid-mailing', async () => {
    const p = await pipeline({ concurrency: 1, random: seededRandom(7) });
    const subscribers = await seedSubscribers(p.dynamo, p.tables.subscriberTable, 40, p.now());
    const rejected = subscribers.slice(10, 13).map((s) => s.email);
    const victim = subscribers[39];
    if (!victim) throw new Error('no victim');
    let sends = 0;
    ses.reset();
    ses.configure({
      throttleRatio: 0.3,
      random: seededRandom(42),
      rejectAddresses: new Set(rejected),
      onSend: async () => {
        if (++sends === 5) await unsubscribe(p.subscriberStore, victim.addressHash, p.now());
      },
    });
    const postId = `throttle-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    ses.configure({ throttleRatio: 0, rejectAddresses: new Set(), onSend: undefined });
    expect(ses.counts.throttled).toBeGreaterThan(5);
    const accepted = acceptedByAddress(postId);
    for (const s of subscribers) {
      const entry = await p.wiring.store.getEntry(postId, s.id);
      if (rejected.includes(s.email)) {
        expect(entry).toMatchObject({
          state: 'failed',
          reason: 'MessageRejected: Email address is not verified.',
        });
        expect(accepted.get(s.email)).toBeUndefined();
      } else if (s.id === victim.id) {
        expect(entry).toMatchObject({ state: 'suppressed', reason: 'unsubscribed' });
        expect(accepted.get(s.email)).toBeUndefined();
      } else {
        expect(entry?.state, s.id).toBe('sent');
        expect(accepted.get(s.email), s.email).toBe(1);
      }
    }
    const counts = await p.wiring.store.countStates(postId);
    expect(TERMINAL_STATES.reduce((sum, state) => sum + counts[state], 0)).toBe(40);
  });

  it('re-enqueues recipients whose messages were lost, and marks stale sending records unknown', async () => {
    // The queue silently drops two recipients' messages.
    ses.configure({ throttleRatio: 0 });
    const p = await pipeline();
    const subscribers = await seedSubscribers(p.dynamo, p.tables.subscriberTable, 12, p.now());
    const lost = new Set(['reader000004', 'reader000007']);
    const enqueue = p.deliveryQueue.enqueue.bind(p.deliveryQueue);
    p.deliveryQueue.enqueue = async (messages) => {
      await enqueue(
        messages.filter((m) => !lost.has((JSON.parse(m.body) as { subscriberId: string }).subscriberId)),
      );
    };
    const postId = `lost-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    // A record stuck in sending (worker died mid-call) and one stuck in claimed.
    const stuck = {
      v: 1 as const,
      postId,
      subscriberId: 'reader000007',
      addressHash: subscribers[7]?.addressHash ?? '',
    };
    await p.wiring.store.claim(stuck, 'dead', new Date(0));
    await p.wiring.store.move(postId, 'reader000007', {
      from: ['claimed'],
      claimId: 'dead',
      to: 'sending',
      now: new Date(0),
    });
    lost.clear();
    const result = await reconcileCampaign({ ...p.wiring.reconcileDeps, staleAfterMs: 1000 }, postId);
    await p.settle();
    expect(result).toMatchObject({ action: 'reconciled', requeued: 1, markedUnknown: 1 });
    expect(acceptedByAddress(postId).get(subscribers[4]?.email ?? '')).toBe(1);
    expect(acceptedByAddress(postId).get(subscribers[7]?.email ?? '')).toBeUndefined();
    expect(await p.wiring.store.countStates(postId)).toMatchObject({ sent: 11, unknown: 1 });
    const again = await reconcileCampaign({ ...p.wiring.reconcileDeps, staleAfterMs: 1000 }, postId);
    expect(again).toMatchObject({ action: 'skipped', progress: { phase: 'complete' } });
  });

  it('mails exactly the subscribers confirmed at or before the campaign start', async () => {
    const p = await pipeline();
    const start = p.now();
    const before = await seedSubscribers(p.dynamo, p.tables.subscriberTable, 5, start, 'early');
    const after = await seedSubscribers(
      p.dynamo,
      p.tables.subscriberTable,
      3,
      new Date(start.getTime() + 60_000),
      'late',
    );
    const postId = `start-${randomUUID().slice(0, 8)}`;
    const started = await p.start(postId, start);
    await p.settle();
    expect(started).toMatchObject({ started: true, campaign: { recipientCount: 5 } });
    const accepted = acceptedByAddress(postId);
    expect(before.every((s) => accepted.get(s.email) === 1)).toBe(true);
    expect(after.some((s) => accepted.has(s.email))).toBe(false);
  });

  it('sends through aws-ses-v2-local with the configuration set', async () => {
    const p = await createPipeline({
      sesEndpoint: inject('sesEndpoint'),
      configurationSetName: 'herald-newsletter',
    });
    pipelines.push(p);
    const subscribers = await seedSubscribers(
      p.dynamo,
      p.tables.subscriberTable,
      3,
      p.now(),
      `v2${randomUUID().slice(0, 6)}`,
    );
    const postId = `local-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    const stored = await readSesStore(inject('sesEndpoint'));
    for (const s of subscribers) {
      const mails = stored.filter((m) => m.destination.to.includes(s.email));
      expect(mails).toHaveLength(1);
      expect(mails[0]?.subject).toBe('Pi Day Meetup');
      expect(mails[0]?.body.text).toContain('/api/unsubscribe?token=');
    }
    expect((await p.wiring.store.countStates(postId)).sent).toBe(3);
  });

  it('does not mail again when the campaign is started again (duplicate events, re-uploads)', async () => {
    const p = await pipeline();
    const subscribers = await seedSubscribers(p.dynamo, p.tables.subscriberTable, 4, p.now());
    const postId = `dup-${randomUUID().slice(0, 8)}`;
    const results = [await p.start(postId), await p.start(postId), await p.start(postId)];
    await p.settle();
    expect(results.map((r) => r.started)).toEqual([true, false, false]);
    const accepted = acceptedByAddress(postId);
    expect(subscribers.map((s) => accepted.get(s.email))).toEqual([1, 1, 1, 1]);
  });

  it('delivers a raw MIME message with one-click unsubscribe headers and the recipient token', async () => {
    const p = await pipeline();
    const [subscriber] = await seedSubscribers(
      p.dynamo,
      p.tables.subscriberTable,
      1,
      p.now(),
      `mime${randomUUID().slice(0, 6)}`,
    );
    const postId = `mime-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    const message = ses.accepted.find((m) => m.to === subscriber?.email);
    const mail = await simpleParser(message?.raw as Buffer);
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(mail.text).toContain(`Sent to ${subscriber?.email}`);
  });
});
