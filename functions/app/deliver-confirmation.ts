/**
 * The confirm-mailer's use case: one confirmation request from the queue (a sign-up, or a fresh
 * link asked for) becomes at most one confirmation email, decided against the stored address as of
 * the moment the reader asked. A failed send is thrown after the throttle slot was given back, so
 * the queue retries it (and after its receive limit keeps it in the dead-letter queue). Delivering
 * the same message twice sends once: the first run records the send at `requestedAt`.
 */
import type { ConfirmationRequest } from '../core/confirmation-request.ts';
import { type ManageSubscriptionDeps, resendNow } from './manage-subscription.ts';
import { requestSubscription } from './request-subscription.ts';

/** What the confirm-mailer needs: the subscriber store, the mailer and the confirmation renderer. */
export type ConfirmationMailerDeps = ManageSubscriptionDeps;

/** Handles one request; `sent` says whether an email went out. */
export async function deliverConfirmation(
  deps: ConfirmationMailerDeps,
  request: ConfirmationRequest,
): Promise<{ sent: boolean }> {
  const now = request.requestedAt;
  if (request.kind === 'resend') return resendNow(deps, { subscriberId: request.subscriberId, now });
  return requestSubscription(deps, {
    email: request.email,
    consent: request.consent,
    now,
    ...(request.topics ? { topics: request.topics } : {}),
  });
}
