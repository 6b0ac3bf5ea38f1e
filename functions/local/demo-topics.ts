/**
 * Topics in `herald dev`: how `--demo-subscribers N` spreads demo readers over the configured
 * topics, and the per-topic counts the banner prints.
 */
import type { TopicAudience } from '../adapters/topic-audience.ts';
import { EVERYTHING, type Topic } from '../core/topics.ts';

/**
 * The choice of demo reader `n` (1-based): the first, and one in (topics + 1), get everything (so a
 * post without a topic tag still reaches `reader-1`); the others pick topics in turn, and about one
 * in four of those a second one, so a post in two topics shows readers who get it once through either.
 */
export function demoReaderTopics(n: number, topics: readonly Topic[]): string[] | undefined {
  if (topics.length === 0) return undefined;
  const slot = (n - 1) % (topics.length + 1);
  if (slot === 0) return undefined;
  const first = topics[slot - 1]?.id as string;
  const second = n % 4 === 1 && topics.length > 1 ? topics[slot % topics.length]?.id : undefined;
  return [...new Set([first, ...(second ? [second] : [])])].sort();
}

/** One banner entry: a topic's name (or `everything`) and its confirmed readers. */
export interface TopicCount {
  name: string;
  readers: number;
}

/** Confirmed readers per configured topic, and of everything, from the audience items. */
export async function countTopics(audience: TopicAudience, topics: readonly Topic[]): Promise<TopicCount[]> {
  if (topics.length === 0) return [];
  const counts = await Promise.all([
    audience.countPartition(EVERYTHING).then((readers) => ({ name: 'everything', readers })),
    ...topics.map(async (t) => ({ name: t.name, readers: await audience.countPartition(t.id) })),
  ]);
  return counts;
}
