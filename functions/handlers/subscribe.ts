/**
 * `POST /api/subscribe`: validate the form and queue a confirmation request; the confirm-mailer
 * stores the pending subscriber and sends the double opt-in email. Answers identically, and after
 * the same work, for new, pending, confirmed, unsubscribed and suppressed addresses, so the
 * endpoint never tells anyone who is subscribed.
 */
import { submitSubscribeForm } from '../app/request-subscription.ts';
import { parseBody } from '../core/http.ts';
import { describeChoice } from '../core/topics.ts';
import { loadSubscribeConfig } from '../wiring/config.ts';
import type { SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { type ApiEvent, apiEntryPoint, endpoint, reply, subscribeForm } from './http-reply.ts';

/** The one success message every accepted request gets. */
export const SUBSCRIBE_MESSAGE =
  'Thanks! Please check your inbox: we have sent a link to confirm your subscription. If nothing arrives within a few minutes, look in your spam folder.';
const INVALID = {
  title: 'That address does not look right',
  message: 'Please enter a valid email address, like name@example.org.',
};
const UNREADABLE: Record<number, string> = {
  413: 'That request is too large.',
  415: 'Send the form as JSON or as a regular form post.',
};
const RATE_LIMITED = {
  title: 'Too many requests',
  message: 'Too many sign-ups from your network. Please try again later.',
};

/** Builds the subscribe handler over injected deps. */
export function createSubscribeHandler(deps: SubscriptionDeps) {
  const topics = deps.topics ?? [];
  return endpoint('subscribe', deps, async (event: ApiEvent) => {
    const body = parseBody(event);
    if (!body.ok) {
      deps.logger.warn('subscribe request rejected', { problem: body.problem });
      const message = UNREADABLE[body.status] ?? 'That request could not be read. Please try again.';
      return reply(deps, event, body.status, 'error', { title: 'We could not read that', message });
    }
    const outcome = await submitSubscribeForm(deps, subscribeForm(event, body.fields, deps.now()));
    if (outcome.kind === 'rate-limited') {
      const retryAfter = String(Math.ceil(deps.ipLimit.windowMs / 1000));
      return reply(deps, event, 429, 'error', RATE_LIMITED, { 'retry-after': retryAfter });
    }
    if (outcome.kind === 'invalid-address') return reply(deps, event, 400, 'subscribe-result', INVALID);
    if (outcome.kind === 'invalid-topics') {
      const message = `Please pick topics from the list (${outcome.problem}).`;
      return reply(deps, event, 400, 'subscribe-result', { title: 'Those topics do not exist', message });
    }
    // Echoes the request's own choice, the same for every address, so it reveals nothing.
    const chosen = topics.length > 0 ? ` You chose: ${describeChoice(outcome.topics, topics)}.` : '';
    const message = `${SUBSCRIBE_MESSAGE}${chosen}`;
    return reply(deps, event, 200, 'subscribe-result', { title: 'Check your inbox', message });
  });
}

/** The Lambda entry point. */
export const handler = apiEntryPoint(createSubscribeHandler, loadSubscribeConfig);
