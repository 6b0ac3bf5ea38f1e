/**
 * `GET /api/confirm?token=…` shows a page with a Confirm button and changes nothing (mail
 * scanners follow every link); `POST /api/confirm` (field `token`) confirms. It sends no mail
 * (`POST /api/resend` is `resend.ts`), so it holds no SES permission.
 */
import { confirmSubscription } from '../app/manage-subscription.ts';
import { clientIp, header, parseBody } from '../core/http.ts';
import { verifyToken } from '../core/tokens.ts';
import { describeChoice } from '../core/topics.ts';
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

const CONFIRMED = { title: 'You are subscribed', message: 'Thank you! Your subscription is confirmed.' };
const CONFIRM_PAGE = 'Confirm your subscription';

/** Builds the confirm handler (GET page, POST confirm) over injected deps. */
export function createConfirmHandler(deps: SubscriptionDeps) {
  const topics = deps.topics ?? [];
  return endpoint('confirm', deps, async (event: ApiEvent) => {
    const method = methodOf(event);
    if (method === 'GET' || method === 'HEAD') {
      const token = event.queryStringParameters?.token ?? '';
      const maxAgeMs = deps.policy.confirmTokenMaxAgeMs;
      const check = verifyToken(deps.keys, token, { purpose: 'confirm', now: deps.now(), maxAgeMs });
      if (!check.ok && check.reason === 'expired')
        return reply(deps, event, 410, 'expired', { title: 'This link has expired', token });
      if (!check.ok) return reply(deps, event, 400, 'error', INVALID_LINK);
      if (topics.length === 0) return reply(deps, event, 200, 'confirm', { title: CONFIRM_PAGE, token });
      const chosen = describeChoice((await deps.store.getById(check.subscriberId))?.topics, topics);
      return reply(deps, event, 200, 'confirm', { title: CONFIRM_PAGE, token, chosen });
    }
    if (method !== 'POST') return notAllowed(deps, event);
    const body = parseBody(event);
    if (!body.ok) return unreadable(deps, event, body.status);
    const token = tokenOf(event, body.fields);
    const userAgent = event.requestContext?.http?.userAgent ?? header(event, 'user-agent');
    const input = { token, now: deps.now(), ip: clientIp(event), userAgent };
    const outcome = await confirmSubscription(deps, input);
    if (outcome === 'expired')
      return reply(deps, event, 410, 'expired', { title: 'This link has expired', token });
    if (outcome === 'invalid') return reply(deps, event, 400, 'error', INVALID_LINK);
    return reply(deps, event, 200, 'confirmed', CONFIRMED);
  });
}

/** The Lambda entry point. */
export const handler = apiEntryPoint(createConfirmHandler);
