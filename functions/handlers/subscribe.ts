/**
 * `POST /api/subscribe`: validate the address, store a pending subscriber, send the double
 * opt-in email. Answers identically for new, pending, confirmed, unsubscribed and suppressed
 * addresses so the endpoint never tells anyone who is subscribed.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SubscriberStoreError } from '../adapters/subscriber-store.ts';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import { clientIp, header, parseBody } from '../core/http.ts';
import { type ConsentRecord, decideSubscribe, type Subscriber } from '../core/subscriber.ts';
import { signToken } from '../core/tokens.ts';
import { lazyHandler, reply, retryLater, type SubscriptionDeps } from './subscription-deps.ts';

/** The one success message every accepted request gets. */
export const SUBSCRIBE_MESSAGE =
  'Thanks! Please check your inbox: we have sent a link to confirm your subscription. If nothing arrives within a few minutes, look in your spam folder.';

const INVALID_MESSAGE = 'Please enter a valid email address, like name@example.org.';
const MAX_SAVE_ATTEMPTS = 4;
const clip = (value: string | undefined, max = 512) =>
  value === undefined ? undefined : value.slice(0, max);

/** Sends the confirmation email for a freshly saved pending subscriber. */
export async function sendConfirmation(deps: SubscriptionDeps, sub: Subscriber, now: Date): Promise<void> {
  const token = signToken(deps.keys, { purpose: 'confirm', subscriberId: sub.id, issuedAt: now });
  const confirmUrl = `${deps.siteUrl}/api/confirm?token=${encodeURIComponent(token)}`;
  const email = await deps.renderConfirmation({ email: sub.email, confirmUrl });
  await deps.mailer.send({ to: sub.email, ...email });
}

/**
 * Runs the subscribe decision with optimistic retries and sends mail only for the write that won.
 * Shared by the HTTP handler and `herald subscribers import`.
 * @returns whether a confirmation email went out.
 */
export async function requestSubscription(
  deps: SubscriptionDeps,
  input: { email: string; consent: ConsentRecord; now: Date },
): Promise<{ sent: boolean }> {
  const hash = addressHash(input.email);
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const existing = await deps.store.findByAddressHash(hash);
    const current = existing && 'kind' in existing ? 'suppressed' : existing;
    const decision = decideSubscribe(
      current,
      { id: deps.newId(), email: input.email, addressHash: hash, consent: input.consent, now: input.now },
      deps.policy,
    );
    if (!decision.save) return { sent: false };
    if ((await deps.store.save(decision.save)) === 'conflict') continue;
    if (!decision.sendConfirmation) return { sent: false };
    try {
      await sendConfirmation(deps, decision.save, input.now);
    } catch (error) {
      // Give the throttle slot back so the reader's retry can send; best effort.
      const rollback = {
        ...decision.save,
        confirmationSentAt: current === 'suppressed' ? undefined : current?.confirmationSentAt,
      };
      await deps.store.save({ ...rollback, version: rollback.version + 1 }).catch(() => undefined);
      throw error;
    }
    return { sent: true };
  }
  throw new SubscriberStoreError(
    `subscriber store: too much contention saving one address after ${MAX_SAVE_ATTEMPTS} attempts`,
  );
}

/** Builds the subscribe handler over injected deps. */
export function createSubscribeHandler(deps: SubscriptionDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const body = parseBody(event);
    if (!body.ok) {
      const message =
        body.status === 413
          ? 'That request is too large.'
          : body.status === 415
            ? 'Send the form as JSON or as a regular form post.'
            : 'That request could not be read. Please try again.';
      deps.logger.warn('subscribe request rejected', { problem: body.problem });
      return reply(deps, event, body.status, 'error', { title: 'We could not read that', message });
    }
    const now = deps.now();
    const ip = clientIp(event) ?? 'unknown';
    try {
      const hits = await deps.store.hit('subscribe-ip', addressHash(ip), now, deps.ipLimit.windowMs);
      if (hits > deps.ipLimit.max) {
        deps.logger.warn('subscribe rate limited', { hits });
        return reply(
          deps,
          event,
          429,
          'error',
          {
            title: 'Too many requests',
            message: 'Too many sign-ups from your network. Please try again later.',
          },
          { 'retry-after': String(Math.ceil(deps.ipLimit.windowMs / 1000)) },
        );
      }
      // Bots fill every field; people never see this one. They get the same answer and no email.
      if ((body.fields.website ?? '').trim() !== '') {
        deps.logger.info('subscribe honeypot filled');
        return reply(deps, event, 200, 'subscribe-result', {
          title: 'Check your inbox',
          message: SUBSCRIBE_MESSAGE,
        });
      }
      const address = normalizeEmailAddress(body.fields.email ?? '');
      if (!address.ok) {
        deps.logger.info('subscribe address rejected', { problem: address.problem });
        return reply(deps, event, 400, 'subscribe-result', {
          title: 'That address does not look right',
          message: INVALID_MESSAGE,
        });
      }
      const consent: ConsentRecord = {
        at: now,
        source: clip(body.fields.source ?? header(event, 'referer') ?? header(event, 'origin')) ?? 'unknown',
        method: 'double-opt-in',
        ip,
        userAgent: clip(event.requestContext?.http?.userAgent ?? header(event, 'user-agent')),
        textVersion: deps.consentTextVersion,
      };
      const { sent } = await requestSubscription(deps, { email: address.address, consent, now });
      deps.logger.info('subscribe accepted', { sent });
      return reply(deps, event, 200, 'subscribe-result', {
        title: 'Check your inbox',
        message: SUBSCRIBE_MESSAGE,
      });
    } catch (error) {
      deps.logger.error('subscribe failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = lazyHandler(createSubscribeHandler);
