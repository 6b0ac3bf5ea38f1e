import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type Campaign,
  type CampaignRecord,
  emptyCounts,
  type StateCounts,
} from '../../functions/core/campaign.ts';
import { type BannerInfo, formatBanner } from '../../functions/local/banner.ts';
import { createMailingProgress, formatMailingSummary } from '../../functions/local/progress.ts';

function info(overrides: Partial<BannerInfo> = {}): BannerInfo {
  return {
    siteUrl: 'http://localhost:3000/',
    inboxUrl: 'http://127.0.0.1:40000/',
    dataDir: '.herald',
    contentDir: 'content',
    readyMs: 1840,
    posts: 3,
    notMailed: 2,
    campaigns: 0,
    confirmedSubscribers: 0,
    maxAgeDays: 7,
    failed: 0,
    scheduled: 0,
    ...overrides,
  };
}

function campaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    kind: 'campaign',
    postId: '/2026/11/30/night',
    status: 'sending',
    startedAt: new Date('2026-11-30T10:00:00Z'),
    recipientCount: 1000,
    subject: 'Serving Night',
    delivery: {
      postUrl: 'http://localhost:3000/2026/11/30/night.html',
      siteUrl: 'http://localhost:3000',
      from: { name: 'Meetups', address: 'news@recaps.test' },
    },
    fanout: { done: true, page: 10, enqueued: 1000 },
    updatedAt: new Date('2026-11-30T10:00:00Z'),
    ...overrides,
  };
}

describe('banner', () => {
  it('names the site, subscribe page, feeds, inbox, data folder and how to reset', () => {
    const lines = formatBanner(info());

    expect(lines).toContain('  Site             http://localhost:3000/');
    expect(lines).toContain('  Subscribe page   http://localhost:3000/subscribe.html');
    expect(lines).toContain(
      '  Feeds            http://localhost:3000/feed.xml  http://localhost:3000/atom.xml  http://localhost:3000/feed.json',
    );
    expect(lines).toContain(
      '  Local inbox      http://127.0.0.1:40000/  (every email sent; raw copies in .herald/outbox/*.eml)',
    );
    expect(lines.join('\n')).toContain('herald dev --reset');
    expect(lines.join('\n')).toContain('ready in 1.8 s');
  });

  it('explains why the back catalogue was not mailed, and how to see a mailing', () => {
    const text = formatBanner(info()).join('\n');

    expect(text).toContain('3 posts on the site, none mailed, 2 never to be mailed');
    expect(text).toContain('more than 7 days (newsletter.max_age_days)');
    expect(text).toContain('add test readers with --demo-subscribers 100');
  });

  it('points at the problems printed above when a post failed', () => {
    const text = formatBanner(info({ failed: 1, confirmedSubscribers: 5, demoAdded: 5 })).join('\n');

    expect(text).toContain('1 not published (see the problems above)');
    expect(text).toContain('5 confirmed (5 demo readers added)');
  });
});

describe('mailing progress', () => {
  it('prints a post title without its control characters (ESC, BS, BEL, C1)', () => {
    const hostile = campaign({ subject: 'Serving\u001b[2J\u001b]0;pwned\u0007 Night\b\u009b' });
    const progress = {
      postId: '/2026/11/30/night',
      phase: 'complete' as const,
      recipients: 1,
      counts: { ...emptyCounts(), sent: 1 },
      departed: 0,
      terminal: 1,
      pending: 0,
    };

    const line = formatMailingSummary(hostile, progress, new Date('2026-11-30T10:00:05Z'));

    expect(line).toMatch(/^mailed "Serving\[2J\]0;pwned Night" to 1 confirmed subscriber:/);
  });

  it('summarises a finished campaign with counts per state and the rate', () => {
    const counts: StateCounts = { ...emptyCounts(), sent: 990, suppressed: 4, failed: 1 };

    const line = formatMailingSummary(
      campaign(),
      {
        postId: '/2026/11/30/night',
        phase: 'complete',
        recipients: 1000,
        counts,
        departed: 5,
        terminal: 1000,
        pending: 0,
      },
      new Date('2026-11-30T10:00:05Z'),
    );

    expect(line).toBe(
      'mailed "Serving Night" to 1000 confirmed subscribers: 990 sent, 9 suppressed, 1 failed, 0 unknown in 5.0 s (198/s)',
    );
  });

  it('prints one summary when a campaign started in this run completes, and none for older ones', async () => {
    const lines: string[] = [];
    let counts: StateCounts = { ...emptyCounts(), sent: 400 };
    const records: CampaignRecord[] = [
      campaign({ postId: 'old', subject: 'Old', updatedAt: new Date('2026-11-29T00:00:00Z') }),
      campaign(),
    ];
    const progress = createMailingProgress({
      source: {
        list: async () => records,
        countStates: async (postId) => (postId === 'old' ? { ...emptyCounts(), sent: 1000 } : counts),
      },
      stream: new PassThrough(),
      print: (line) => lines.push(line),
      since: new Date('2026-11-30T09:59:00Z'),
      busy: () => false,
      now: () => new Date('2026-11-30T10:00:04Z'),
      intervalMs: 5,
    });

    progress.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    counts = { ...emptyCounts(), sent: 1000 };
    await progress.settled();
    await progress.stop();

    expect(lines).toEqual([
      'mailed "Serving Night" to 1000 confirmed subscribers: 1000 sent, 0 suppressed, 0 failed, 0 unknown in 4.0 s (250/s)',
    ]);
  });
});
