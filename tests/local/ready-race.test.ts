/**
 * `npm start`'s banner promises that a post saved from then on is published and mailed. Before the
 * watcher was armed ahead of the first sync (and chokidar's `ready` awaited), a post saved within
 * moments of the banner was never published.
 */
import { access, cp, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { clockFrom } from '../support/clock.ts';

let work: string;
let contentDir: string;
let dataDir: string;
let port: number;
// One clock for every restart: the reader confirmed in the first start stays confirmed before each post.
const now = clockFrom('2026-12-02T12:00:00Z');

/** A port that is free now, kept for every restart so the site's origin (and so its pages) stay put. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

function start(
  options: { demoSubscribers?: number; contentDir?: string; dataDir?: string } = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({
    contentDir,
    dataDir,
    port,
    debounceMs: 30,
    out: () => undefined,
    err: () => undefined,
    progressStream: sink(),
    now,
    ...options,
  });
}

function post(title: string): string {
  return `---\ntitle: "${title}"\nauthor: "Meetup Organisers"\nsummary: "Saved right after start."\n---\n\nWe met and wrote it down.\n`;
}

async function mailed(runtime: LocalRuntime, title: string, timeoutMs = 10_000): Promise<boolean> {
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; ) {
    for (const name of await readdir(runtime.outboxDir).catch(() => [] as string[])) {
      if ((await readFile(join(runtime.outboxDir, name), 'utf8')).includes(title)) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Resolves once the first sync has listed the folder: its first upload (site.yml) is in local S3. */
async function firstSyncStarted(data: string, starting: Promise<LocalRuntime>): Promise<void> {
  let failed: unknown;
  starting.catch((error: unknown) => {
    failed = error;
  });
  const marker = join(data, 's3', 'herald-content', 'site.yml._S3rver_object');
  for (;;) {
    if (failed) throw failed;
    if (
      await access(marker).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function onSite(runtime: LocalRuntime, path: string): Promise<number> {
  return (await fetch(new URL(path, runtime.siteUrl))).status;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-race-'));
  contentDir = join(work, 'content');
  dataDir = join(work, 'data');
  await cp('content', contentDir, { recursive: true });
  port = await freePort();
  const first = await start({ demoSubscribers: 1 });
  await first.stop();
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm start, then save at once', () => {
  it('publishes and mails a post saved during the first sync, 20 rounds out of 20', async () => {
    const missed: number[] = [];
    for (let round = 1; round <= 20; round++) {
      // A first start (fresh data and content): the initial sync publishes every sample post, which
      // takes seconds while the site already answers. The old watcher was armed only after it, so
      // a post saved meanwhile waited for some other change before it was published.
      const fresh = join(work, `round-${round}`);
      const roundContent = join(fresh, 'content');
      await cp('content', roundContent, { recursive: true });
      const starting = start({ contentDir: roundContent, dataDir: join(fresh, 'data'), demoSubscribers: 1 });
      await firstSyncStarted(join(fresh, 'data'), starting);
      await writeFile(join(roundContent, 'posts', `2026-12-01-during-${round}.md`), post(`During ${round}`));
      const runtime = await starting;
      try {
        if (!(await mailed(runtime, `During ${round}`))) missed.push(round);
      } finally {
        await runtime.stop();
        await rm(fresh, { recursive: true, force: true });
      }
    }
    expect(missed).toEqual([]);
  }, 600_000);

  it('publishes and mails a post saved within 100 ms of readiness, 20 rounds out of 20', async () => {
    const missed: number[] = [];
    for (let round = 1; round <= 20; round++) {
      const runtime = await start();
      try {
        // The very next thing after readiness: well within 100 ms on an idle machine.
        await writeFile(join(contentDir, 'posts', `2026-12-01-after-${round}.md`), post(`After ${round}`));
        if (!(await mailed(runtime, `After ${round}`))) missed.push(round);
      } finally {
        await runtime.stop();
      }
    }
    expect(missed).toEqual([]);
  }, 600_000);

  it('unpublishes a post deleted right after start', async () => {
    const file = join(contentDir, 'posts', '2026-12-01-short-lived.md');
    await writeFile(file, post('Short Lived'));
    let runtime = await start();
    expect(await mailed(runtime, 'Short Lived')).toBe(true);
    await runtime.stop();
    runtime = await start();
    try {
      await unlink(file);
      let status = 200;
      for (let i = 0; i < 200 && status !== 404; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = await onSite(runtime, '2026/12/01/short-lived/');
      }
      expect(status).toBe(404);
    } finally {
      await runtime.stop();
    }
  }, 60_000);
});
