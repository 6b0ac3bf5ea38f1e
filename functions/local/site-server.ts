/**
 * The local CloudFront: serves the site bucket (s3rver) and sends `/api/*` to the subscription
 * handlers as API Gateway events, with the same rules `infra/constructs/site.ts` sets up:
 * `x/` → `x/index.html`, an extensionless `x` → `x/index.html`, `/404.html` with status 404 for
 * anything missing, the state prefix `_herald/` never served, and the same security headers.
 *
 * One deliberate difference: pages are sent with `Cache-Control: no-cache` (and answer
 * `If-None-Match` with 304), so a reload shows a just-published post instead of a five-minute-old copy.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { STATE_PREFIX } from '../adapters/s3-site.ts';
import { SITE_CONTENT_SECURITY_POLICY } from '../core/http.ts';
import { createRequestListener, type Routes } from './http-adapter.ts';

/** Options for {@link createSiteListener}. */
export interface SiteListenerOptions {
  client: S3Client;
  bucket: string;
  routes: Routes;
  /** The site's baseurl (`''` or `/blog`): the bucket is served under it. */
  baseurl: () => string;
}

// The site's CloudFront response headers policy, minus HSTS (there is no HTTPS locally).
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': SITE_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

/** The CloudFront viewer-request function's rewrite, as a pure function of the URI. */
export function rewriteUri(uri: string): string {
  if (uri.endsWith('/')) return `${uri}index.html`;
  const last = uri.split('/').pop() ?? '';
  return last.includes('.') ? uri : `${uri}/index.html`;
}

/** The bucket key for a site URI, or undefined when it must not be served. */
export function keyForUri(uri: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rewriteUri(uri));
  } catch {
    return undefined;
  }
  const key = decoded.replace(/^\/+/, '');
  if (key === '' || key.includes('\0') || key.startsWith(STATE_PREFIX.split('/')[0] as string))
    return undefined;
  if (key.split('/').some((part) => part === '..' || part === '.')) return undefined;
  return key;
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

async function sendObject(
  options: SiteListenerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  status: number,
): Promise<boolean> {
  let object: GetObjectCommandOutput;
  try {
    object = await options.client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
  const etag = object.ETag;
  if (status === 200 && etag && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }).end();
    return true;
  }
  const body = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
  res.writeHead(status, {
    'Content-Type': object.ContentType ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    ...(etag ? { ETag: etag } : {}),
    ...(object.LastModified ? { 'Last-Modified': object.LastModified.toUTCString() } : {}),
    ...SECURITY_HEADERS,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

async function notFound(options: SiteListenerOptions, req: IncomingMessage, res: ServerResponse) {
  if (await sendObject(options, req, res, '404.html', 404)) return;
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : 'Not found. Is the site published yet? See the terminal.\n');
}

/** The request listener: `/api/*` to the handlers, everything else from the site bucket. */
export function createSiteListener(options: SiteListenerOptions): RequestListener {
  const api = createRequestListener({ routes: options.routes });
  return (req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const base = options.baseurl();
        if (url.pathname.startsWith('/api/')) {
          await api(req, res);
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
          return;
        }
        let path = url.pathname;
        if (base) {
          if (path === '/') {
            res.writeHead(302, { Location: `${base}/` }).end();
            return;
          }
          if (path !== base && !path.startsWith(`${base}/`)) return await notFound(options, req, res);
          path = path.slice(base.length) || '/';
        }
        const key = keyForUri(path);
        if (!key || !(await sendObject(options, req, res, key, 200))) await notFound(options, req, res);
      } catch (error) {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`local site: the site bucket could not be read (${(error as Error).message})\n`);
      }
    })();
  };
}
