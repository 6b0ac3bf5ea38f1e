/**
 * `GET /api/unsubscribe?token=…` shows a page with an Unsubscribe button and changes nothing.
 * `POST /api/unsubscribe` unsubscribes at once: RFC 8058 one-click (body
 * `List-Unsubscribe=One-Click`, token in the query) or the page's button (field `token`).
 * No cookie, no origin check, no redirect; idempotent; unsubscribe tokens never expire.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bodyTooLarge, mediaType, parseBody } from '../core/http.ts';
import { decideUnsubscribe } from '../core/subscriber.ts';
import { verifyToken } from '../core/tokens.ts';
import { lazyHandler, reply, retryLater, type SubscriptionDeps } from './subscription-deps.ts';

const MAX_SAVE_ATTEMPTS = 4;

/** Builds the unsubscribe handler over injected deps. */
export function createUnsubscribeHandler(deps: SubscriptionDeps) {
  const invalid = (event: APIGatewayProxyEventV2) =>
    reply(deps, event, 400, 'error', {
      title: 'This link does not work',
      message:
        'The unsubscribe link is incomplete. Please copy the whole link from the email, or reply to any newsletter and we will remove you.',
    });
  const unsubscribed = (event: APIGatewayProxyEventV2) =>
    reply(deps, event, 200, 'unsubscribed', {
      title: 'You are unsubscribed',
      message: 'You are unsubscribed.',
    });

  async function unsubscribe(event: APIGatewayProxyEventV2, token: string) {
    const now = deps.now();
    const check = verifyToken(deps.keys, token, { purpose: 'unsubscribe', now });
    if (!check.ok) return invalid(event);
    const found = await deps.store.getById(check.subscriberId);
    // Erased or never stored: there is nothing to mail, so the request has already succeeded.
    if (!found) return unsubscribed(event);
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
      const sub = await deps.store.findByAddressHash(found.addressHash);
      if (!sub || 'kind' in sub || sub.id !== found.id) return unsubscribed(event);
      const { save } = decideUnsubscribe(sub, now);
      if (save && (await deps.store.save(save)) === 'conflict') continue;
      deps.logger.info('subscriber unsubscribed', { subscriberId: sub.id, changed: save !== undefined });
      return unsubscribed(event);
    }
    throw new Error(`unsubscribe: too much contention on subscriber ${found.id}`);
  }

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    const queryToken = event.queryStringParameters?.token;
    try {
      if (method === 'GET' || method === 'HEAD') {
        const token = queryToken ?? '';
        const check = verifyToken(deps.keys, token, { purpose: 'unsubscribe', now: deps.now() });
        if (!check.ok) return invalid(event);
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
export const handler = lazyHandler(createUnsubscribeHandler);
