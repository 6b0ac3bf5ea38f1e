/** The local CloudFront in front of the site bucket (s3rver) and the subscription API. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../functions/local/s3.ts';
import { createSiteListener, keyForUri, rewriteUri } from '../../functions/local/site-server.ts';

const SITE = 'herald-site';
let work: string;
let s3: LocalS3;
let server: Server;
let origin: string;
let baseurl: string;

async function put(key: string, body: string, contentType: string): Promise<void> {
  await s3.client.send(
    new PutObjectCommand({ Bucket: SITE, Key: key, Body: body, ContentType: contentType }),
  );
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-site-server-'));
  s3 = await startLocalS3({ dir: join(work, 's3'), buckets: [SITE] });
  baseurl = '';
  await put('index.html', '<h1>Home</h1>', 'text/html; charset=utf-8');
  await put('2026/01/12/first.html', '<h1>First</h1>', 'text/html; charset=utf-8');
  await put('tags/community/index.html', '<h1>Community</h1>', 'text/html; charset=utf-8');
  await put('feed.xml', '<rss/>', 'application/xml; charset=utf-8');
  await put('404.html', '<h1>Not here</h1>', 'text/html; charset=utf-8');
  await put('_herald/state/index.json', '{"posts":{}}', 'application/json');
  server = createServer(
    createSiteListener({
      client: s3.client,
      bucket: SITE,
      baseurl: () => baseurl,
      routes: {
        'POST /api/subscribe': async (event) => ({ statusCode: 202, body: `got ${event.body}` }),
      },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await s3.stop();
  await rm(work, { recursive: true, force: true });
});

describe('CloudFront rewrite', () => {
  it('maps folders and extensionless paths to index.html, as the viewer-request function does', () => {
    const rewritten = ['/', '/tags/community/', '/tags/community', '/feed.xml'].map(rewriteUri);

    expect(rewritten).toEqual([
      '/index.html',
      '/tags/community/index.html',
      '/tags/community/index.html',
      '/feed.xml',
    ]);
  });

  it('never maps a request to the private state or outside the bucket', () => {
    const keys = ['/_herald/state/index.json', '/a/../_herald/x.json', '/%E0%A4%A', '/a%00b.html'].map(
      keyForUri,
    );

    expect(keys).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('local site server', () => {
  it('serves pages, folders and feeds from the bucket with their Content-Type and security headers', async () => {
    const home = await fetch(`${origin}/`);
    const post = await fetch(`${origin}/2026/01/12/first.html`);
    const tag = await fetch(`${origin}/tags/community`);
    const feed = await fetch(`${origin}/feed.xml`);

    expect([home.status, await home.text()]).toEqual([200, '<h1>Home</h1>']);
    expect(await post.text()).toBe('<h1>First</h1>');
    expect(await tag.text()).toBe('<h1>Community</h1>');
    expect(feed.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(home.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers missing pages and the private state with the 404 page and status 404', async () => {
    const missing = await fetch(`${origin}/2026/01/12/gone.html`);
    const state = await fetch(`${origin}/_herald/state/index.json`);

    expect([missing.status, await missing.text()]).toEqual([404, '<h1>Not here</h1>']);
    expect([state.status, await state.text()]).toEqual([404, '<h1>Not here</h1>']);
  });

  it('answers a repeated request with 304 when the page did not change', async () => {
    const first = await fetch(`${origin}/index.html`);
    const etag = first.headers.get('etag') ?? '';

    const again = await fetch(`${origin}/index.html`, { headers: { 'if-none-match': etag } });

    expect(etag).not.toBe('');
    expect(again.status).toBe(304);
  });

  it('routes /api/* to the handlers as API Gateway events, and serves under the baseurl', async () => {
    baseurl = '/blog';

    const api = await fetch(`${origin}/api/subscribe`, { method: 'POST', body: 'email=a%40b.test' });
    const root = await fetch(`${origin}/`, { redirect: 'manual' });
    const post = await fetch(`${origin}/blog/2026/01/12/first.html`);
    const outside = await fetch(`${origin}/2026/01/12/first.html`);

    expect([api.status, await api.text()]).toEqual([202, 'got email=a%40b.test']);
    expect([root.status, root.headers.get('location')]).toEqual([302, '/blog/']);
    expect(await post.text()).toBe('<h1>First</h1>');
    expect(outside.status).toBe(404);
  });
});
