import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../functions/core/site-config.ts';
import {
  audiencePartitions,
  type CampaignAudience,
  describeChoice,
  EVERYTHING,
  emittedBy,
  parseTopicChoice,
  postAudience,
  type ReaderTopics,
  receives,
  type Topic,
} from '../../functions/core/topics.ts';

const TOPICS: Topic[] = [
  { id: 'berlin', name: 'Berlin', tags: ['berlin'] },
  { id: 'lisbon', name: 'Lisbon', tags: ['lisbon', 'porto'] },
  { id: 'kv-cache', name: 'KV cache', tags: ['kv-cache'] },
];

const post = (tags: string[], data: Record<string, unknown> = {}) => ({ tags, data });

/** What the fan-out does with the partitions: each partition's members, filtered by `emittedBy`. */
function fanOut(readers: ReaderTopics[], audience: CampaignAudience): number[] {
  const partitions = audiencePartitions(audience);
  if (partitions === undefined) return readers.map((_, i) => i);
  const out: number[] = [];
  for (const partition of partitions) {
    readers.forEach((reader, i) => {
      const member = partition === EVERYTHING ? reader === undefined : reader?.includes(partition) === true;
      if (member && emittedBy(partition, reader, audience)) out.push(i);
    });
  }
  return out;
}

describe('postAudience', () => {
  it('routes a post to the topics whose tags it carries, comparing tag slugs', () => {
    const result = postAudience(post(['Porto', 'KV Cache', 'community']), TOPICS);

    expect(result).toEqual({ audience: { kind: 'topics', topics: ['kv-cache', 'lisbon'] }, unknown: [] });
  });

  it('sends a post with no topic tag only to the readers who get everything', () => {
    expect(postAudience(post(['community']), TOPICS).audience).toEqual({ kind: 'topics', topics: [] });
  });

  it('lets front matter topics override the tags, and reports unknown ids', () => {
    const result = postAudience(post(['berlin'], { topics: ['lisbon', 'paris'] }), TOPICS);

    expect(result).toEqual({ audience: { kind: 'topics', topics: ['lisbon'] }, unknown: ['paris'] });
  });

  it('reaches every reader with topics: all', () => {
    expect(postAudience(post([], { topics: 'all' }), TOPICS).audience).toEqual({ kind: 'everyone' });
  });

  it('mails everyone when no topics are configured', () => {
    expect(postAudience(post(['berlin'], { topics: ['berlin'] }), []).audience).toEqual({ kind: 'everyone' });
  });
});

describe('parseTopicChoice', () => {
  it('takes everything by default', () => {
    expect(parseTopicChoice(undefined, TOPICS)).toEqual({ ok: true, topics: undefined });
    expect(parseTopicChoice([], TOPICS)).toEqual({ ok: true, topics: undefined });
    expect(parseTopicChoice('everything', TOPICS)).toEqual({ ok: true, topics: undefined });
  });

  it('sorts and de-duplicates known ids', () => {
    expect(parseTopicChoice(['lisbon', 'berlin', 'lisbon'], TOPICS)).toEqual({
      ok: true,
      topics: ['berlin', 'lisbon'],
    });
  });

  it('refuses an unknown id, more ids than configured, and non-strings', () => {
    expect(parseTopicChoice(['berlin', 'paris'], TOPICS)).toEqual({
      ok: false,
      message: 'unknown topic "paris"',
    });
    expect(parseTopicChoice(['berlin', 'berlin', 'berlin', 'berlin'], TOPICS)).toEqual({
      ok: false,
      message: '4 topics given; this site has 3',
    });
    expect(parseTopicChoice([1], TOPICS).ok).toBe(false);
    expect(parseTopicChoice(['berlin'], []).ok).toBe(false);
  });
});

describe('describeChoice', () => {
  it('names the chosen topics', () => {
    expect(describeChoice(['berlin', 'kv-cache'], TOPICS)).toBe('Berlin, KV cache');
    expect(describeChoice(undefined, TOPICS)).toBe('everything');
  });
});

describe('site.yml newsletter.topics', () => {
  const base = 'title: T\nurl: https://t.test\nnewsletter:\n  postal_address: Street 1\n';

  it('parses topics with tags defaulting to the id', () => {
    const site = parseSiteConfig(
      `${base}  topics:\n    - { id: berlin, name: Berlin, description: Recaps from Berlin }\n    - { id: lisbon, name: Lisbon, tags: [Lisbon, Porto] }\n`,
      'site.yml',
      'herald',
    );

    expect(site.newsletter.topics).toEqual([
      { id: 'berlin', name: 'Berlin', description: 'Recaps from Berlin', tags: ['berlin'] },
      { id: 'lisbon', name: 'Lisbon', tags: ['lisbon', 'porto'] },
    ]);
  });

  it('reads topics from the herald block of a Jekyll _config.yml', () => {
    const site = parseSiteConfig(
      'title: T\nurl: https://t.test\nherald:\n  newsletter:\n    topics: [{ id: seoul, name: Seoul }]\n',
      '_config.yml',
      'jekyll',
    );

    expect(site.newsletter.topics).toEqual([{ id: 'seoul', name: 'Seoul', tags: ['seoul'] }]);
  });

  it('names the line and value of a bad id', () => {
    const run = () =>
      parseSiteConfig(`${base}  topics:\n    - { id: Berlin!, name: Berlin }\n`, 'site.yml', 'herald');

    expect(run).toThrow(/site\.yml:6: newsletter\.topics\[0\]\.id.*lower-case slug/s);
  });

  it('refuses a duplicate id', () => {
    const run = () =>
      parseSiteConfig(
        `${base}  topics:\n    - { id: x, name: X }\n    - { id: x, name: Y }\n`,
        'site.yml',
        'herald',
      );

    expect(run).toThrow(/duplicate topic id "x"/);
  });

  it('leaves topics out when none are configured', () => {
    expect(parseSiteConfig(base, 'site.yml', 'herald').newsletter.topics).toBeUndefined();
  });
});

describe('routing property', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const tagPool = ['a', 'b', 'c', 'd', 'e', 'x', 'y'];
  const topicsArb = fc
    .subarray(ids, { minLength: 0 })
    .map((chosen): Topic[] => chosen.map((id) => ({ id, name: id.toUpperCase(), tags: [id] })));
  const readerArb = (topics: Topic[]): fc.Arbitrary<ReaderTopics> =>
    topics.length === 0
      ? fc.constant(undefined)
      : fc.option(
          fc.subarray(
            topics.map((t) => t.id),
            { minLength: 1 },
          ),
          { nil: undefined },
        );

  it('gives every reader exactly the posts of their topics, once each', () => {
    fc.assert(
      fc.property(
        topicsArb.chain((topics) =>
          fc.record({
            topics: fc.constant(topics),
            readers: fc.array(readerArb(topics), { maxLength: 30 }),
            posts: fc.array(fc.subarray(tagPool), { minLength: 1, maxLength: 6 }),
          }),
        ),
        ({ topics, readers, posts }) => {
          for (const tags of posts) {
            const { audience } = postAudience(post(tags), topics);
            const emitted = fanOut(readers, audience);
            const expected = readers.flatMap((reader, i) => {
              const wanted =
                topics.length === 0 || reader === undefined || reader.some((id) => tags.includes(id));
              return wanted ? [i] : [];
            });
            expect(new Set(emitted).size).toBe(emitted.length);
            expect([...emitted].sort((x, y) => x - y)).toEqual(expected);
            expect(readers.filter((r) => receives(r, audience)).length).toBe(expected.length);
          }
        },
      ),
      { seed: 20261202, numRuns: 200 },
    );
  });
});
