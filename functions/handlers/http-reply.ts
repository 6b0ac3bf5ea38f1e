/**
 * How the subscription handlers answer: JSON clients get `{ ok, message }`, browsers a page, with
 * the same status for both.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { PageName } from '../adapters/page-templates.ts';
import {
  type HttpRequestLike,
  type HttpResponse,
  htmlResponse,
  jsonResponse,
  wantsJson,
} from '../core/http.ts';
import type { SubscriptionDeps } from '../wiring/subscription-deps.ts';

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
