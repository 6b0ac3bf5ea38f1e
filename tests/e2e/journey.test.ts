/**
 * The whole product on one machine, in real Chromium: `startLocalRuntime` (what `npm start` runs)
 * with a temporary data folder and a copy of the sample content. A reader subscribes on the site,
 * confirms from the emailed link, gets the newsletter of a post dropped into the content folder,
 * unsubscribes with one click as a mail provider would, and gets nothing for the next post.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PortInUseError } from '../../functions/adapters/http-listen.ts';
import { isSubscriber } from '../../functions/adapters/subscriber-store.ts';
import { runLocalDev } from '../../functions/cli/dev.ts';
import { addressHash } from '../../functions/core/email-address.ts';
import { RuntimeLockedError } from '../../functions/local/lock.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { readSesStore } from '../../functions/local/services.ts';
import { describeWithBrowser, launchChromium } from '../support/chromium.ts';
import { clockFrom } from '../support/clock.ts';

const READER = 'journey-reader@example.test';
// The runtime's clock: the same date and hour on every run, advancing in real time.
const now = clockFrom('2026-12-02T10:00:00Z');

let work: string;
let contentDir: string;
let runtime: LocalRuntime;
let browser: Browser;
const out: string[] = [];
const errors: string[] = [];

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** Polls `read` until it returns something, or fails after `timeoutMs` with `what`. */
async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A post dated a minute ago, with a root-relative image like real recaps. */
function postSource(title: string): string {
  const date = new Date(now().getTime() - 60_000).toISOString();
  return `---
layout: post
title: "${title}"
author: "Meetup Organisers"
date: ${date}
summary: "A short recap written by the end-to-end test."
tags: [community]
---

<p align="center">
<picture>
<img src="/assets/recaps/2026-berlin/stage.png" width="100%">
</picture>
</p>

We met, we talked about batching and caches, and we wrote it down.
`;
}

function postFile(slug: string): string {
  return join(contentDir, 'posts', `${now().toISOString().slice(0, 10)}-${slug}.md`);
}

async function outboxFor(address: string, subject: string) {
  for (const name of (await readdir(runtime.outboxDir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith(`-${address}.eml`)) continue;
    const raw = await readFile(join(runtime.outboxDir, name));
    const mail = await simpleParser(raw);
    if (mail.subject === subject) return { raw: raw.toString('utf8'), mail };
  }
  return undefined;
}

async function noHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-e2e-'));
  contentDir = join(work, 'content');
  await cp('content', contentDir, { recursive: true });
  [runtime, browser] = await Promise.all([
    startLocalRuntime({
      contentDir,
      dataDir: join(work, 'data'),
      port: 0,
      demoSubscribers: 1,
      debounceMs: 50,
      now,
      out: (line) => out.push(line),
      err: (line) => errors.push(line),
      progressStream: sink(),
    }),
    launchChromium(),
  ]);
  await mkdir('test-output', { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describeWithBrowser('npm start, end to end', () => {
  it('subscribe, confirm, receive a new post, unsubscribe in one click, receive nothing more', async () => {
    // The banner was printed and the sample posts were published but not mailed
    const banner = out.join('\n');
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });

    // Step 1: subscribe on the site's own page, confirm from the emailed link
    await page.goto(`${runtime.siteUrl}subscribe.html`);
    await page.screenshot({ path: 'test-output/e2e-subscribe-800.png', fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: 'test-output/e2e-subscribe-375.png', fullPage: true });
    const subscribeFits = await noHorizontalOverflow(page);
    await page.fill('input[name="email"]', READER);
    await page.click('button:has-text("Subscribe")');
    await page.locator('[data-subscribe-result]').filter({ hasText: 'check your inbox' }).waitFor();
    const confirmation = await waitFor('the confirmation email', async () =>
      (await readSesStore(runtime.endpoints.ses)).find((e) => e.destination.to.includes(READER)),
    );
    const link = /https?:\/\/[^\s\]]+\/api\/confirm\?token=[A-Za-z0-9._%-]+/.exec(
      confirmation.body.text ?? '',
    )?.[0];
    await page.goto(link ?? 'about:blank');
    await page.click('button:has-text("Confirm")');
    await page.locator('h1', { hasText: 'You are subscribed' }).waitFor();

    // Step 2: drop a new post into the content folder
    const firstTitle = 'Journey Night: Caches in Practice';
    await writeFile(postFile('journey-night'), postSource(firstTitle));
    const newsletter = await waitFor('the newsletter in the outbox', () => outboxFor(READER, firstTitle));
    const inSes = await waitFor('the newsletter in the local SES store', async () =>
      (await readSesStore(runtime.endpoints.ses)).find(
        (e) => e.destination.to.includes(READER) && e.subject === firstTitle,
      ),
    );
    const feed = await fetch(`${runtime.siteUrl}feed.xml`).then((r) => r.text());
    const archive = await fetch(runtime.siteUrl).then((r) => r.text());
    const html = String(newsletter.mail.html);
    await page.setViewportSize({ width: 800, height: 900 });
    await page.setContent(html, { waitUntil: 'load' });
    await page.screenshot({ path: 'test-output/e2e-newsletter-800.png', fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: 'test-output/e2e-newsletter-375.png', fullPage: true });
    const emailFits = await noHorizontalOverflow(page);
    const imagesLoaded = await page.evaluate<boolean>(
      "[...document.images].filter((img) => img.src.includes('/assets/')).every((img) => img.naturalWidth > 0)",
    );

    // Step 3: one-click unsubscribe, as a mail provider does it (RFC 8058)
    const unfolded = newsletter.raw.replace(/\r?\n[ \t]+/g, ' ');
    const unsubscribeUrl = /^List-Unsubscribe: <(https?:\/\/[^>]+)>/m.exec(unfolded)?.[1] ?? '';
    const oneClick = await fetch(unsubscribeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    const reader = await runtime.subscribers.findByAddressHash(addressHash(READER));

    // Step 4: another post
    const secondTitle = 'Journey Night, Part Two';
    await writeFile(postFile('journey-night-two'), postSource(secondTitle));
    const second = await waitFor('the second campaign to complete', async () => {
      await runtime.idle();
      const record = (await runtime.campaigns.list()).find(
        (r) => r.kind === 'campaign' && r.subject === secondTitle,
      );
      if (record?.kind !== 'campaign' || !record.fanout.done) return undefined;
      const counts = await runtime.campaigns.countStates(record.postId);
      return counts.sent === record.recipientCount ? { record, counts } : undefined;
    });
    const demoGotIt = await waitFor('the demo reader’s copy', () =>
      outboxFor('reader-1@example.test', secondTitle),
    );
    const readerMail = (await readSesStore(runtime.endpoints.ses)).filter((e) =>
      e.destination.to.includes(READER),
    );
    const ledger = await runtime.campaigns.getEntries(second.record.postId, [
      reader && isSubscriber(reader) ? reader.id : '',
    ]);

    // The banner
    expect(banner).toContain(`Site             ${runtime.siteUrl}`);
    expect(banner).toContain(`Subscribe page   ${runtime.siteUrl}subscribe.html`);
    expect(banner).toContain(`Local inbox      ${runtime.inboxUrl}`);
    expect(banner).toContain('herald dev --reset');
    expect(banner).toMatch(/3 posts on the site, none mailed, 2 never to be mailed/);
    // Subscribe page and email fit a phone
    expect(subscribeFits).toBe(true);
    expect(emailFits).toBe(true);
    // The newsletter
    expect(link?.startsWith(`${runtime.origin}/api/confirm?token=`)).toBe(true);
    expect(inSes.subject).toBe(firstTitle);
    expect(unfolded).toMatch(/^List-Unsubscribe: <http:\/\/localhost:\d+\/api\/unsubscribe\?token=/m);
    expect(unfolded).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    expect(html).toContain(firstTitle);
    expect(html).toContain(`src="${runtime.origin}/assets/recaps/2026-berlin/stage.png"`);
    expect(html).not.toMatch(/src="\/assets\//);
    expect(imagesLoaded).toBe(true);
    expect(feed).toContain(firstTitle);
    expect(archive).toContain(firstTitle);
    // Unsubscribed in one click; the next campaign does not count or mail them
    expect(oneClick.status).toBe(200);
    expect(reader && isSubscriber(reader) ? reader.status : undefined).toBe('unsubscribed');
    expect(second.record.recipientCount).toBe(1);
    expect(second.counts).toMatchObject({ sent: 1, suppressed: 0, failed: 0, unknown: 0 });
    expect(ledger.size).toBe(0);
    expect(demoGotIt.mail.subject).toBe(secondTitle);
    expect(readerMail.map((e) => e.subject)).toEqual([confirmation.subject, firstTitle]);
    expect(out.some((line) => line.startsWith(`mailed "${secondTitle}" to 1 confirmed subscriber`))).toBe(
      true,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reports a post with errors as file:line: field: message, publishes nothing, and keeps running', async () => {
    const broken = postFile('broken-recap');
    const rel = `posts/${broken.split('/').pop()}`;

    await writeFile(broken, '---\ntitle: [unclosed\n---\n\nText.\n');
    const report = await waitFor('the problem report', async () => {
      await runtime.idle();
      return errors.some((line) => line.startsWith(`${rel} was not published`))
        ? errors.join('\n')
        : undefined;
    });
    const goodTitle = 'Still Publishing After a Broken Post';
    await writeFile(postFile('still-publishing'), postSource(goodTitle));
    const archive = await waitFor('the good post on the site', async () => {
      await runtime.idle();
      const page = await fetch(runtime.siteUrl).then((r) => r.text());
      return page.includes(goodTitle) ? page : undefined;
    });

    expect(report).toMatch(new RegExp(`\\n  ${rel.replace(/[.]/g, '\\.')}:\\d+: `));
    expect(report.match(/was not published/g)).toHaveLength(1);
    expect(report).not.toMatch(/\n\s+at /);
    expect(archive).not.toContain('broken-recap');
  });

  it('refuses a second start on the same data folder, naming the PID and the URL', async () => {
    const lines: string[] = [];

    const error = await startLocalRuntime({ contentDir, dataDir: runtime.dataDir, port: 0 }).catch(
      (e: unknown) => e,
    );
    const viaCli = await runLocalDev(
      { contentDir, dataDir: runtime.dataDir, port: 0 },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );

    expect(error).toBeInstanceOf(RuntimeLockedError);
    expect((error as RuntimeLockedError).pid).toBe(process.pid);
    expect(viaCli).toBeUndefined();
    expect(lines.join('\n')).toContain(
      `herald dev: Herald is already running (PID ${process.pid}) at ${runtime.origin}`,
    );
  });

  it('names a busy port and the --port flag', async () => {
    const port = Number(new URL(runtime.origin).port);
    const lines: string[] = [];

    const session = await runLocalDev(
      { contentDir, dataDir: join(work, 'other-data'), port },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );

    expect(session).toBeUndefined();
    expect(lines).toContain(`herald dev: ${new PortInUseError(port).message}`);
  });
});
