/**
 * How the subscription handlers answer: JSON clients get `{ ok, message }`, browsers a page, with
 * the same status for both; and what every subscription endpoint shares (methods, tokens, the
 * common pages, error handling, the Lambda entry point).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { PageName } from '../adapters/page-templates.ts';
import type { SubscribeForm } from '../app/request-subscription.ts';
import {
  clientIp,
  fromTrustedOrigin,
  type HttpRequestLike,
  type HttpResponse,
  header,
  htmlResponse,
  jsonResponse,
  listField,
  wantsJson,
  withTrustedHeaders,
} from '../core/http.ts';
import { loadSubscriptionConfig, type SubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler, type Env } from './define-handler.ts';

/** Answers JSON clients with `{ ok, message }` and browsers with a page, same status for both. */
export function reply(
  deps: SubscriptionDeps,
  request: HttpRequestLike,
  status: number,
  page: PageName,
  view: { title: string; message?: string; heading?: string; token?: string; [key: string]: unknown },
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  const ok = status < 400;
  if (wantsJson(request)) {
    return jsonResponse(status, { ok, message: view.message ?? view.title }, extraHeaders);
  }
  const html = deps.pages(page, {
    siteTitle: deps.siteTitle,
    siteUrl: deps.siteUrl,
    apiUrl: `${deps.siteUrl}/api`,
    validDays: Math.round(deps.policy.confirmTokenMaxAgeMs / 86_400_000),
    heading: view.title,
    ...view,
  });
  return htmlResponse(status, html, { formOrigin: new URL(deps.siteUrl).origin, extra: extraHeaders });
}

/** Headers for "try again shortly" answers. */
export const RETRY_LATER = { 'retry-after': '30' };

/** The answer when a dependency failed (throttling, network): nothing changed, try again shortly. */
export function retryLater(deps: SubscriptionDeps, request: HttpRequestLike): HttpResponse {
  return reply(
    deps,
    request,
    503,
    'error',
    {
      title: 'Please try again',
      message: 'Something went wrong on our side. Please try again in a minute.',
    },
    RETRY_LATER,
  );
}

/** The answer when the handler could not even be built (secrets or templates unreadable): try again. */
export function unavailable(): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(503, { ok: false, message: 'Please try again in a minute.' }, RETRY_LATER);
}

/** An HTTP API event as the subscription handlers receive it. */
export type ApiEvent = APIGatewayProxyEventV2;

/** One subscription endpoint: answers an event. */
export type ApiHandler = (event: ApiEvent) => Promise<APIGatewayProxyStructuredResultV2>;

/** The request method, upper-case (`fallback` when the event carries none). */
export function methodOf(event: ApiEvent, fallback = 'GET'): string {
  return event.requestContext?.http?.method?.toUpperCase() ?? fallback;
}

/** The token a POST carries in its body, else in the query. */
export function tokenOf(event: ApiEvent, fields: Record<string, string | undefined>): string {
  return fields.token ?? event.queryStringParameters?.token ?? '';
}

/** The sign-up form as the subscribe use case reads it: fields, topics, and who sent it from where. */
export function subscribeForm(event: ApiEvent, fields: Record<string, string>, now: Date): SubscribeForm {
  return {
    fields,
    topics: listField(event, 'topics'),
    ip: clientIp(event) ?? 'unknown',
    userAgent: event.requestContext?.http?.userAgent ?? header(event, 'user-agent'),
    referer: header(event, 'referer') ?? header(event, 'origin'),
    now,
  };
}

/** A link that is incomplete or no longer valid (confirm and resend). */
export const INVALID_LINK = {
  title: 'This link does not work',
  message:
    'The link is incomplete or no longer valid. Please copy the whole link from the email, or subscribe again.',
};

/** The page after unsubscribing (the unsubscribe link and the preference page). */
export const UNSUBSCRIBED = { title: 'You are unsubscribed', message: 'You are unsubscribed.' };

/** 405: only the page's own buttons (or `what`) may POST here. */
export function notAllowed(deps: SubscriptionDeps, event: ApiEvent, what = 'button'): HttpResponse {
  return reply(deps, event, 405, 'error', { title: 'Not allowed', message: `Use the ${what} on the page.` });
}

/** A body that could not be read (400, 413 or 415, as `parseBody` decided). */
export function unreadable(deps: SubscriptionDeps, event: ApiEvent, status: number, what = 'button') {
  const message = `That request could not be read. Please use the ${what} on the page.`;
  return reply(deps, event, status, 'error', { title: 'We could not read that', message });
}

const NOT_VIA_SITE = { title: 'Forbidden', message: 'Please use the form on the site.' };

/**
 * Wraps one endpoint. On AWS (`deps.originSecret` set) a request without CloudFront's origin secret
 * is refused with 403 before anything else; the handler never sees the secret, and sees
 * `CloudFront-Viewer-Address` (the per-IP limit's key) only on a request that carried it. An error
 * the endpoint throws (throttling, network) is logged as `<name> failed` and answered 503.
 */
export function endpoint(name: string, deps: SubscriptionDeps, answer: ApiHandler): ApiHandler {
  return async (event) => {
    const secret = deps.originSecret;
    const viaCloudFront = secret !== undefined && fromTrustedOrigin(event, secret);
    if (secret !== undefined && !viaCloudFront) {
      deps.logger.warn('api request without origin secret', { endpoint: name });
      return reply(deps, event, 403, 'error', NOT_VIA_SITE);
    }
    try {
      return await answer(withTrustedHeaders(event, viaCloudFront));
    } catch (error) {
      deps.logger.error(`${name} failed`, { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point of a subscription endpoint built by `create` from the environment. */
export function apiEntryPoint(
  create: (deps: SubscriptionDeps) => ApiHandler,
  loadConfig: (env: Env) => SubscriptionConfig = loadSubscriptionConfig,
): ApiHandler {
  return defineHandler(
    loadConfig,
    async (config) => create(await buildSubscriptionDeps(config, createLogger())),
    { onError: () => unavailable() },
  ) as ApiHandler;
}
