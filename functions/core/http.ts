/**
 * Pure helpers for the subscription HTTP API: decode API Gateway HTTP API (v2) request bodies,
 * enforce size and content type, and build responses with safe default headers.
 * Structural types keep this free of `aws-lambda` runtime code.
 */

import { createHash, timingSafeEqual } from 'node:crypto';

/** The parts of an API Gateway v2 event this module reads. */
export interface HttpRequestLike {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext?: { http?: { sourceIp?: string; userAgent?: string; method?: string } };
}

/** The response shape API Gateway v2 accepts. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Bodies above this are rejected with 413 before parsing: the largest legitimate body (a sign-up
 * form, a token) is a few hundred bytes.
 */
export const MAX_BODY_BYTES = 4 * 1024;

/** A parsed body: JSON requests get JSON answers, form posts get HTML pages. */
export type ParsedBody =
  | { ok: true; kind: 'json' | 'form'; fields: Record<string, string> }
  | {
      ok: false;
      status: 400 | 413 | 415;
      problem: 'malformed-json' | 'not-an-object' | 'too-large' | 'content-type';
    };

/**
 * The header CloudFront adds to every `/api/*` request it forwards, carrying a secret only the
 * distribution and the API functions know (a Secrets Manager secret on AWS). A request without it
 * did not come through CloudFront.
 */
export const ORIGIN_SECRET_HEADER = 'x-herald-origin-verify';

/** Whether the request carries the origin secret (compared in constant time). */
export function fromTrustedOrigin(request: HttpRequestLike, secret: string): boolean {
  const sent = header(request, ORIGIN_SECRET_HEADER);
  if (sent === undefined || secret === '') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(secret));
}

/**
 * The request as the handlers may read it: never with the origin secret, and with the
 * `CloudFront-Viewer-Address` header only when `viaCloudFront` (the secret verified), since
 * anyone can write that header on a request that did not pass CloudFront.
 */
export function withTrustedHeaders<R extends HttpRequestLike>(request: R, viaCloudFront: boolean): R {
  const drop = new Set([ORIGIN_SECRET_HEADER, ...(viaCloudFront ? [] : ['cloudfront-viewer-address'])]);
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).filter(([key]) => !drop.has(key.toLowerCase())),
  );
  return { ...request, headers };
}

/**
 * The reader's IP address. Behind CloudFront the API sees an edge address, so the viewer's address
 * comes from the `CloudFront-Viewer-Address` header (`ip:port`) that the distribution forwards.
 * Handlers only ever see that header on a request whose origin secret verified (see
 * {@link withTrustedHeaders}); locally the HTTP adapter sets no such header.
 */
export function clientIp(request: HttpRequestLike): string | undefined {
  const viewer = header(request, 'cloudfront-viewer-address')?.trim();
  if (viewer) {
    const colon = viewer.lastIndexOf(':');
    const ip = (colon > 0 ? viewer.slice(0, colon) : viewer).replace(/^\[|\]$/g, '');
    if (ip) return ip;
  }
  return request.requestContext?.http?.sourceIp;
}

/** Reads a header case-insensitively (API Gateway lower-cases them, local adapters may not). */
export function header(request: HttpRequestLike, name: string): string | undefined {
  const headers = request.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Media type without parameters, lower-cased; `''` if absent. */
export function mediaType(request: HttpRequestLike): string {
  return (header(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Whether the client wants JSON back (a JSON body or an explicit Accept). */
export function wantsJson(request: HttpRequestLike): boolean {
  if (mediaType(request) === 'application/json') return true;
  const accept = header(request, 'accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Decodes the raw body bytes, honouring `isBase64Encoded`. */
export function rawBody(request: HttpRequestLike): Buffer {
  const body = request.body ?? '';
  return request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/**
 * Whether the body is over `maxBytes`, by its declared `Content-Length` or its size, without
 * decoding or copying it (a base64 body's size is worked out from its length).
 */
export function bodyTooLarge(request: HttpRequestLike, maxBytes = MAX_BODY_BYTES): boolean {
  const declared = Number(header(request, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return true;
  const body = request.body ?? '';
  const size = request.isBase64Encoded
    ? Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0)
    : Buffer.byteLength(body, 'utf8');
  return size > maxBytes;
}

/**
 * Parses a JSON or form-encoded body into string fields (non-string JSON values are dropped,
 * so `{ "email": ["a@b"] }` never reaches validation as an array).
 */
export function parseBody(request: HttpRequestLike, maxBytes = MAX_BODY_BYTES): ParsedBody {
  if (bodyTooLarge(request, maxBytes)) return { ok: false, status: 413, problem: 'too-large' };
  const bytes = rawBody(request);
  const type = mediaType(request);
  const text = bytes.toString('utf8');
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, status: 400, problem: 'malformed-json' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, status: 400, problem: 'not-an-object' };
    }
    const fields: Record<string, string> = {};
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string') fields[key] = field;
    }
    return { ok: true, kind: 'json', fields };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [key, field] of new URLSearchParams(text)) {
      // First value wins: a second `email=` cannot override what the form sent.
      if (!Object.hasOwn(fields, key)) fields[key] = field;
    }
    return { ok: true, kind: 'form', fields };
  }
  return { ok: false, status: 415, problem: 'content-type' };
}

/**
 * Every value of a field that may repeat (`topics=a&topics=b`, or a JSON list), from a body that
 * {@link parseBody} already accepted. Undefined when absent; JSON values come back as they are
 * (the caller validates them).
 */
export function listField(request: HttpRequestLike, name: string): unknown {
  const text = rawBody(request).toString('utf8');
  if (mediaType(request) === 'application/json') {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      return Object.hasOwn(value, name) ? value[name] : undefined;
    } catch {
      return undefined;
    }
  }
  const values = new URLSearchParams(text).getAll(name);
  return values.length > 0 ? values : undefined;
}

const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Tokens travel in URLs; never leak them to other sites.
  'referrer-policy': 'no-referrer',
};

/** A JSON response with no-store caching. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  extra: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra },
    body: JSON.stringify(body),
  };
}

/**
 * The static site's Content-Security-Policy (CloudFront's response headers policy and the local
 * site server). Never applied to `/api/*`: the API's pages carry their own, stricter policy
 * ({@link htmlResponse}) that allows their one inline `<style>`.
 */
export const SITE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";

/** An HTML page response with a strict CSP that still lets forms post to `formOrigin`. */
export function htmlResponse(
  statusCode: number,
  html: string,
  options: { formOrigin?: string; extra?: Record<string, string> } = {},
): HttpResponse {
  const formAction = options.formOrigin ? `'self' ${options.formOrigin}` : `'self'`;
  return {
    statusCode,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      ...(options.extra ?? {}),
    },
    body: html,
  };
}
