/**
 * Topics in real Chromium at phone (375 px) and desktop (800 px) widths: the site's subscribe page
 * with "Everything" or picked topics, and the preference page behind "Manage your subscription".
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { serveStatic } from '../../functions/adapters/static-files.ts';
import { isSubscriber } from '../../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../../functions/adapters/token-keys.ts';
import { runBuild } from '../../functions/cli/build.ts';
import { addressHash } from '../../functions/core/email-address.ts';
import { parseSiteConfig } from '../../functions/core/site-config.ts';
import { signToken, type TokenKeys } from '../../functions/core/tokens.ts';
import { createRequestListener, type Routes } from '../../functions/local/http-adapter.ts';
import { createSubscriberTable, localDynamoClient } from '../../functions/local/services.ts';
import {
  createLocalSubscriptionDeps,
  type LocalSubscriptionDeps,
  subscriptionRoutes,
} from '../../functions/local/subscriptions.ts';
import { describeWithBrowser, itWithBrowser, launchChromium } from '../support/chromium.ts';
import { clockFrom } from '../support/clock.ts';

// The subscription handlers' clock: the same date on every run, advancing in real time.
const now = clockFrom('2026-12-02T10:00:00Z');
let browser: Browser;
let origin: string;
let deps: LocalSubscriptionDeps;
let keys: TokenKeys;
let stopServer: () => Promise<void>;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'herald-topics-browser-'));
  await runBuild({ contentDir: 'content', outDir });
  const site = parseSiteConfig(await readFile('content/site.yml', 'utf8'), 'content/site.yml', 'herald');
  const routes: Routes = {};
  // The built site plus the API routes, as CloudFront serves them on AWS.
  const api = createRequestListener({ routes });
  const siteDir = join(outDir, 'site');
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith('/api/')) return api(req, res);
    void serveStatic(req, res, siteDir, path, '', async () => {
      res.writeHead(404).end('Not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stopServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const tableName = `browser-topics-${randomUUID().slice(0, 8)}`;
  await createSubscriberTable(localDynamoClient(inject('dynamoEndpoint')), tableName);
  keys = generateTokenKeys();
  deps = await createLocalSubscriptionDeps({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sesEndpoint: inject('sesEndpoint'),
    tableName,
    siteUrl: origin,
    keys,
    topics: site.newsletter.topics ?? [],
    now,
  });
  Object.assign(routes, subscriptionRoutes(deps));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopServer?.();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function stored(email: string) {
  // The confirm-mailer stores the reader, after the answer: let it finish first.
  await deps.confirmationQueue.idle();
  const record = await deps.store.findByAddressHash(addressHash(email));
  return isSubscriber(record) ? record : undefined;
}

async function openAt(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  return page;
}

async function expectNoHorizontalScroll(page: Page, width: number): Promise<void> {
  const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
  expect(scrollWidth).toBeLessThanOrEqual(width);
}

describeWithBrowser('topics in Chromium', () => {
  for (const width of [375, 800]) {
    itWithBrowser(`subscribes to everything by default or to picked topics at ${width} px`, async () => {
      const page = await openAt(width);
      await page.goto(`${origin}/subscribe.html`);
      await expectNoHorizontalScroll(page, width);
      expect(await page.isChecked('input[name="choice"][value="everything"]')).toBe(true);
      const everything = `all-${width}-${randomUUID().slice(0, 6)}@example.test`;
      await page.fill('input[name="email"]', everything);
      await page.click('button:has-text("Subscribe")');
      await page.waitForFunction(
        `document.querySelector('[data-subscribe-result]')?.textContent?.includes('You chose')`,
      );
      expect(await page.textContent('[data-subscribe-result]')).toContain('You chose: everything.');

      const picker = `pick-${width}-${randomUUID().slice(0, 6)}@example.test`;
      await page.check('input[name="topics"][value="lisbon"]');
      expect(await page.isChecked('input[name="choice"][value="topics"]')).toBe(true);
      await page.fill('input[name="email"]', picker);
      await page.click('button:has-text("Subscribe")');
      await page.waitForFunction(
        `document.querySelector('[data-subscribe-result]')?.textContent?.includes('Lisbon')`,
      );
      await expectNoHorizontalScroll(page, width);
      await page.close();

      expect((await stored(everything))?.topics).toBeUndefined();
      expect((await stored(picker))?.topics).toEqual(['lisbon']);
    });

    itWithBrowser(`changes topics and unsubscribes on the preference page at ${width} px`, async () => {
      const email = `prefs-${width}-${randomUUID().slice(0, 6)}@example.test`;
      const response = await fetch(`${origin}/api/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, choice: 'topics', topics: ['berlin'] }),
      });
      expect(response.status).toBe(200);
      const pending = await stored(email);
      if (!pending) throw new Error('not stored');
      await deps.store.save({
        ...pending,
        status: 'confirmed',
        confirmedAt: now(),
        version: pending.version + 1,
      });
      const token = signToken(keys, { purpose: 'manage', subscriberId: pending.id, issuedAt: now() });
      const page = await openAt(width);

      await page.goto(`${origin}/api/preferences?token=${encodeURIComponent(token)}`);
      await expectNoHorizontalScroll(page, width);
      expect(await page.isChecked('input[name="topics"][value="berlin"]')).toBe(true);
      await page.uncheck('input[name="topics"][value="berlin"]');
      await page.check('input[name="topics"][value="lisbon"]');
      await page.click('button:has-text("Save my choices")');
      await page.waitForSelector('text=Saved. You get: Lisbon.');
      await expectNoHorizontalScroll(page, width);
      expect((await stored(email))?.topics).toEqual(['lisbon']);

      await page.click('button:has-text("Unsubscribe from everything")');
      await page.waitForSelector('h1:has-text("You are unsubscribed")');
      await page.close();
      expect((await stored(email))?.status).toBe('unsubscribed');
    });
  }
});
