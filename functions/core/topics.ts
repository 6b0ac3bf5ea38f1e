/**
 * Topics: readers choose what they get, and posts are routed by the tags their authors commit.
 *
 * - A topic is configured in `site.yml` under `newsletter.topics` (or `herald: newsletter: topics:` in a
 *   Jekyll `_config.yml`): an id, a name, a description and the post tags that belong to it.
 * - A reader either gets everything (`topics` undefined: today's behaviour, and the default) or
 *   picks one or more topics.
 * - A post's audience is the readers of every topic whose tags it carries, plus everyone who gets
 *   everything. Front matter `topics:` overrides the tags: a list of topic ids, or `all` to reach
 *   every confirmed reader whatever they chose. A post that matches no topic reaches only the
 *   readers who get everything (a reader who picked "Berlin" asked for Berlin, not for the rest).
 * - With no topics configured, every post goes to every confirmed reader, as before topics existed.
 *
 * Pure: no I/O, and no zod (the subscription Lambdas import this; the `site.yml` schema is in
 * `site-config.ts`). The fan-out reads one partition per matching topic plus the "everything" one; a
 * reader in several matching topics is emitted only by the first of them ({@link emittedBy}), so
 * each reader is enqueued once and counted once.
 */
import { tagSlug } from './tag-slug.ts';

/** One configured topic. */
export interface Topic {
  /** Stable id: what the subscribe API takes and what is stored per reader. */
  id: string;
  name: string;
  description?: string;
  /** Post tags (compared as tag slugs) that put a post into this topic. Default: the id. */
  tags: string[];
}

/** The most topics a site may configure (and so the most a reader may pick). */
export const MAX_TOPICS = 32;

/** What an id looks like: a lower-case slug, so it is safe in keys, URLs and CSV. */
export const TOPIC_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Partition key of the readers who get everything, next to the topic ids. */
export const EVERYTHING = '*';

/**
 * Who a campaign is mailed to, fixed when it starts (stored with the campaign).
 * `everyone`: every confirmed reader. `topics`: the readers who get everything plus the readers of
 * any of `topics` (sorted, unique; empty = only the readers who get everything).
 */
export type CampaignAudience = { kind: 'everyone' } | { kind: 'topics'; topics: string[] };

/** A reader's choice: undefined = everything, else the topic ids they picked (sorted, unique). */
export type ReaderTopics = readonly string[] | undefined;

/** A post's audience and any `topics:` ids in its front matter that are not configured. */
export interface PostAudience {
  audience: CampaignAudience;
  unknown: string[];
}

const sortedUnique = (ids: Iterable<string>) => [...new Set(ids)].sort();

/**
 * The audience of a post. Front matter `topics:` (a list of ids, a space-separated string, or
 * `all`) overrides the tags; unknown ids are reported and left out.
 */
export function postAudience(
  post: { tags: readonly string[]; data: Record<string, unknown> },
  topics: readonly Topic[],
): PostAudience {
  if (topics.length === 0) return { audience: { kind: 'everyone' }, unknown: [] };
  const override = post.data.topics;
  if (override !== undefined && override !== null) {
    const ids = (Array.isArray(override) ? override : String(override).split(/[\s,]+/))
      .map((v) => String(v).trim().toLowerCase())
      .filter((v) => v !== '');
    if (ids.length === 1 && (ids[0] === 'all' || ids[0] === 'everyone')) {
      return { audience: { kind: 'everyone' }, unknown: [] };
    }
    const known = new Set(topics.map((t) => t.id));
    return {
      audience: { kind: 'topics', topics: sortedUnique(ids.filter((id) => known.has(id))) },
      unknown: ids.filter((id) => !known.has(id)),
    };
  }
  const tags = new Set(post.tags.map(tagSlug));
  const matched = topics.filter((t) => t.tags.some((tag) => tags.has(tag))).map((t) => t.id);
  return { audience: { kind: 'topics', topics: sortedUnique(matched) }, unknown: [] };
}

/** Whether a reader with this choice is in the audience. */
export function receives(reader: ReaderTopics, audience: CampaignAudience): boolean {
  if (audience.kind === 'everyone' || reader === undefined) return true;
  return reader.some((id) => audience.topics.includes(id));
}

/**
 * The partitions fan-out reads for an audience, in order: the readers who get everything first,
 * then each topic. Undefined for `everyone` (the confirmed index holds them all).
 */
export function audiencePartitions(audience: CampaignAudience): string[] | undefined {
  return audience.kind === 'everyone' ? undefined : [EVERYTHING, ...sortedUnique(audience.topics)];
}

/**
 * Whether the member of `partition` with this choice is emitted from it: only from the first
 * partition of {@link audiencePartitions} that holds them, so a reader in three matching topics is
 * enqueued (and counted) once.
 */
export function emittedBy(partition: string, reader: ReaderTopics, audience: CampaignAudience): boolean {
  const partitions = audiencePartitions(audience);
  if (partitions === undefined) return true;
  const first =
    reader === undefined ? EVERYTHING : partitions.find((p) => p !== EVERYTHING && reader.includes(p));
  return first === partition;
}

/** Result of {@link parseTopicChoice}. */
export type TopicChoice = { ok: true; topics: string[] | undefined } | { ok: false; message: string };

/**
 * Validates the topics a reader picked (subscribe API, preference page). Missing, `everything` or
 * an empty list mean everything. Unknown ids, duplicates beyond the configured count, or a choice
 * while no topics are configured are refused with a message naming the value.
 */
export function parseTopicChoice(value: unknown, topics: readonly Topic[]): TopicChoice {
  if (value === undefined || value === null || value === '' || value === 'everything') {
    return { ok: true, topics: undefined };
  }
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
    return { ok: false, message: 'topics must be a list of topic ids' };
  }
  const ids = (list as string[]).map((v) => v.trim()).filter((v) => v !== '');
  if (ids.length === 0 || (ids.length === 1 && ids[0] === 'everything'))
    return { ok: true, topics: undefined };
  if (ids.length > topics.length) {
    return {
      ok: false,
      message: `${ids.length} topics given; this site has ${topics.length}`,
    };
  }
  const known = new Set(topics.map((t) => t.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) return { ok: false, message: `unknown topic "${unknown.slice(0, 40)}"` };
  return { ok: true, topics: sortedUnique(ids) };
}

/** The names of a reader's topics for emails and pages, e.g. `Berlin, Lisbon`, or `everything`. */
export function describeChoice(reader: ReaderTopics, topics: readonly Topic[]): string {
  if (reader === undefined) return 'everything';
  const names = reader.map((id) => topics.find((t) => t.id === id)?.name ?? id);
  return names.join(', ');
}
