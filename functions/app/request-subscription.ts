/**
 * Requesting a subscription (double opt-in). The subscribe form only validates and enqueues a
 * confirmation request ({@link submitSubscribeForm}): the same work for every address, so the answer
 * time tells nothing about who is subscribed. The confirm-mailer then decides, saves with
 * optimistic retries and sends the confirmation only for the write that won
 * ({@link requestSubscription}, also run by `herald subscribers import`).
 */

import { confirmationMessage } from '../core/confirmation-request.ts';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import {
  type ConsentRecord,
  decideSubscribe,
  type Subscriber,
  type SubscriptionPolicy,
} from '../core/subscriber.ts';
import { signToken, type TokenKeys } from '../core/tokens.ts';
import { describeChoice, parseTopicChoice, type Topic, type TopicChoice } from '../core/topics.ts';
import {
  type ConfirmationEmailRenderer,
  type ConfirmationQueue,
  type Log,
  type Mailer,
  type SubscriberStore,
  SubscriberStoreError,
} from './ports.ts';

/** What requesting a subscription needs. */
export interface RequestSubscriptionDeps {
  store: Pick<SubscriberStore, 'findByAddressHash' | 'save'>;
  mailer: Mailer;
  renderConfirmation: ConfirmationEmailRenderer;
  keys: TokenKeys;
  /** Site URL with baseurl, no trailing slash. */
  siteUrl: string;
  policy: SubscriptionPolicy;
  newId: () => string;
  /** Topics readers may choose; absent or empty = none configured. */
  topics?: readonly Topic[];
}

/** What the subscribe form needs: the per-IP limit, the confirmation queue, the consent wording, a log. */
export interface SubscribeFormDeps {
  store: Pick<SubscriberStore, 'hit'>;
  confirmations: ConfirmationQueue;
  ipLimit: { max: number; windowMs: number };
  consentTextVersion: string;
  /** Topics readers may choose; absent or empty = none configured. */
  topics?: readonly Topic[];
  logger: Pick<Log, 'info' | 'warn'>;
}

/** One submitted subscribe form, as the HTTP edge read it. */
export interface SubscribeForm {
  fields: Record<string, string | undefined>;
  /** The `topics` field as sent (a list of topic ids; see `parseTopicChoice`); undefined = everything. */
  topics?: unknown;
  ip: string;
  userAgent?: string | undefined;
  /** `Referer`, else `Origin`: where the form was, when it does not say. */
  referer?: string | undefined;
  now: Date;
}

/** What became of a form. Callers answer `honeypot` exactly like `accepted`. */
export type SubscribeFormOutcome =
  | { kind: 'rate-limited'; hits: number }
  | { kind: 'honeypot'; topics?: string[] }
  | { kind: 'invalid-address'; problem: string }
  | { kind: 'invalid-topics'; problem: string }
  | { kind: 'accepted'; topics?: string[] };

const MAX_SAVE_ATTEMPTS = 4;
const clip = (value: string | undefined, max = 512) =>
  value === undefined ? undefined : value.slice(0, max);

/**
 * Runs a subscribe form: the topics, the per-IP limit, the honeypot, the address, then enqueues the
 * request for the confirm-mailer. Reads nothing about the address, so every address costs the same.
 */
export async function submitSubscribeForm(
  deps: SubscribeFormDeps,
  form: SubscribeForm,
): Promise<SubscribeFormOutcome> {
  const { now, ip } = form;
  // Checked first, so a refused choice stores nothing at all (not even a rate-limit hit).
  const picking = form.fields.choice === 'topics';
  const raw = form.fields.choice === 'everything' ? undefined : form.topics;
  const nothingPicked = picking && (raw === undefined || (Array.isArray(raw) && raw.length === 0));
  const choice: TopicChoice = nothingPicked
    ? { ok: false, message: 'no topic picked' }
    : parseTopicChoice(raw, deps.topics ?? []);
  if (!choice.ok) {
    deps.logger.info('subscribe topics rejected', { problem: choice.message });
    return { kind: 'invalid-topics', problem: choice.message };
  }
  const hits = await deps.store.hit('subscribe-ip', addressHash(ip), now, deps.ipLimit.windowMs);
  if (hits > deps.ipLimit.max) {
    deps.logger.warn('subscribe rate limited', { hits });
    return { kind: 'rate-limited', hits };
  }
  // Bots fill every field; people never see this one. They get the same answer and no email.
  if ((form.fields.website ?? '').trim() !== '') {
    deps.logger.info('subscribe honeypot filled', {});
    return { kind: 'honeypot', ...(choice.topics ? { topics: choice.topics } : {}) };
  }
  const address = normalizeEmailAddress(form.fields.email ?? '');
  if (!address.ok) {
    deps.logger.info('subscribe address rejected', { problem: address.problem });
    return { kind: 'invalid-address', problem: address.problem };
  }
  const consent: ConsentRecord = {
    at: now,
    source: clip(form.fields.source ?? form.referer) ?? 'unknown',
    method: 'double-opt-in',
    ip,
    userAgent: clip(form.userAgent),
    textVersion: deps.consentTextVersion,
  };
  const topics = choice.topics ? { topics: choice.topics } : {};
  await deps.confirmations.enqueue([
    {
      body: confirmationMessage({
        herald: 'confirmation',
        kind: 'subscribe',
        email: address.address,
        consent,
        ...topics,
        requestedAt: now,
      }),
    },
  ]);
  deps.logger.info('subscribe accepted', {});
  return { kind: 'accepted', ...topics };
}

/** Sends the confirmation email for a freshly saved pending subscriber. */
export async function sendConfirmation(
  deps: RequestSubscriptionDeps,
  sub: Subscriber,
  now: Date,
): Promise<void> {
  const token = signToken(deps.keys, { purpose: 'confirm', subscriberId: sub.id, issuedAt: now });
  const confirmUrl = `${deps.siteUrl}/api/confirm?token=${encodeURIComponent(token)}`;
  const topics = deps.topics ?? [];
  const email = await deps.renderConfirmation({
    email: sub.email,
    confirmUrl,
    ...(topics.length > 0 ? { topics: describeChoice(sub.topics, topics) } : {}),
  });
  await deps.mailer.send({ to: sub.email, ...email });
}

/**
 * Runs the subscribe decision with optimistic retries and sends mail only for the write that won.
 * Shared by the HTTP handler and `herald subscribers import`.
 * @returns whether a confirmation email went out.
 */
export async function requestSubscription(
  deps: RequestSubscriptionDeps,
  input: { email: string; consent: ConsentRecord; now: Date; topics?: string[] },
): Promise<{ sent: boolean }> {
  const hash = addressHash(input.email);
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const existing = await deps.store.findByAddressHash(hash);
    const current = existing && 'kind' in existing ? 'suppressed' : existing;
    const decision = decideSubscribe(
      current,
      {
        id: deps.newId(),
        email: input.email,
        addressHash: hash,
        consent: input.consent,
        now: input.now,
        ...(input.topics ? { topics: input.topics } : {}),
      },
      deps.policy,
    );
    if (!decision.save) return { sent: false };
    if ((await deps.store.save(decision.save)) === 'conflict') continue;
    if (!decision.sendConfirmation) return { sent: false };
    await sendOrGiveBack(deps, decision.save, current === 'suppressed' ? undefined : current, input.now);
    return { sent: true };
  }
  throw new SubscriberStoreError(
    `subscriber store: too much contention saving one address after ${MAX_SAVE_ATTEMPTS} attempts`,
  );
}

/**
 * Sends the confirmation `saved` recorded; if sending fails (SES throttling, an outage), gives the
 * throttle slot back (best effort) and rethrows, so the queue's retry finds the address still
 * due a link and sends it then.
 */
export async function sendOrGiveBack(
  deps: RequestSubscriptionDeps,
  saved: Subscriber,
  before: Subscriber | undefined,
  now: Date,
): Promise<void> {
  try {
    await sendConfirmation(deps, saved, now);
  } catch (error) {
    const rollback: Subscriber = {
      ...saved,
      confirmationSentAt: before?.confirmationSentAt,
      recentConfirmations: before?.recentConfirmations ?? [],
      version: saved.version + 1,
    };
    await deps.store.save(rollback).catch(() => undefined);
    throw error;
  }
}
