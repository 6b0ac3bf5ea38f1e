import { describe, expect, it } from 'vitest';
import type { AudienceMember } from '../../functions/app/fan-out.ts';
import { type ReconcileDeps, reconcileCampaign, reconcileCampaigns } from '../../functions/app/reconcile.ts';
import type { Campaign, CampaignRecord } from '../../functions/core/campaign.ts';
import {
  memoryAudience,
  memoryCampaignRecords,
  memoryQueue,
  memoryReconcileLedger,
} from '../support/memory-campaign-ports.ts';

const STARTED = new Date('2026-03-14T18:00:00Z');
const NOW = new Date('2026-03-14T19:00:00Z');
const RECENT = new Date('2026-03-14T18:55:00Z');

function campaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    kind: 'campaign',
    postId: 'pi-day',
    status: 'sending',
    startedAt: STARTED,
    recipientCount: 4,
    subject: 'Pi Day Meetup',
    delivery: {
      postUrl: 'https://recaps.example.org/pi-day/',
      siteUrl: 'https://recaps.example.org',
      from: { name: 'Recaps', address: 'recaps@recaps.example.org' },
    },
    fanout: { done: true, page: 2, enqueued: 4 },
    updatedAt: STARTED,
    ...overrides,
  };
}

const members = (n: number): AudienceMember[] =>
  Array.from({ length: n }, (_, i) => ({ id: `s${i}`, addressHash: `h${i}`, confirmedAt: STARTED }));

function setup(records: CampaignRecord[], audience: AudienceMember[]) {
  const campaigns = memoryCampaignRecords(records);
  const ledger = memoryReconcileLedger();
  const queue = memoryQueue();
  const restarted: string[] = [];
  const deps: ReconcileDeps = {
    campaigns,
    ledger,
    subscribers: memoryAudience(audience),
    enqueue: queue.enqueue,
    continueFanout: async (postId) => void restarted.push(postId),
    now: () => NOW,
    pageSize: 3,
  };
  return { deps, ledger, queue, restarted };
}

async function claimed(ledger: ReturnType<typeof memoryReconcileLedger>, id: string, at: Date) {
  await ledger.claim(
    { v: 1, postId: 'pi-day', subscriberId: id, addressHash: `h${id.slice(1)}` },
    `c-${id}`,
    at,
  );
}

describe('reconcileCampaign', () => {
  it('re-enqueues lost and stale claimed recipients and marks stale sending ones unknown', async () => {
    const { deps, ledger, queue } = setup([campaign()], members(4));
    await claimed(ledger, 's0', STARTED);
    await claimed(ledger, 's1', STARTED);
    await ledger.move('pi-day', 's1', { from: ['claimed'], claimId: 'c-s1', to: 'sending', now: STARTED });
    await claimed(ledger, 's2', RECENT);

    const result = await reconcileCampaign(deps, 'pi-day');

    expect(result).toMatchObject({ action: 'reconciled', requeued: 2, markedUnknown: 1 });
    expect(queue.sent.map((m) => m.subscriberId).sort()).toEqual(['s0', 's3']);
    expect((await ledger.get('pi-day', 's1'))?.state).toBe('unknown');
    expect((await ledger.get('pi-day', 's2'))?.state).toBe('claimed');
  });

  it('restarts a fan-out that stalled, and leaves a running one alone', async () => {
    const stalled = setup([campaign({ fanout: { done: false, page: 1, enqueued: 3 } })], members(4));
    const running = setup(
      [campaign({ fanout: { done: false, page: 1, enqueued: 3 }, updatedAt: RECENT })],
      members(4),
    );

    const results = [
      await reconcileCampaign(stalled.deps, 'pi-day'),
      await reconcileCampaign(running.deps, 'pi-day'),
    ];

    expect(results.map((r) => r.action)).toEqual(['fanout-restarted', 'skipped']);
    expect(stalled.restarted).toEqual(['pi-day']);
    expect(running.restarted).toEqual([]);
  });

  it('leaves halted and paused campaigns to the operator', async () => {
    const { deps, queue } = setup([campaign({ status: 'halted', haltReason: 'complaints' })], members(4));

    const result = await reconcileCampaign(deps, 'pi-day');

    expect(result.action).toBe('skipped');
    expect(queue.sent).toEqual([]);
  });
});

describe('reconcileCampaigns', () => {
  it('reconciles every campaign but not the not-to-mail records, and reports what it changed', async () => {
    const notToMail: CampaignRecord = {
      kind: 'not-to-mail',
      postId: 'old',
      reason: 'too old',
      recordedAt: STARTED,
    };
    const { deps } = setup([campaign(), notToMail], members(2));
    const warnings: unknown[] = [];

    const results = await reconcileCampaigns({
      ...deps,
      listCampaigns: async () => [campaign(), notToMail],
      log: { warn: (...line) => warnings.push(line) },
    });

    expect(results.map((r) => [r.postId, r.requeued])).toEqual([['pi-day', 2]]);
    expect(warnings).toEqual([['campaign reconciled', { postId: 'pi-day', requeued: 2, markedUnknown: 0 }]]);
  });
});
