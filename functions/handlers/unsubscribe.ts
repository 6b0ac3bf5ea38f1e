/**
 * `GET /api/unsubscribe?token=…` shows a page with an Unsubscribe button and changes nothing.
 * `POST /api/unsubscribe` unsubscribes at once: RFC 8058 one-click (body
 * `List-Unsubscribe=One-Click`, token in the query) or the page's button (field `token`).
 * No cookie, no origin check, no redirect; idempotent; unsubscribe tokens never expire.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { unsubscribeByToken } from '../app/manage-subscription.ts';
import { bodyTooLarge, mediaType, parseBody } from '../core/http.ts';
import { verifyToken } from '../core/tokens.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { reply, retryLater, unavailable } from './http-reply.ts';

const invalid = (deps: SubscriptionDeps, event: APIGatewayProxyEventV2) =>
  reply(deps, event, 400, 'error', {
    title: 'This link does not work',
    message:
      'The unsubscribe link is incomplete. Please copy the whole link from the email, or reply to any newsletter and we will remove you.',
  });
const unsubscribed = (deps: SubscriptionDeps, event: APIGatewayProxyEventV2) =>
  reply(deps, event, 200, 'unsubscribed', {
    title: 'You are unsubscribed',
    message: 'You are unsubscribed.',
  });

/** Builds the unsubscribe handler over injected deps. */
export function createUnsubscribeHandler(deps: SubscriptionDeps) {
  const unsubscribe = async (event: APIGatewayProxyEventV2, token: string) =>
    (await unsubscribeByToken(deps, { token, now: deps.now() })) === 'invalid'
      ? invalid(deps, event)
      : unsubscribed(deps, event);

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    const queryToken = event.queryStringParameters?.token;
    try {
      if (method === 'GET' || method === 'HEAD') {
        const token = queryToken ?? '';
        const check = verifyToken(deps.keys, token, { purpose: 'unsubscribe', now: deps.now() });
        if (!check.ok) return invalid(deps, event);
        return reply(deps, event, 200, 'unsubscribe', { title: 'Unsubscribe', token });
      }
      if (method !== 'POST') {
        return reply(deps, event, 405, 'error', {
          title: 'Not allowed',
          message: 'Use the button on the page.',
        });
      }
      const type = mediaType(event);
      let token = queryToken;
      if (
        type === 'application/x-www-form-urlencoded' ||
        type === 'application/json' ||
        token === undefined
      ) {
        const body = parseBody(event);
        // Mail clients differ in what they send with one-click; with the token in the query, be lenient.
        if (!body.ok && (token === undefined || body.status === 413)) {
          return reply(deps, event, body.status, 'error', {
            title: 'We could not read that',
            message: 'That request could not be read. Please use the button on the page.',
          });
        }
        if (body.ok) token = body.fields.token ?? token;
      } else if (bodyTooLarge(event)) {
        return reply(deps, event, 413, 'error', {
          title: 'Too large',
          message: 'That request is too large.',
        });
      }
      return await unsubscribe(event, token ?? '');
    } catch (error) {
      deps.logger.error('unsubscribe failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(
  loadSubscriptionConfig,
  async (config) => createUnsubscribeHandler(await buildSubscriptionDeps(config, createLogger())),
  { onError: () => unavailable() },
);
