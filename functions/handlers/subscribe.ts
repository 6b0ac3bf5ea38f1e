/**
 * `POST /api/subscribe`: validate the address, store a pending subscriber, send the double
 * opt-in email. Answers identically for new, pending, confirmed, unsubscribed and suppressed
 * addresses so the endpoint never tells anyone who is subscribed.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { submitSubscribeForm } from '../app/request-subscription.ts';
import { clientIp, header, listField, parseBody } from '../core/http.ts';
import { describeChoice } from '../core/topics.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { reply, retryLater, unavailable } from './http-reply.ts';

/** The one success message every accepted request gets. */
export const SUBSCRIBE_MESSAGE =
  'Thanks! Please check your inbox: we have sent a link to confirm your subscription. If nothing arrives within a few minutes, look in your spam folder.';
const ACCEPTED = { title: 'Check your inbox', message: SUBSCRIBE_MESSAGE };
const INVALID = {
  title: 'That address does not look right',
  message: 'Please enter a valid email address, like name@example.org.',
};
const UNREADABLE: Record<number, string> = {
  413: 'That request is too large.',
  415: 'Send the form as JSON or as a regular form post.',
};

/** Builds the subscribe handler over injected deps. */
export function createSubscribeHandler(deps: SubscriptionDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const body = parseBody(event);
    if (!body.ok) {
      deps.logger.warn('subscribe request rejected', { problem: body.problem });
      const message = UNREADABLE[body.status] ?? 'That request could not be read. Please try again.';
      return reply(deps, event, body.status, 'error', { title: 'We could not read that', message });
    }
    try {
      const outcome = await submitSubscribeForm(deps, {
        fields: body.fields,
        topics: listField(event, 'topics'),
        ip: clientIp(event) ?? 'unknown',
        userAgent: event.requestContext?.http?.userAgent ?? header(event, 'user-agent'),
        referer: header(event, 'referer') ?? header(event, 'origin'),
        now: deps.now(),
      });
      if (outcome.kind === 'rate-limited') {
        const title = 'Too many requests';
        const message = 'Too many sign-ups from your network. Please try again later.';
        const retryAfter = String(Math.ceil(deps.ipLimit.windowMs / 1000));
        return reply(deps, event, 429, 'error', { title, message }, { 'retry-after': retryAfter });
      }
      if (outcome.kind === 'invalid-address') return reply(deps, event, 400, 'subscribe-result', INVALID);
      if (outcome.kind === 'invalid-topics') {
        const message = `Please pick topics from the list (${outcome.problem}).`;
        return reply(deps, event, 400, 'subscribe-result', { title: 'Those topics do not exist', message });
      }
      if ((deps.topics ?? []).length === 0) return reply(deps, event, 200, 'subscribe-result', ACCEPTED);
      // Echoes the request's own choice, the same for every address, so it reveals nothing.
      const chosen = describeChoice('topics' in outcome ? outcome.topics : undefined, deps.topics ?? []);
      return reply(deps, event, 200, 'subscribe-result', {
        ...ACCEPTED,
        message: `${SUBSCRIBE_MESSAGE} You chose: ${chosen}.`,
      });
    } catch (error) {
      deps.logger.error('subscribe failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(
  loadSubscriptionConfig,
  async (config) => createSubscribeHandler(await buildSubscriptionDeps(config, createLogger())),
  { onError: () => unavailable() },
);
