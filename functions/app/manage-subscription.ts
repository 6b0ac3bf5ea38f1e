/**
 * What a subscriber's signed links do: confirm a pending subscription, send a fresh confirmation
 * link, unsubscribe. Each verifies the token, then saves with optimistic retries (the address-hash
 * record is the one source of truth) and returns a typed outcome the HTTP edge turns into a page.
 */
import { confirmationMessage } from '../core/confirmation-request.ts';
import { decideConfirm, decideResend, decideUnsubscribe } from '../core/subscriber.ts';
import { type TokenKeys, verifyToken } from '../core/tokens.ts';
import type { ConfirmationQueue, Log, SubscriberStore } from './ports.ts';
import { type RequestSubscriptionDeps, sendOrGiveBack } from './request-subscription.ts';

const MAX_SAVE_ATTEMPTS = 4;

/** What the link use cases need. */
export interface ManageSubscriptionDeps extends RequestSubscriptionDeps {
  store: RequestSubscriptionDeps['store'] & Pick<SubscriberStore, 'getById'>;
  logger: Pick<Log, 'info'>;
}

/** What a confirm link did. */
export type ConfirmOutcome = 'confirmed' | 'expired' | 'invalid';

/** Confirms the subscriber a `confirm` token names (the POST behind the page's button). */
export async function confirmSubscription(
  deps: Pick<ManageSubscriptionDeps, 'store' | 'keys' | 'policy' | 'logger'>,
  input: { token: string; now: Date; ip?: string | undefined; userAgent?: string | undefined },
): Promise<ConfirmOutcome> {
  const { now } = input;
  const check = verifyToken(deps.keys, input.token, {
    purpose: 'confirm',
    now,
    maxAgeMs: deps.policy.confirmTokenMaxAgeMs,
  });
  if (!check.ok && check.reason === 'expired') return 'expired';
  if (!check.ok) return 'invalid';
  const found = await deps.store.getById(check.subscriberId);
  if (!found) return 'invalid';
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(found.addressHash);
    if (!sub || 'kind' in sub || sub.id !== found.id) return 'invalid';
    const outcome = decideConfirm(sub, {
      tokenIssuedAt: check.issuedAt,
      now,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512),
    });
    if (outcome.kind === 'stale') return 'invalid';
    if (outcome.kind === 'confirmed' && (await deps.store.save(outcome.save)) === 'conflict') continue;
    deps.logger.info('subscriber confirmed', { subscriberId: sub.id, already: outcome.kind !== 'confirmed' });
    return 'confirmed';
  }
  throw new Error(`confirm: too much contention on subscriber ${found.id}`);
}

/**
 * Asks the confirm-mailer for a fresh confirmation link (from the expired-link page). The signature
 * must be ours, but age does not matter: this is the way out of an expired link. Whether a link goes
 * out is decided by the mailer ({@link resendNow}), so every valid token gets the same answer.
 * @returns `invalid` for a bad token; `done` otherwise.
 */
export async function resendConfirmation(
  deps: { keys: TokenKeys; confirmations: ConfirmationQueue },
  input: { token: string; now: Date },
): Promise<'done' | 'invalid'> {
  const check = verifyToken(deps.keys, input.token, { purpose: 'confirm', now: input.now });
  if (!check.ok) return 'invalid';
  const body = confirmationMessage({
    herald: 'confirmation',
    kind: 'resend',
    subscriberId: check.subscriberId,
    requestedAt: input.now,
  });
  await deps.confirmations.enqueue([{ body }]);
  return 'done';
}

/**
 * Sends a fresh confirmation link to a still-pending subscriber (the confirm-mailer's half of
 * {@link resendConfirmation}), at most as often as the policy allows.
 * @returns whether a link went out.
 */
export async function resendNow(
  deps: ManageSubscriptionDeps,
  input: { subscriberId: string; now: Date },
): Promise<{ sent: boolean }> {
  const { now } = input;
  const found = await deps.store.getById(input.subscriberId);
  if (!found) return { sent: false };
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(found.addressHash);
    if (!sub || 'kind' in sub || sub.id !== found.id) return { sent: false };
    const decision = decideResend(sub, now, deps.policy);
    if (!decision.sendConfirmation) return { sent: false };
    if ((await deps.store.save(decision.save)) === 'conflict') continue;
    await sendOrGiveBack(deps, decision.save, sub, now);
    return { sent: true };
  }
  throw new Error(`resend: too much contention on subscriber ${found.id}`);
}

/**
 * Unsubscribes the subscriber an `unsubscribe` token names. Idempotent; an erased or never stored
 * subscriber has nothing to mail, so the request has already succeeded.
 */
export async function unsubscribeByToken(
  deps: Pick<ManageSubscriptionDeps, 'store' | 'keys' | 'logger'>,
  input: { token: string; now: Date },
): Promise<'unsubscribed' | 'invalid'> {
  const { now } = input;
  const check = verifyToken(deps.keys, input.token, { purpose: 'unsubscribe', now });
  if (!check.ok) return 'invalid';
  const found = await deps.store.getById(check.subscriberId);
  if (!found) return 'unsubscribed';
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const sub = await deps.store.findByAddressHash(found.addressHash);
    if (!sub || 'kind' in sub || sub.id !== found.id) return 'unsubscribed';
    const { save } = decideUnsubscribe(sub, now);
    if (save && (await deps.store.save(save)) === 'conflict') continue;
    deps.logger.info('subscriber unsubscribed', { subscriberId: sub.id, changed: save !== undefined });
    return 'unsubscribed';
  }
  throw new Error(`unsubscribe: too much contention on subscriber ${found.id}`);
}
