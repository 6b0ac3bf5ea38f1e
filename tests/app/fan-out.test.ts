import { describe, expect, it } from 'vitest';
import { type AudienceMember, type FanoutDeps, runFanout } from '../../functions/app/fan-out.ts';
import type { Campaign } from '../../functions/core/campaign.ts';
import { memoryAudience, memoryCampaignRecords, memoryQueue } from '../support/memory-campaign-ports.ts';

const STARTED = new Date('2026-03-14T18:00:00Z');
const LATER = new Date('2026-03-14T18:05:00Z');

function campaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    kind: 'campaign',
    postId: 'pi-day',
    status: 'sending',
    startedAt: STARTED,
    recipientCount: 5,
    subject: 'Pi Day Meetup',
    delivery: {
      postUrl: 'https://recaps.example.org/pi-day/',
      siteUrl: 'https://recaps.example.org',
      from: { name: 'Recaps', address: 'recaps@recaps.example.org' },
    },
    fanout: { done: false, page: 0, enqueued: 0 },
    updatedAt: STARTED,
    ...overrides,
  };
}

const members = (n: number, confirmedAt = STARTED): AudienceMember[] =>
  Array.from({ length: n }, (_, i) => ({ id: `s${i}`, addressHash: `h${i}`, confirmedAt }));

function setup(options: { record?: Campaign; audience: AudienceMember[]; remaining?: number[] }) {
  const campaigns = memoryCampaignRecords(options.record ? [options.record] : []);
  const queue = memoryQueue();
  const continued: string[] = [];
  const remaining = [...(options.remaining ?? [])];
  const audience = memoryAudience(options.audience);
  const deps: FanoutDeps = {
    campaigns,
    subscribers: audience,
    enqueue: queue.enqueue,
    continueLater: async (postId) => void continued.push(postId),
    remainingMs: () => remaining.shift() ?? Number.POSITIVE_INFINITY,
    now: () => LATER,
    pageSize: 2,
  };
  return { deps, campaigns, queue, continued, audience };
}

describe('runFanout', () => {
  it('enqueues one message per subscriber confirmed by the start, page by page, and records the end', async () => {
    const late = { id: 'late', addressHash: 'hl', confirmedAt: LATER };
    const { deps, campaigns, queue } = setup({ record: campaign(), audience: [...members(4), late] });

    const result = await runFanout(deps, 'pi-day');

    expect(result).toEqual({ status: 'done', enqueued: 4, pages: 3 });
    expect(queue.sent.map((m) => m.subscriberId)).toEqual(['s0', 's1', 's2', 's3']);
    expect(queue.sent[0]).toEqual({ v: 1, postId: 'pi-day', subscriberId: 's0', addressHash: 'h0' });
    expect(campaigns.records.get('pi-day')).toMatchObject({
      fanout: { done: true, page: 3, enqueued: 4, finishedAt: LATER },
    });
  });

  it('stops before the invocation runs out of time and resumes from the saved cursor', async () => {
    const { deps, queue, continued } = setup({
      record: campaign(),
      audience: members(5),
      remaining: [60_000, 10_000],
    });

    const first = await runFanout(deps, 'pi-day');
    const second = await runFanout(deps, 'pi-day');

    expect(first).toEqual({ status: 'continued', enqueued: 2, pages: 1 });
    expect(continued).toEqual(['pi-day']);
    expect(second).toEqual({ status: 'done', enqueued: 3, pages: 2 });
    expect(queue.sent.map((m) => m.subscriberId)).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('does nothing for a finished fan-out, a missing campaign or a not-to-mail record', async () => {
    const done = setup({
      record: campaign({ fanout: { done: true, page: 3, enqueued: 5 } }),
      audience: members(5),
    });
    const missing = setup({ audience: members(5) });

    const results = [await runFanout(done.deps, 'pi-day'), await runFanout(missing.deps, 'pi-day')];

    expect(results.map((r) => r.status)).toEqual(['already-done', 'not-found']);
    expect(done.queue.sent).toEqual([]);
    expect(done.audience.pagesServed).toBe(0);
  });

  it('gives way when another run advanced the campaign first', async () => {
    const { deps, campaigns } = setup({ record: campaign(), audience: members(4) });
    const racing: FanoutDeps = {
      ...deps,
      campaigns: {
        get: deps.campaigns.get,
        async saveFanout(postId, expectedPage, next, now) {
          await campaigns.saveFanout(postId, expectedPage, { ...next, enqueued: 99 }, now);
          return deps.campaigns.saveFanout(postId, expectedPage, next, now);
        },
      },
    };

    const result = await runFanout(racing, 'pi-day');

    expect(result).toEqual({ status: 'superseded', enqueued: 2, pages: 1 });
    expect(campaigns.records.get('pi-day')).toMatchObject({ fanout: { page: 1, enqueued: 99 } });
  });
});
