import { describe, expect, it } from 'vitest';
import type { Topic } from '../../functions/core/topics.ts';
import { formatBanner } from '../../functions/local/banner.ts';
import { demoReaderTopics } from '../../functions/local/demo-topics.ts';

const TOPICS: Topic[] = [
  { id: 'berlin', name: 'Berlin', tags: ['berlin'] },
  { id: 'lisbon', name: 'Lisbon', tags: ['lisbon'] },
];

describe('demo readers and topics', () => {
  it('spreads demo readers over everything and every topic, some in two', () => {
    const choices = Array.from({ length: 30 }, (_, i) => demoReaderTopics(i + 1, TOPICS));

    expect(choices.filter((c) => c === undefined)).toHaveLength(10);
    expect(choices.filter((c) => c?.includes('berlin')).length).toBeGreaterThan(5);
    expect(choices.filter((c) => c?.includes('lisbon')).length).toBeGreaterThan(5);
    expect(choices.some((c) => c?.length === 2)).toBe(true);
    expect(demoReaderTopics(7, [])).toBeUndefined();
  });

  it('prints readers per topic in the banner', () => {
    const lines = formatBanner({
      siteUrl: 'http://localhost:3000/',
      inboxUrl: 'http://127.0.0.1:40000/',
      dataDir: '.herald',
      contentDir: 'content',
      readyMs: 1000,
      posts: 3,
      notMailed: 0,
      campaigns: 0,
      confirmedSubscribers: 30,
      maxAgeDays: 7,
      failed: 0,
      scheduled: 0,
      topicCounts: [
        { name: 'everything', readers: 10 },
        { name: 'Berlin', readers: 14 },
        { name: 'Lisbon', readers: 12 },
      ],
    });

    expect(lines).toContain('  Topics           everything 10, Berlin 14, Lisbon 12');
  });
});
