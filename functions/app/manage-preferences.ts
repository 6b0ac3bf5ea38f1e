/**
 * The preference page behind the "Manage your subscription" link of every newsletter: show what a
 * reader gets, change their topics, or unsubscribe them from everything. The link carries a
 * `manage` token: it never works as a confirm or unsubscribe token, nor they as it. Showing
 * changes nothing (link scanners open every link); only the page's POST does.
 */
import {
  decideTopics,
  decideUnsubscribe,
  type Subscriber,
  type SubscriberStatus,
} from '../core/subscriber.ts';
import { type TokenKeys, verifyToken } from '../core/tokens.ts';
import {
  describeChoice,
  parseTopicChoice,
  type ReaderTopics,
  type Topic,
  type TopicChoice,
} from '../core/topics.ts';
import type { Log, SubscriberStore } from './ports.ts';

const MAX_SAVE_ATTEMPTS = 4;

/** Manage links stop working after this long (a newer newsletter carries a fresh one). 90 days. */
export const MANAGE_TOKEN_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/** The page for a refused manage link. */
export const MANAGE_LINK_REFUSED = {
  invalid: {
    title: 'This link does not work',
    message:
      'The link is incomplete or no longer valid. Please use the "Manage your subscription" link of your latest newsletter.',
  },
  expired: {
    title: 'This link has expired',
    message:
      'For your safety, these links work for 90 days. Please use the "Manage your subscription" link of a newer newsletter; the "Unsubscribe" link of any newsletter always works.',
  },
} as const;

/** What the preference use cases need. */
export interface PreferenceDeps {
  store: Pick<SubscriberStore, 'getById' | 'findByAddressHash' | 'save'>;
  keys: TokenKeys;
  /** The configured topics (empty: the page only offers unsubscribing). */
  topics: readonly Topic[];
  /** Default {@link MANAGE_TOKEN_MAX_AGE_MS}. */
  manageTokenMaxAgeMs?: number;
  logger: Pick<Log, 'info'>;
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

/**
 * Reads the change a POST of the page asks for: `action=unsubscribe`, `choice=everything`, or the
 * ticked topics (`topics`, as the HTTP edge read them; `choice=topics` means some must be ticked).
 */
export function preferenceRequest(
  fields: Record<string, string | undefined>,
  topics: unknown,
): PreferenceRequest {
  if (fields.action === 'unsubscribe') return { action: 'unsubscribe' };
  if (fields.choice === 'everything') return { action: 'topics', topics: undefined };
  return { action: 'topics', topics, picking: fields.choice === 'topics' };
}

/** What the preference page shows: the configured topics with the reader's choice ticked. */
export function preferencePage(
  topics: readonly Topic[],
  token: string,
  view: PreferenceView,
  notice?: string,
) {
  const choice = describeChoice(view.topics, topics);
  return {
    title: 'Your subscription',
    message: notice ?? `You get: ${choice}.`,
    token,
    email: view.email,
    subscribed: view.status === 'confirmed' || view.status === 'pending',
    pending: view.status === 'pending',
    notice,
    choice,
    hasTopics: topics.length > 0,
    everything: view.topics === undefined,
    topics: topics.map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      checked: view.topics?.includes(t.id) === true,
    })),
  };
}

/** The notice the page shows after a change (none after unsubscribing: that has its own page). */
export function changeNotice(
  change: Exclude<PreferenceChange, TokenRefusal>,
  topics: readonly Topic[],
): string {
  switch (change.kind) {
    case 'bad-topics':
      return `Nothing was changed: ${change.message}. Pick topics from the list, or choose everything.`;
    case 'not-subscribed':
      return 'You are not subscribed, so there is nothing to change.';
    default:
      return `Saved. You get: ${describeChoice(change.view.topics, topics)}.`;
  }
}
