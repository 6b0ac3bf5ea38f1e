/**
 * `GET /api/unsubscribe?token=…` shows a page with an Unsubscribe button and changes nothing.
 * `POST /api/unsubscribe` unsubscribes at once: RFC 8058 one-click (body
 * `List-Unsubscribe=One-Click`, token in the query) or the page's button (field `token`).
 * No cookie, no origin check, no redirect; idempotent; unsubscribe tokens never expire.
 */
import { unsubscribeByToken } from '../app/manage-subscription.ts';
import { bodyTooLarge, mediaType, parseBody } from '../core/http.ts';
import { verifyToken } from '../core/tokens.ts';
import type { SubscriptionDeps } from '../wiring/subscription-deps.ts';
import {
  type ApiEvent,
  apiEntryPoint,
  endpoint,
  methodOf,
  notAllowed,
  reply,
  UNSUBSCRIBED,
  unreadable,
} from './http-reply.ts';

const INVALID = {
  title: 'This link does not work',
  message:
    'The unsubscribe link is incomplete. Please copy the whole link from the email, or reply to any newsletter and we will remove you.',
};
const TOO_LARGE = { title: 'Too large', message: 'That request is too large.' };
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'application/json']);

/** Builds the unsubscribe handler over injected deps. */
export function createUnsubscribeHandler(deps: SubscriptionDeps) {
  return endpoint('unsubscribe', deps, async (event: ApiEvent) => {
    const method = methodOf(event);
    let token = event.queryStringParameters?.token;
    if (method === 'GET' || method === 'HEAD') {
      const check = verifyToken(deps.keys, token ?? '', { purpose: 'unsubscribe', now: deps.now() });
      if (!check.ok) return reply(deps, event, 400, 'error', INVALID);
      return reply(deps, event, 200, 'unsubscribe', { title: 'Unsubscribe', token });
    }
    if (method !== 'POST') return notAllowed(deps, event);
    if (FORM_TYPES.has(mediaType(event)) || token === undefined) {
      const body = parseBody(event);
      // Mail clients differ in what they send with one-click; with the token in the query, be lenient.
      if (!body.ok && (token === undefined || body.status === 413))
        return unreadable(deps, event, body.status);
      if (body.ok) token = body.fields.token ?? token;
    } else if (bodyTooLarge(event)) {
      return reply(deps, event, 413, 'error', TOO_LARGE);
    }
    const outcome = await unsubscribeByToken(deps, { token: token ?? '', now: deps.now() });
    if (outcome === 'invalid') return reply(deps, event, 400, 'error', INVALID);
    return reply(deps, event, 200, 'unsubscribed', UNSUBSCRIBED);
  });
}

/** The Lambda entry point. */
export const handler = apiEntryPoint(createUnsubscribeHandler);
