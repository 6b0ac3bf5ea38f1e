/**
 * `POST /api/resend` (field `token`, from the expired-link page): sends a fresh confirmation link
 * to a still-pending subscriber. Its own function, so only it and subscribe may send mail.
 */
import { resendConfirmation } from '../app/manage-subscription.ts';
import { parseBody } from '../core/http.ts';
import type { SubscriptionDeps } from '../wiring/subscription-deps.ts';
import {
  type ApiEvent,
  apiEntryPoint,
  endpoint,
  INVALID_LINK,
  methodOf,
  notAllowed,
  reply,
  tokenOf,
  unreadable,
} from './http-reply.ts';

const RESENT = {
  title: 'Check your inbox',
  message: 'If your subscription is still waiting for confirmation, we have sent you a new link.',
};

/** Builds the resend handler over injected deps. */
export function createResendHandler(deps: SubscriptionDeps) {
  return endpoint('resend', deps, async (event: ApiEvent) => {
    if (methodOf(event, 'POST') !== 'POST') return notAllowed(deps, event);
    const body = parseBody(event);
    if (!body.ok) return unreadable(deps, event, body.status);
    const done = await resendConfirmation(deps, { token: tokenOf(event, body.fields), now: deps.now() });
    return done === 'invalid'
      ? reply(deps, event, 400, 'error', INVALID_LINK)
      : reply(deps, event, 200, 'subscribe-result', RESENT);
  });
}

/** The Lambda entry point. */
export const handler = apiEntryPoint(createResendHandler);
