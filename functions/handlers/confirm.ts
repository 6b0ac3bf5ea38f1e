/**
 * `GET /api/confirm?token=…` shows a page with a Confirm button and changes nothing (mail
 * scanners follow every link); `POST /api/confirm` (field `token`) confirms; `POST /api/resend`
 * (field `token`, from the expired-link page) sends a fresh link to a still-pending subscriber.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { clientIp, header, parseBody } from '../core/http.ts';
import { decideConfirm, decideResend } from '../core/subscriber.ts';
import { verifyToken } from '../core/tokens.ts';
import { sendConfirmation } from './subscribe.ts';
import { lazyHandler, reply, retryLater, type SubscriptionDeps } from './subscription-deps.ts';

const MAX_SAVE_ATTEMPTS = 4;
type Result = APIGatewayProxyStructuredResultV2;

const INVALID = {
  title: 'This link does not work',
  message:
    'The link is incomplete or no longer valid. Please copy the whole link from the email, or subscribe again.',
};

/** Builds the confirm handler (GET page, POST confirm, POST resend) over injected deps. */
export function createConfirmHandler(deps: SubscriptionDeps) {
  const invalid = (event: APIGatewayProxyEventV2) => reply(deps, event, 400, 'error', INVALID);

  async function showPage(event: APIGatewayProxyEventV2): Promise<Result> {
    const token = event.queryStringParameters?.token ?? '';
    const check = verifyToken(deps.keys, token, {
      purpose: 'confirm',
      now: deps.now(),
      maxAgeMs: deps.policy.confirmTokenMaxAgeMs,
    });
    if (!check.ok && check.reason === 'expired') {
      return reply(deps, event, 410, 'expired', { title: 'This link has expired', token });
    }
    if (!check.ok) return invalid(event);
    return reply(deps, event, 200, 'confirm', { title: 'Confirm your subscription', token });
  }

  async function confirm(event: APIGatewayProxyEventV2, token: string): Promise<Result> {
    const now = deps.now();
    const check = verifyToken(deps.keys, token, {
      purpose: 'confirm',
      now,
      maxAgeMs: deps.policy.confirmTokenMaxAgeMs,
    });
    if (!check.ok && check.reason === 'expired') {
      return reply(deps, event, 410, 'expired', { title: 'This link has expired', token });
    }
    if (!check.ok) return invalid(event);
    const found = await deps.store.getById(check.subscriberId);
    if (!found) return invalid(event);
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
      const sub = await deps.store.findByAddressHash(found.addressHash);
      if (!sub || 'kind' in sub || sub.id !== found.id) return invalid(event);
      const outcome = decideConfirm(sub, {
        tokenIssuedAt: check.issuedAt,
        now,
        ip: clientIp(event),
        userAgent: (event.requestContext?.http?.userAgent ?? header(event, 'user-agent'))?.slice(0, 512),
      });
      if (outcome.kind === 'stale') return invalid(event);
      if (outcome.kind === 'confirmed' && (await deps.store.save(outcome.save)) === 'conflict') continue;
      deps.logger.info('subscriber confirmed', {
        subscriberId: sub.id,
        already: outcome.kind !== 'confirmed',
      });
      return reply(deps, event, 200, 'confirmed', {
        title: 'You are subscribed',
        message: 'Thank you! Your subscription is confirmed.',
      });
    }
    throw new Error(`confirm: too much contention on subscriber ${found.id}`);
  }

  async function resend(event: APIGatewayProxyEventV2, token: string): Promise<Result> {
    const now = deps.now();
    // The signature must be ours, but age does not matter: this is the way out of an expired link.
    const check = verifyToken(deps.keys, token, { purpose: 'confirm', now });
    if (!check.ok) return invalid(event);
    const done = () =>
      reply(deps, event, 200, 'subscribe-result', {
        title: 'Check your inbox',
        message: 'If your subscription is still waiting for confirmation, we have sent you a new link.',
      });
    const found = await deps.store.getById(check.subscriberId);
    if (!found) return done();
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
      const sub = await deps.store.findByAddressHash(found.addressHash);
      if (!sub || 'kind' in sub || sub.id !== found.id) return done();
      const decision = decideResend(sub, now, deps.policy);
      if (!decision.sendConfirmation) return done();
      if ((await deps.store.save(decision.save)) === 'conflict') continue;
      await sendConfirmation(deps, decision.save, now);
      return done();
    }
    throw new Error(`resend: too much contention on subscriber ${found.id}`);
  }

  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    try {
      if (method === 'GET' || method === 'HEAD') return await showPage(event);
      if (method !== 'POST') {
        return reply(deps, event, 405, 'error', {
          title: 'Not allowed',
          message: 'Use the button on the page.',
        });
      }
      const body = parseBody(event);
      if (!body.ok) {
        return reply(deps, event, body.status, 'error', {
          title: 'We could not read that',
          message: 'That request could not be read. Please use the button on the page.',
        });
      }
      const token = body.fields.token ?? event.queryStringParameters?.token ?? '';
      const path = event.rawPath ?? '';
      return path.endsWith('/resend') ? await resend(event, token) : await confirm(event, token);
    } catch (error) {
      deps.logger.error('confirm failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = lazyHandler(createConfirmHandler);
