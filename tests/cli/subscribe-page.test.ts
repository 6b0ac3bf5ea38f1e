import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen } from '../../functions/adapters/http-listen.ts';
import { runBuild } from '../../functions/cli/build.ts';
import { createDevServer } from '../../functions/cli/dev-server.ts';
import { describeWithBrowser, launchChromium } from '../support/chromium.ts';

interface Posted {
  contentType: string;
  body: string;
}

let work: string;
let server: Server;
let origin: string;
let browser: Browser;
let posted: Posted[] = [];

// The built subscribe page in real Chromium, against a stand-in API that answers like the real
// one: JSON `{ ok, message }` for JSON requests, an HTML page for plain form posts.
describeWithBrowser('subscribe page in Chromium', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'herald-subscribe-page-'));
    const content = join(work, 'content');
    await mkdir(join(content, 'posts'), { recursive: true });
    await writeFile(
      join(content, 'site.yml'),
      'title: Browser Meetups\ndescription: d\nurl: https://browser.test\nbaseurl: /blog\nnewsletter:\n  from_address: n@browser.test\n  from_name: B\n  postal_address: Street 1, Town\n',
    );
    await writeFile(join(content, 'posts', '2026-01-12-first.md'), '---\ntitle: First\n---\n\nHello.\n');
    await runBuild({ contentDir: content, outDir: join(work, 'out') });

    const site = createDevServer({ root: join(work, 'out'), baseurl: '/blog' });
    server = createServer((req, res) => {
      if (req.method !== 'POST' || req.url !== '/blog/api/subscribe') {
        site.emit('request', req, res);
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        const contentType = req.headers['content-type'] ?? '';
        posted.push({ contentType, body });
        if (contentType.startsWith('application/json')) {
          res.writeHead(202, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ok: true, message: 'Almost done: check your inbox to confirm.' }));
        } else {
          res.writeHead(202, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end('<!doctype html><title>Check your inbox</title><h1>Check your inbox</h1>');
        }
      });
    });
    origin = `http://127.0.0.1:${await listen(server, 0)}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
    await rm(work, { recursive: true, force: true });
  });

  it('posts JSON with fetch and shows the API’s message in the status paragraph', async () => {
    posted = [];
    const page = await browser.newPage();
    await page.goto(`${origin}/blog/subscribe.html`);

    await page.getByLabel('Your email address').fill('reader@example.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();

    await expect
      .poll(() => page.locator('[data-subscribe-result]').textContent())
      .toBe('Almost done: check your inbox to confirm.');
    expect(posted).toEqual([
      { contentType: 'application/json', body: JSON.stringify({ email: 'reader@example.com', website: '' }) },
    ]);
    expect(page.url()).toBe(`${origin}/blog/subscribe.html`);
    expect(await page.getByLabel('Your email address').inputValue()).toBe('');
    await page.close();
  });

  it('lets the browser refuse an invalid address before anything is sent', async () => {
    posted = [];
    const page = await browser.newPage();
    await page.goto(`${origin}/blog/subscribe.html`);

    await page.getByLabel('Your email address').fill('not-an-address');
    await page.getByRole('button', { name: 'Subscribe' }).click();

    expect(await page.evaluate('document.querySelector("#email").validity.valid')).toBe(false);
    expect(posted).toEqual([]);
    await page.close();
  });

  it('posts the plain form, honeypot included, when JavaScript is off', async () => {
    posted = [];
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${origin}/blog/subscribe.html`);

    await page.getByLabel('Your email address').fill('reader@example.com');
    await Promise.all([
      page.waitForURL(`${origin}/blog/api/subscribe`),
      page.getByRole('button', { name: 'Subscribe' }).click(),
    ]);

    expect(posted).toEqual([
      { contentType: 'application/x-www-form-urlencoded', body: 'email=reader%40example.com&website=' },
    ]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    await context.close();
  });

  it('keeps the honeypot out of sight and out of the tab order', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${origin}/blog/subscribe.html`);

    // The input keeps its own size; its container clips it to a single pixel.
    const box = await page.locator('[aria-hidden="true"]:has(input[name="website"])').boundingBox();
    await page.locator('#email').focus();
    await page.keyboard.press('Tab');
    // Expressions as strings: the project compiles without the DOM lib.
    const afterEmail = await page.evaluate<string>('document.activeElement?.outerHTML ?? ""');
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );

    expect((box?.width ?? 0) * (box?.height ?? 0)).toBeLessThanOrEqual(1);
    expect(afterEmail).toContain('<button type="submit">Subscribe</button>');
    expect(overflow).toBe(0);
    await page.close();
  });
});
