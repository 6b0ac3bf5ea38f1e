import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen, PortInUseError } from '../../functions/adapters/http-listen.ts';
import { resolveInside } from '../../functions/adapters/static-files.ts';
import { createDevServer } from '../../functions/cli/dev-server.ts';

let root: string;
let servers: Server[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'herald-dev-'));
  const files: Record<string, string> = {
    'site/index.html': '<h1>home</h1>',
    'site/404.html': '<h1>not here</h1>',
    'site/feed.xml': '<rss/>',
    'site/atom.xml': '<feed/>',
    'site/feed.json': '{}',
    'site/style.css': 'body{}',
    'site/subscribe.js': '0',
    'site/assets/logo.png': 'png',
    'site/assets/pic.jpg': 'jpg',
    'site/assets/icon.svg': '<svg/>',
    'site/2026/09/24/x/index.html': '<h1>post</h1>',
    'email/berlin.html': '<p>mail</p>',
    'email/berlin.txt': 'mail',
    'email/berlin.eml': 'MIME-Version: 1.0',
  };
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), body);
  }
  await writeFile(join(root, 'secret.txt'), 'outside the site');
});

afterEach(async () => {
  await Promise.all(
    servers.map((s) =>
      new Promise<void>((done) => s.close(() => done())).then(() => s.closeAllConnections()),
    ),
  );
  servers = [];
  await rm(root, { recursive: true, force: true });
});

async function start(baseurl: string): Promise<number> {
  const server = createDevServer({ root, baseurl });
  servers.push(server);
  return listen(server, 0);
}

/** Raw request, so paths like `/../x` reach the server unnormalised. */
function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; location: string; body: string }>((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        done({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          location: String(res.headers.location ?? ''),
          body,
        }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('dev server', () => {
  it('serves the site with the right Content-Type for each kind of file', async () => {
    const port = await start('');
    const expected: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/feed.xml': 'application/xml; charset=utf-8',
      '/atom.xml': 'application/xml; charset=utf-8',
      '/feed.json': 'application/json; charset=utf-8',
      '/style.css': 'text/css; charset=utf-8',
      '/subscribe.js': 'text/javascript; charset=utf-8',
      '/assets/logo.png': 'image/png',
      '/assets/pic.jpg': 'image/jpeg',
      '/assets/icon.svg': 'image/svg+xml',
      '/_email/berlin.eml': 'message/rfc822',
      '/_email/berlin.txt': 'text/plain; charset=utf-8',
      '/_email/berlin.html': 'text/html; charset=utf-8',
    };

    const responses = await Promise.all(Object.keys(expected).map((path) => get(port, path)));

    expect(
      Object.fromEntries(responses.map((r, i) => [Object.keys(expected)[i], `${r.status} ${r.type}`])),
    ).toEqual(Object.fromEntries(Object.entries(expected).map(([p, t]) => [p, `200 ${t}`])));
    expect(responses[0]?.body).toBe('<h1>home</h1>');
  });

  it('answers folder URLs with their index.html and redirects a folder without its slash', async () => {
    const port = await start('');

    const page = await get(port, '/2026/09/24/x/');
    const bare = await get(port, '/2026/09/24/x');

    expect(page.body).toBe('<h1>post</h1>');
    expect(bare.status).toBe(301);
    expect(bare.location).toBe('/2026/09/24/x/');
  });

  it('serves the site under its baseurl and redirects / there', async () => {
    const port = await start('/blog');

    const home = await get(port, '/blog/');
    const root = await get(port, '/');
    const outside = await get(port, '/feed.xml');
    const feed = await get(port, '/blog/feed.xml');

    expect(home.body).toBe('<h1>home</h1>');
    expect(root.status).toBe(302);
    expect(root.location).toBe('/blog/');
    expect(outside.status).toBe(404);
    expect(feed.body).toBe('<rss/>');
  });

  it('answers unknown pages with the site’s 404 page and a 404 status', async () => {
    const port = await start('');

    const response = await get(port, '/nope.html');

    expect(response.status).toBe(404);
    expect(response.body).toBe('<h1>not here</h1>');
  });

  it('never serves files outside the preview folder', async () => {
    const port = await start('');

    const attempts = await Promise.all(
      [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/..%2fsecret.txt',
        '/_email/../../secret.txt',
        '/_email/..%2f..%2fsecret.txt',
        '/%00',
      ].map((p) => get(port, p)),
    );

    for (const response of attempts) {
      expect(response.body).not.toContain('outside the site');
      expect(response.status).toBe(404);
    }
    expect(resolveInside(root, '/../secret.txt')).toBeUndefined();
    expect(resolveInside(root, '/a/../index.html')).toBe(join(root, 'index.html'));
  });

  it('lists the email previews with links to each part', async () => {
    const port = await start('/blog');

    const index = await get(port, '/_email/');

    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body).toContain(
      '<a href="/_email/berlin.html">html</a> · <a href="/_email/berlin.txt">txt</a> · <a href="/_email/berlin.eml">eml</a>',
    );
  });

  it('answers the subscribe form with a JSON message instead of a bare error', async () => {
    const port = await start('');

    const response = await get(port, '/api/subscribe', 'POST');

    expect(response.status).toBe(501);
    expect(response.body).toContain('does not run in `herald dev`');
  });

  it('reports a busy port as PortInUseError naming the port and the --port flag', async () => {
    const port = await start('');
    const second = createDevServer({ root, baseurl: '' });

    const act = listen(second, port);

    await expect(act).rejects.toBeInstanceOf(PortInUseError);
    await expect(act).rejects.toThrow(
      `Port ${port} is already in use. Stop whatever is using it, or start on another port with --port ${port + 1}.`,
    );
  });
});
