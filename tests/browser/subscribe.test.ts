/**
 * The whole double opt-in in real Chromium, against the same local cloud `npm start` runs: the
 * published site's subscribe page and the real handlers behind one listener, dynalite and the
 * local SES.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isSubscriber } from '../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../functions/core/email-address.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { readSesStore } from '../../functions/local/services.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeWithBrowser } from '../support/chromium.ts';

let browser: Browser;
let origin: string;
let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'herald-browser-'));
  runtime = await startLocalRuntime({ contentDir: 'content', dataDir, port: 0, watch: false });
  origin = runtime.origin;
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  await mkdir('test-output', { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function confirmLinkFor(email: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const mail = (await readSesStore(runtime.endpoints.ses)).find((e) => e.destination.to.includes(email));
    const link = /https?:\/\/[^\s\]]+\/api\/confirm\?token=[A-Za-z0-9._%-]+/.exec(mail?.body.text ?? '')?.[0];
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no confirmation email for ${email}`);
}

async function stored(email: string) {
  const record = await runtime.subscribers.findByAddressHash(addressHash(email));
  return isSubscriber(record) ? record : undefined;
}

async function statusOf(email: string) {
  return (await stored(email))?.status;
}

describeWithBrowser('subscribe in Chromium', () => {
  it('subscribes on the site page, follows the emailed link, presses Confirm: confirmed in the table', async () => {
    const email = `browser-${randomUUID().slice(0, 8)}@example.test`;
    const page = await browser.newPage();

    // Subscribe with JavaScript, result shown inline
    await page.goto(`${origin}/subscribe.html`);
    await page.fill('input[name="email"]', email);
    await page.click('button:has-text("Subscribe")');
    const status = page.locator('[data-subscribe-result]');
    await status.filter({ hasText: 'check your inbox' }).waitFor();
    await page.screenshot({ path: 'test-output/subscribe-1-form.png', fullPage: true });
    const link = await confirmLinkFor(email);
    await page.goto(link);
    const pendingAfterGet = await statusOf(email);
    await page.screenshot({ path: 'test-output/subscribe-2-confirm-page.png', fullPage: true });
    await page.click('button:has-text("Confirm")');
    await page.locator('h1', { hasText: 'You are subscribed' }).waitFor();
    await page.screenshot({ path: 'test-output/subscribe-3-confirmed.png', fullPage: true });

    expect(link.startsWith(`${origin}/api/confirm?token=`)).toBe(true);
    expect(pendingAfterGet).toBe('pending');
    const sub = await stored(email);
    expect(sub?.status).toBe('confirmed');
    expect(sub?.consent.source).toBe(`${origin}/subscribe.html`);
    expect(sub?.consent.userAgent).toContain('Chrome');
    await page.close();
  });

  it('works without JavaScript: the form post answers with a page', async () => {
    const email = `nojs-${randomUUID().slice(0, 8)}@example.test`;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();

    await page.goto(`${origin}/subscribe.html`);
    await page.fill('input[name="email"]', email);
    await page.click('button:has-text("Subscribe")');
    await page.locator('[role="status"]', { hasText: 'check your inbox' }).waitFor();
    await page.screenshot({ path: 'test-output/subscribe-nojs-result.png', fullPage: true });

    expect(new URL(page.url()).pathname).toBe('/api/subscribe');
    expect(await statusOf(email)).toBe('pending');
    await context.close();
  });
});
