import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientIp } from '../../../functions/core/http.ts';
import { createSubscribeHandler } from '../../../functions/handlers/subscribe.ts';
import { createRequestListener, type Routes } from '../../../functions/local/http-adapter.ts';
import { freshAddress, startHarness } from './harness.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function serve(routes: Routes) {
  const server = createServer(createRequestListener({ routes }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Posts `size` bytes in 64 KiB chunks without a Content-Length (chunked), as a streaming client would. */
function postChunked(url: string, size: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe('local HTTP adapter: oversized bodies', () => {
  it('answers a body over 1 MiB with the handler’s own 413, never a reset or a 500', async () => {
    const h = await startHarness();
    const origin = await serve({ 'POST /api/subscribe': createSubscribeHandler(h.deps) });
    const small = await fetch(`${origin}/api/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: freshAddress('small'), padding: 'x'.repeat(5 * 1024) }),
    });
    const expected = await small.text();

    const declared = await fetch(`${origin}/api/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: freshAddress('huge'), padding: 'x'.repeat(2 * 1024 * 1024) }),
    });
    const chunked = await postChunked(`${origin}/api/subscribe`, 3 * 1024 * 1024);

    expect(small.status).toBe(413);
    expect([declared.status, await declared.text()]).toEqual([413, expected]);
    expect(declared.headers.get('content-type')).toBe(small.headers.get('content-type'));
    expect(chunked).toEqual({ status: 413, type: String(small.headers.get('content-type')), body: expected });
  });

  it('never leaks an internal error message', async () => {
    const origin = await serve({
      'POST /api/boom': async () => {
        throw new Error('secret detail from /srv/internal');
      },
    });

    const response = await fetch(`${origin}/api/boom`, { method: 'POST', body: 'x' });

    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });
});

describe('local HTTP adapter: client address', () => {
  it('takes the per-IP address from the socket, never from headers the client sets', async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve({
      'GET /api/ip': async (event) => {
        seen.push(clientIp(event));
        return { statusCode: 204 };
      },
    });

    const response = await fetch(`${url}/api/ip`, {
      headers: { 'x-forwarded-for': '198.51.100.7', 'cloudfront-viewer-address': '203.0.113.9:4444' },
    });

    expect(response.status).toBe(204);
    expect(seen).toEqual(['127.0.0.1']);
  });
});
