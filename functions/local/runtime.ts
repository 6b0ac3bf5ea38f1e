/**
 * The local cloud behind `npm start` (`herald dev`): the same handlers that run in Lambda, wired to
 * local stand-ins of the AWS services — dynalite (DynamoDB), s3rver (S3), aws-ses-v2-local (SES),
 * in-process queues (SQS, with retries and dead-letter lists), a timer scheduler (EventBridge
 * Scheduler) and an HTTP server in front of the site bucket and the subscription API (CloudFront
 * and API Gateway). This module runs the sequence; the parts live beside it: the stand-ins in
 * `runtime-services.ts`, the handlers' wiring in `runtime-wiring.ts`, what is printed in
 * `runtime-reporter.ts`. Every decision is made by the use cases.
 *
 * Flow, as on AWS: the content folder is mirrored into the content bucket → S3 notifications go
 * through the content queue → `publish` renders the site into the site bucket and starts a campaign
 * → `fanout` → the delivery queue → `send` → local SES (and an `.eml` copy in the outbox).
 *
 * Two local adaptations, both because the site runs on `http://localhost:PORT` instead of its real
 * domain: the site config's `url` is replaced by the local origin where publish reads it (as
 * `jekyll serve` does), so every link and image in pages and emails works locally; and when that
 * origin changes between runs (another `--port`), the content is re-uploaded so pages are re-rendered.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CampaignStore } from '../adapters/campaign-store.ts';
import { listen } from '../adapters/http-listen.ts';
import type { TimerScheduler } from '../adapters/publish-scheduler.ts';
import { createS3SiteStore } from '../adapters/s3-site.ts';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { addressHash } from '../core/email-address.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import type { SiteConfig } from '../core/model.ts';
import { printableLines } from '../core/printable.ts';
import { parseSiteConfig } from '../core/site-config.ts';
import type { Subscriber } from '../core/subscriber.ts';
import type { Topic } from '../core/topics.ts';
import { formatBanner } from './banner.ts';
import type { LocalDeliveryQueue } from './delivery-queue.ts';
import { countTopics, demoReaderTopics } from './demo-topics.ts';
import { acquireRuntimeLock, type RuntimeLock } from './lock.ts';
import { createOutbox } from './outbox.ts';
import { createMailingProgress, type MailingProgress } from './progress.ts';
import { createRuntimeReporter } from './runtime-reporter.ts';
import {
  BUCKETS,
  dataProblem,
  LocalDataError,
  resetData,
  startLocalServices,
  TABLES,
} from './runtime-services.ts';
import { wireLocalCloud } from './runtime-wiring.ts';
import { type ContentWatcher, createContentMirror, type MirrorReport } from './watch.ts';

export { LocalDataError } from './runtime-services.ts';

/** Options for {@link startLocalRuntime}. */
/** Staleness of the reconcile pass at start: anything written before this process started. */
const START_RECONCILE_STALE_MINUTES = 1 / 60_000;

export interface LocalRuntimeOptions {
  /** Default `content`. */
  contentDir?: string;
  /** Default `.herald`. */
  dataDir?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`: the local cloud is nobody else's business. */
  host?: string;
  /** Host name used in URLs (pages, emails, banner). Default `localhost`. */
  publicHost?: string;
  /** Default Herald's own `templates/`. */
  templatesDir?: string;
  /** Delete the data folder first. */
  reset?: boolean;
  /** Add N confirmed test subscribers `reader-N@example.test`. */
  demoSubscribers?: number;
  /** Quiet time after the last change before the content is mirrored again. Default 150 ms. */
  debounceMs?: number;
  /** Watch the content folder. Default true. */
  watch?: boolean;
  /** The local SES's maximum send rate (messages per second). Default 200. */
  sendRate?: number;
  /** Regular output (banner, what happened). */
  out?: (line: string) => void;
  /** Problems. */
  err?: (line: string) => void;
  /** Where mailing progress bars draw (nothing is drawn unless it is a terminal). */
  progressStream?: NodeJS.WritableStream;
  /** `performance.now()` at the moment to measure readiness from. Default: when this is called. */
  startedAt?: number;
  now?: () => Date;
  /** Interval of the scheduled reconciler. Default five minutes. */
  reconcileEveryMs?: number;
  /** Publish a Jekyll site's `_drafts/` too (`herald dev --drafts`). */
  drafts?: boolean;
}

/** A running local cloud. */
export interface LocalRuntime {
  /** Site root with baseurl and trailing slash, e.g. `http://localhost:3000/`. */
  siteUrl: string;
  /** `http://localhost:3000` */
  origin: string;
  inboxUrl: string;
  endpoints: { dynamo: string; s3: string; ses: string };
  dataDir: string;
  outboxDir: string;
  contentDir: string;
  tables: { subscribers: string; campaigns: string };
  buckets: { content: string; site: string };
  /** From start to the banner, in milliseconds. */
  readyMs: number;
  dynamo: DynamoDBClient;
  campaigns: CampaignStore;
  subscribers: SubscriberStore;
  queues: { content: LocalDeliveryQueue; fanout: LocalDeliveryQueue; delivery: LocalDeliveryQueue };
  scheduler: TimerScheduler;
  /** Resolves when nothing is waiting: watcher, publish, fan-out and delivery. */
  idle(): Promise<void>;
  /** Mirrors the content folder now (what the watcher does after a change). */
  syncContent(): Promise<MirrorReport>;
  stop(): Promise<void>;
}

async function readLocalSite(
  contentDir: string,
  err: (line: string) => void,
): Promise<SiteConfig | undefined> {
  for (const [file, layout] of [
    ['site.yml', 'herald'],
    ['_config.yml', 'jekyll'],
  ] as const) {
    const text = await readFile(join(contentDir, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      return parseSiteConfig(text, join(contentDir, file), layout);
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      err('The site config has problems; publishing waits until they are fixed:');
      for (const problem of error.problems) err(`  ${formatProblem(problem)}`);
      return undefined;
    }
  }
  err(`No site.yml (or Jekyll _config.yml) in ${contentDir}; nothing can be published until there is one.`);
  return undefined;
}

/** Adds confirmed test subscribers `reader-1@example.test` … (existing ones are left alone). */
export async function addDemoSubscribers(
  store: SubscriberStore,
  count: number,
  now: Date,
  topics: readonly Topic[] = [],
): Promise<number> {
  let added = 0;
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const n = next++;
      const email = `reader-${n}@example.test`;
      const sub: Subscriber = {
        id: `demo-reader-${n}`,
        email,
        addressHash: addressHash(email),
        status: 'confirmed',
        createdAt: now,
        updatedAt: now,
        confirmedAt: now,
        softBounces: 0,
        consent: {
          at: now,
          source: 'herald dev --demo-subscribers',
          method: 'import',
          textVersion: 'demo',
          confirmedAt: now,
        },
        ...(demoReaderTopics(n, topics) ? { topics: demoReaderTopics(n, topics) } : {}),
        version: 1,
      };
      if ((await store.save(sub)) === 'saved') added++;
    }
  };
  // dynalite is single-threaded; a few writers keep it busy without queueing up.
  await Promise.all(Array.from({ length: 8 }, worker));
  return added;
}

/** Relative to the working folder when inside it (shorter, and what the user typed), else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * Starts everything, mirrors the content (which publishes it), prints the banner and watches.
 *
 * @throws RuntimeLockedError when another runtime uses the data folder.
 * @throws PortInUseError when the port is taken.
 * @throws LocalDataError when the data folder is damaged.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = options.startedAt ?? performance.now();
  // Everything printed may quote content (titles, keys, problems): strip control characters once, here.
  const out = (line: string) => options.out?.(printableLines(line));
  const err = (line: string) => options.err?.(printableLines(line));
  const now = options.now ?? (() => new Date());
  const contentDirArg = options.contentDir ?? 'content';
  const dataDirArg = options.dataDir ?? '.herald';
  const contentDir = resolve(contentDirArg);
  const dataDir = resolve(dataDirArg);
  const host = options.host ?? '127.0.0.1';
  const publicHost = options.publicHost ?? 'localhost';
  const templatesDir = resolve(options.templatesDir ?? 'templates');
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // Keep stopping the rest.
      }
    }
  };

  const contentInfo = await stat(contentDir).catch(() => undefined);
  if (!contentInfo?.isDirectory()) {
    throw new LocalDataError(
      `There is no content folder at ${contentDirArg}. Run from the project folder, or pass --content DIR.`,
    );
  }
  const dataInfo = await stat(dataDir).catch(() => undefined);
  if (dataInfo && !dataInfo.isDirectory()) {
    throw new LocalDataError(
      `${dataDirArg} is a file, not a folder. Move it aside, or choose another folder with --data DIR.`,
    );
  }

  let lock: RuntimeLock;
  try {
    lock = await acquireRuntimeLock(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code)
      throw dataProblem(dataDir, 'cannot write the lock file', error);
    throw error;
  }
  stops.push(() => lock.release());

  try {
    if (options.reset) {
      await resetData(dataDir, lock.path);
      out(`Reset: deleted the local data in ${dataDirArg}/.`);
    }

    // Claim the port first: a busy port fails in milliseconds, before any service starts.
    let handle: RequestListener | undefined;
    const server = createServer((req, res) => {
      if (handle) handle(req, res);
      else
        res
          .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' })
          .end('Starting…\n');
    });
    const port = await listen(server, options.port ?? 3000, host);
    stops.push(
      () =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    );
    const origin = `http://${publicHost}:${port}`;
    await lock.update(origin);

    const services = await startLocalServices({
      dataDir,
      host,
      onStop: (stop) => stops.push(stop),
      onDynamo: (endpoint) =>
        lock.update(origin, { endpoint, subscribers: TABLES.subscribers, campaigns: TABLES.campaigns }),
    });
    const { dynamo, s3, ses } = services;

    const site = await readLocalSite(contentDir, err);
    const baseurl = site?.baseurl ?? '';
    const siteUrl = `${origin}${baseurl}/`;
    const outboxDir = join(dataDir, 'outbox');
    const outbox = createOutbox({
      dir: outboxDir,
      now,
      onError: (error, file) => err(`outbox: could not write ${file}: ${(error as Error).message}`),
    });
    const reporter = createRuntimeReporter({ out, err });
    let progress: MailingProgress | undefined;
    const wired = await wireLocalCloud({
      services,
      reporter,
      outbox,
      origin,
      baseurl,
      site,
      templatesDir,
      sendRate: options.sendRate ?? 200,
      now,
      onStop: (stop) => stops.push(stop),
      progress: () => progress,
      ...(options.drafts ? { drafts: true } : {}),
    });
    const { scheduler } = wired;
    const { content: contentQueue, fanout: fanoutQueue, delivery: deliveryQueue } = wired.queues;
    const campaigns = wired.delivery.store;
    const subscribers = createSubscriberStore({ client: dynamo, tableName: TABLES.subscribers });

    // After a crash, recipients left in `claimed`/`sending` belong to a process that is gone (the
    // lock says only one runtime uses this data): settle them now rather than in 15 minutes.
    // Runs before the first sync, so no worker of this process has claimed anyone yet.
    await wired.reconcile({ staleAfterMinutes: START_RECONCILE_STALE_MINUTES });

    let demoAdded = 0;
    if (options.demoSubscribers && options.demoSubscribers > 0) {
      demoAdded = await addDemoSubscribers(
        subscribers,
        options.demoSubscribers,
        now(),
        site?.newsletter.topics,
      );
    }

    // Mirror the content: uploads trigger publish exactly as a deploy does on AWS.
    const mirror = createContentMirror({
      dir: contentDir,
      client: s3.client,
      contentBucket: BUCKETS.content,
      siteBucket: BUCKETS.site,
    });
    // Watch before the site answers and before the first sync: from the moment
    // http://localhost:3000/ answers, a saved file is either in that sync or seen by the watcher.
    let watcher: ContentWatcher | undefined;
    if (options.watch ?? true) {
      watcher = await mirror.watch({
        debounceMs: options.debounceMs ?? 150,
        onError: (error) => err(`watching ${contentDirArg}: ${(error as Error).message}`),
      });
      stops.push(() => watcher?.close());
    }
    handle = wired.listener;
    const originFile = join(dataDir, 'site-origin');
    const lastOrigin = (await readFile(originFile, 'utf8').catch(() => '')).trim();
    if (lastOrigin && lastOrigin !== `${origin}${baseurl}`) {
      out(
        `The site moved from ${lastOrigin} to ${origin}${baseurl}: publishing every post again so links follow.`,
      );
    }
    const first = await mirror.sync({ force: lastOrigin !== '' && lastOrigin !== `${origin}${baseurl}` });
    await writeFile(originFile, `${origin}${baseurl}\n`);
    await contentQueue.idle();
    reporter.setQuiet(false);

    progress = createMailingProgress({
      source: campaigns,
      stream: options.progressStream ?? process.stderr,
      print: out,
      since: now(),
      busy: () => {
        const f = fanoutQueue.stats();
        const d = deliveryQueue.stats();
        return f.waiting + f.delayed + f.inFlight + d.waiting + d.delayed + d.inFlight > 0;
      },
      now,
      onError: reporter.failure('progress'),
    });
    stops.push(() => progress?.stop());
    // Something may have been mailed by the first sync (a new post added while stopped).
    progress.wake();

    // The scheduled reconciler (EventBridge on AWS): settles recipients left over by a crash.
    // One pass at a time, and stopping waits for it: closing the tables under a running pass fails it.
    let reconciling: Promise<unknown> | undefined;
    const runReconcile = () => {
      reconciling ??= wired
        .reconcile()
        .catch(reporter.failure('reconcile'))
        .finally(() => {
          reconciling = undefined;
        });
    };
    const reconcileTimer = setInterval(runReconcile, options.reconcileEveryMs ?? 5 * 60_000);
    reconcileTimer.unref();
    stops.push(async () => {
      clearInterval(reconcileTimer);
      await reconciling;
    });

    const [index, records, confirmed, topicCounts] = await Promise.all([
      createS3SiteStore({ client: s3.client, bucket: BUCKETS.site, stateBucket: BUCKETS.state }).readIndex(),
      campaigns.list(),
      wired.delivery.audience.countConfirmed(now()),
      countTopics(wired.delivery.audience.topics, site?.newsletter.topics ?? []),
    ]);
    const readyMs = performance.now() - startedAt;
    const inboxUrl = `${ses.endpoint}/`;
    for (const line of formatBanner({
      siteUrl,
      inboxUrl,
      dataDir: displayPath(dataDir),
      contentDir: displayPath(contentDir),
      readyMs,
      posts: Object.values(index.posts).filter((p) => !p.draft).length,
      notMailed: records.filter((r) => r.kind === 'not-to-mail').length,
      campaigns: records.filter((r) => r.kind === 'campaign').length,
      confirmedSubscribers: confirmed,
      maxAgeDays: site?.newsletter.maxAgeDays ?? 7,
      failed: reporter.failedCount(),
      scheduled: scheduler.pending().length,
      ...(demoAdded ? { demoAdded } : {}),
      ...(topicCounts.length > 0 ? { topicCounts } : {}),
    })) {
      out(line);
    }
    if (first.uploaded.length === 0 && first.removed.length === 0) {
      out('  (The content is unchanged since the last run, so nothing was published again.)');
      out('');
    }
    runReconcile();

    return {
      siteUrl,
      origin,
      inboxUrl,
      endpoints: { dynamo: services.dynamoEndpoint, s3: s3.endpoint, ses: ses.endpoint },
      dataDir,
      outboxDir,
      contentDir,
      tables: { ...TABLES },
      buckets: { ...BUCKETS },
      readyMs,
      dynamo,
      campaigns,
      subscribers,
      queues: { content: contentQueue, fanout: fanoutQueue, delivery: deliveryQueue },
      scheduler,
      async idle() {
        for (let i = 0; i < 100; i++) {
          await watcher?.idle();
          await contentQueue.idle();
          await fanoutQueue.idle();
          await deliveryQueue.idle();
          const busy = [contentQueue, fanoutQueue, deliveryQueue].some((q) => {
            const s = q.stats();
            return s.waiting + s.delayed + s.inFlight > 0;
          });
          if (!busy) break;
        }
        await progress?.settled();
      },
      syncContent: () => mirror.sync(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
