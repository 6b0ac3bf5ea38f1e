import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A Lambda-style HTTP handler. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Routes like `POST /api/subscribe` to handlers. A route without a method matches any method. */
export type Routes = Record<string, HttpApiHandler>;

// API Gateway caps payloads at 10 MB; stop keeping bytes well before that.
const MAX_READ_BYTES = 1024 * 1024;
// An oversized body is read on and discarded (so the client gets its 413 instead of a reset),
// up to this much; past it the connection is dropped.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const CLIENT_SET_ADDRESS = 'cloudfront-viewer-address';
const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

/** The body, or its size when it is over {@link MAX_READ_BYTES} (then nothing is kept). */
async function readBody(req: IncomingMessage): Promise<{ body: Buffer; oversize?: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DRAIN_BYTES) req.destroy();
    else if (size <= MAX_READ_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_READ_BYTES ? { body: Buffer.alloc(0), oversize: size } : { body: Buffer.concat(chunks) };
}

/** Builds the v2 event API Gateway would send for this request. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  options: { routeKey: string; now?: Date },
): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    // CloudFront sets this on AWS (overwriting the client's); locally nothing does, so drop it.
    if (value === undefined || name === CLIENT_SET_ADDRESS) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = options.now ?? new Date();
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookies.length > 0 ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        // No proxy sits in front of the local server: X-Forwarded-For is whatever the client wrote.
        sourceIp: req.socket?.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `local-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey: options.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function findRoute(
  routes: Routes,
  method: string,
  path: string,
): { key: string; handler: HttpApiHandler } | undefined {
  const exact = `${method} ${path}`;
  if (routes[exact]) return { key: exact, handler: routes[exact] };
  const any = `ANY ${path}`;
  if (routes[any]) return { key: any, handler: routes[any] };
  return undefined;
}

/** Handles one Node request: `/api/*` through `routes`; anything else is not found. */
export function createRequestListener(options: { routes: Routes; apiPrefix?: string }) {
  const prefix = options.apiPrefix ?? '/api/';
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname.startsWith(prefix)) {
        const route = findRoute(options.routes, method, url.pathname);
        if (!route) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
          return;
        }
        const { body, oversize } = await readBody(req);
        const event = toApiGatewayEvent(req, body, { routeKey: route.key });
        // The handler sees the size it would on AWS and answers 413 in its own shape (core/http.ts).
        if (oversize !== undefined) event.headers['content-length'] = String(oversize);
        writeResult(res, await route.handler(event));
        return;
      }
      res.writeHead(404).end();
    } catch {
      // API Gateway's own shape for a failed integration; the cause is not the client's business.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Internal Server Error"}');
    }
  };
}
