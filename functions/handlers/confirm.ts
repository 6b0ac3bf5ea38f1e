/**
 * `GET /api/confirm?token=…` shows a page with a Confirm button and changes nothing (mail
 * scanners follow every link); `POST /api/confirm` (field `token`) confirms. It sends no mail
 * (`POST /api/resend` is `resend.ts`), so it holds no SES permission.
 */
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyEventV2 as Event } from 'aws-lambda';
import { confirmSubscription } from '../app/manage-subscription.ts';
import { clientIp, header, parseBody } from '../core/http.ts';
import { verifyToken } from '../core/tokens.ts';
import { describeChoice } from '../core/topics.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { reply, retryLater, unavailable } from './http-reply.ts';

const INVALID = {
  title: 'This link does not work',
  message:
    'The link is incomplete or no longer valid. Please copy the whole link from the email, or subscribe again.',
};
const CONFIRMED = { title: 'You are subscribed', message: 'Thank you! Your subscription is confirmed.' };
const UNREADABLE = 'That request could not be read. Please use the button on the page.';

/** Builds the confirm handler (GET page, POST confirm) over injected deps. */
export function createConfirmHandler(deps: SubscriptionDeps) {
  const page = (event: Event, outcome: 'confirmed' | 'expired' | 'invalid' | 'page', token: string) => {
    if (outcome === 'expired')
      return reply(deps, event, 410, 'expired', { title: 'This link has expired', token });
    if (outcome === 'invalid') return reply(deps, event, 400, 'error', INVALID);
    if (outcome === 'confirmed') return reply(deps, event, 200, 'confirmed', CONFIRMED);
    return reply(deps, event, 200, 'confirm', { title: 'Confirm your subscription', token });
  };
  return async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    try {
      if (method === 'GET' || method === 'HEAD') {
        const token = event.queryStringParameters?.token ?? '';
        const maxAgeMs = deps.policy.confirmTokenMaxAgeMs;
        const check = verifyToken(deps.keys, token, { purpose: 'confirm', now: deps.now(), maxAgeMs });
        if (check.ok && (deps.topics ?? []).length > 0) {
          const sub = await deps.store.getById(check.subscriberId);
          const chosen = describeChoice(sub?.topics, deps.topics ?? []);
          return reply(deps, event, 200, 'confirm', { title: 'Confirm your subscription', token, chosen });
        }
        return page(event, check.ok ? 'page' : check.reason === 'expired' ? 'expired' : 'invalid', token);
      }
      if (method !== 'POST') {
        return reply(deps, event, 405, 'error', {
          title: 'Not allowed',
          message: 'Use the button on the page.',
        });
      }
      const body = parseBody(event);
      if (!body.ok)
        return reply(deps, event, body.status, 'error', {
          title: 'We could not read that',
          message: UNREADABLE,
        });
      const token = body.fields.token ?? event.queryStringParameters?.token ?? '';
      const userAgent = event.requestContext?.http?.userAgent ?? header(event, 'user-agent');
      const now = deps.now();
      return page(
        event,
        await confirmSubscription(deps, { token, now, ip: clientIp(event), userAgent }),
        token,
      );
    } catch (error) {
      deps.logger.error('confirm failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(
  loadSubscriptionConfig,
  async (config) => createConfirmHandler(await buildSubscriptionDeps(config, createLogger())),
  { onError: () => unavailable() },
);
