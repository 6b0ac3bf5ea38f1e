/**
 * `POST /api/resend` (field `token`, from the expired-link page): sends a fresh confirmation link
 * to a still-pending subscriber. Its own function, so only it and subscribe may send mail.
 */
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyEventV2 as Event } from 'aws-lambda';
import { resendConfirmation } from '../app/manage-subscription.ts';
import { parseBody } from '../core/http.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { reply, retryLater, unavailable } from './http-reply.ts';

const INVALID = {
  title: 'This link does not work',
  message:
    'The link is incomplete or no longer valid. Please copy the whole link from the email, or subscribe again.',
};
const RESENT = {
  title: 'Check your inbox',
  message: 'If your subscription is still waiting for confirmation, we have sent you a new link.',
};

/** Builds the resend handler over injected deps. */
export function createResendHandler(deps: SubscriptionDeps) {
  return async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'POST';
    if (method !== 'POST')
      return reply(deps, event, 405, 'error', {
        title: 'Not allowed',
        message: 'Use the button on the page.',
      });
    try {
      const body = parseBody(event);
      if (!body.ok)
        return reply(deps, event, body.status, 'error', {
          title: 'We could not read that',
          message: 'That request could not be read. Please use the button on the page.',
        });
      const token = body.fields.token ?? event.queryStringParameters?.token ?? '';
      const done = await resendConfirmation(deps, { token, now: deps.now() });
      return done === 'invalid'
        ? reply(deps, event, 400, 'error', INVALID)
        : reply(deps, event, 200, 'subscribe-result', RESENT);
    } catch (error) {
      deps.logger.error('resend failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(
  loadSubscriptionConfig,
  async (config) => createResendHandler(await buildSubscriptionDeps(config, createLogger())),
  { onError: () => unavailable() },
);
