/**
 * The preference page behind the "Manage your subscription" link of every newsletter: show what a
 * reader gets, change their topics, or unsubscribe them from everything. The link carries a
 * `manage` token: it never works as a confirm or unsubscribe token, nor they as it. Showing
 * changes nothing (link scanners open every link); only the page's POST does.
 */
import type { Logger } from '../adapters/json-logger.ts';
import type { SubscriberStore } from '../adapters/subscriber-store.ts';
import {
  decideTopics,
  decideUnsubscribe,
  type Subscriber,
  type SubscriberStatus,
} from '../core/subscriber.ts';
import { type TokenKeys, verifyToken } from '../core/tokens.ts';
import { parseTopicChoice, type ReaderTopics, type Topic, type TopicChoice } from '../core/topics.ts';

const MAX_SAVE_ATTEMPTS = 4;

/** Manage links stop working after this long (a newer newsletter carries a fresh one). 90 days. */
export const MANAGE_TOKEN_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/** What the preference use cases need. */
export interface PreferenceDeps {
  store: Pick<SubscriberStore, 'getById' | 'findByAddressHash' | 'save'>;
  keys: TokenKeys;
  /** The configured topics (empty: the page only offers unsubscribing). */
  topics: readonly Topic[];
  /** Default {@link MANAGE_TOKEN_MAX_AGE_MS}. */
  manageTokenMaxAgeMs?: number;
  logger: Pick<Logger, 'info'>;
}

/** The reader as the page shows them. */
export interface PreferenceView {
  email: string;
  status: SubscriberStatus;
  topics: ReaderTopics;
}

/** Why a token was refused: `invalid` (forged, tampered, wrong purpose, unknown reader) or `expired`. */
export type TokenRefusal = { kind: 'invalid' } | { kind: 'expired' };

/** What a change did. */
export type PreferenceChange =
  | TokenRefusal
  | { kind: 'bad-topics'; message: string; view: PreferenceView }
  | { kind: 'saved'; view: PreferenceView }
  | { kind: 'unsubscribed'; view: PreferenceView }
  | { kind: 'not-subscribed'; view: PreferenceView };

/** A change the page asked for: new topics (raw, validated here) or unsubscribing from everything. */
export type PreferenceRequest =
  /** `picking`: the form's "only these topics", where nothing ticked is a mistake, not "everything". */
  { action: 'topics'; topics: unknown; picking?: boolean } | { action: 'unsubscribe' };

const viewOf = (sub: Subscriber): PreferenceView => ({
  email: sub.email,
  status: sub.status,
  topics: sub.topics,
});

async function reader(
  deps: PreferenceDeps,
  token: string,
  now: Date,
): Promise<TokenRefusal | { kind: 'found'; found: Subscriber }> {
  const check = verifyToken(deps.keys, token, {
    purpose: 'manage',
    now,
    maxAgeMs: deps.manageTokenMaxAgeMs ?? MANAGE_TOKEN_MAX_AGE_MS,
  });
  if (!check.ok) return { kind: check.reason };
  const found = await deps.store.getById(check.subscriberId);
  return found ? { kind: 'found', found } : { kind: 'invalid' };
}

/** What the page shows for a manage token (GET): reads only. */
export async function showPreferences(
  deps: PreferenceDeps,
  input: { token: string; now: Date },
): Promise<TokenRefusal | { kind: 'show'; view: PreferenceView }> {
  const result = await reader(deps, input.token, input.now);
  if (result.kind !== 'found') return result;
  const current = await deps.store.findByAddressHash(result.found.addressHash);
  if (!current || 'kind' in current || current.id !== result.found.id) return { kind: 'invalid' };
  return { kind: 'show', view: viewOf(current) };
}

/**
 * Applies a change from the page (POST). Topics are validated before anything is read or written;
 * the save is optimistic, retried on conflict. Changing topics touches only future campaigns: one
 * already sending has its audience fixed (see `core/topics.ts`).
 */
export async function changePreferences(
  deps: PreferenceDeps,
  input: { token: string; now: Date; request: PreferenceRequest },
): Promise<PreferenceChange> {
  const { now, request } = input;
  const result = await reader(deps, input.token, now);
  if (result.kind !== 'found') return result;
  const nothingPicked =
    request.action === 'topics' &&
    request.picking === true &&
    (request.topics === undefined || (Array.isArray(request.topics) && request.topics.length === 0));
  const choice: TopicChoice | undefined = nothingPicked
    ? { ok: false, message: 'no topic picked' }
    : request.action === 'topics'
      ? parseTopicChoice(request.topics, deps.topics)
      : undefined;
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(result.found.addressHash);
    if (!sub || 'kind' in sub || sub.id !== result.found.id) return { kind: 'invalid' };
    if (choice && !choice.ok) return { kind: 'bad-topics', message: choice.message, view: viewOf(sub) };
    if (request.action === 'unsubscribe') {
      const { save } = decideUnsubscribe(sub, now);
      if (save && (await deps.store.save(save)) === 'conflict') continue;
      deps.logger.info('subscriber unsubscribed', {
        subscriberId: sub.id,
        changed: save !== undefined,
        via: 'preferences',
      });
      return { kind: 'unsubscribed', view: viewOf(save ?? sub) };
    }
    if (sub.status !== 'confirmed' && sub.status !== 'pending')
      return { kind: 'not-subscribed', view: viewOf(sub) };
    const { save } = decideTopics(sub, choice?.ok ? choice.topics : undefined, now);
    if (save && (await deps.store.save(save)) === 'conflict') continue;
    deps.logger.info('subscriber topics changed', {
      subscriberId: sub.id,
      changed: save !== undefined,
      topics: (save ?? sub).topics ?? 'everything',
    });
    return { kind: 'saved', view: viewOf(save ?? sub) };
  }
  throw new Error(`preferences: too much contention on subscriber ${result.found.id}`);
}
