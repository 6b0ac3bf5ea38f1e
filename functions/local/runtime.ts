/**
 * The local cloud behind `npm start` (`herald dev`): the same handlers that run in Lambda, wired to
 * local stand-ins of the AWS services — dynalite (DynamoDB), s3rver (S3), aws-ses-v2-local (SES),
 * in-process queues (SQS, with retries and dead-letter lists), a timer scheduler (EventBridge
 * Scheduler) and an HTTP server in front of the site bucket and the subscription API (CloudFront
 * and API Gateway). Wiring only: every decision is made by the handlers and core.
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
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CampaignStore, campaignTableDefinition } from '../adapters/campaign-store.ts';
import { createTimerScheduler, type TimerScheduler } from '../adapters/publish-scheduler.ts';
import { createS3SiteStore } from '../adapters/s3-site.ts';
import type { SendQueue } from '../adapters/send-queue.ts';
import { createSesRawSender, createSesSendClient } from '../adapters/ses-raw-sender.ts';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, TokenKeysError } from '../adapters/token-keys.ts';
import type { Log, PostSource } from '../app/ports.ts';
import { decodeS3Key } from '../app/publish-post.ts';
import type { DeliveryLog } from '../app/send-batch.ts';
import { PortInUseError } from '../cli/dev-server.ts';
import { addressHash } from '../core/email-address.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import type { SiteConfig } from '../core/model.ts';
import { SEND_CONCURRENCY } from '../core/pacing.ts';
import { parseSiteConfig } from '../core/site-config.ts';
import type { Subscriber } from '../core/subscriber.ts';
import type { Topic } from '../core/topics.ts';
import { createFanoutHandler } from '../handlers/fanout.ts';
import { createPublishHandler } from '../handlers/publish.ts';
import { createReconcileHandler } from '../handlers/reconcile.ts';
import { createSendHandler } from '../handlers/send.ts';
import { createDeliveryWiring, type DeliveryWiring } from '../wiring/delivery-deps.ts';
import { createPublishWiring } from '../wiring/publish-deps.ts';
import type { LoggerLike } from '../wiring/subscription-deps.ts';
import { formatBanner } from './banner.ts';
import { createLocalDeliveryQueue, type LocalDeliveryQueue } from './delivery-queue.ts';
import { countTopics, demoReaderTopics } from './demo-topics.ts';
import { acquireRuntimeLock, type RuntimeLock } from './lock.ts';
import { createOutbox, withMailerOutbox, withOutbox } from './outbox.ts';
import { createMailingProgress, type MailingProgress } from './progress.ts';
import { contentNotificationFilter, LocalS3Error, notifyQueue, startLocalS3 } from './s3.ts';
import { createSubscriberTable, localDynamoClient, startLocalSes } from './services.ts';
import { createSiteListener } from './site-server.ts';
import { createLocalSubscriptionDeps, subscriptionRoutes } from './subscriptions.ts';
import { type ContentWatcher, createContentMirror, type MirrorReport } from './watch.ts';

/** The data folder (or part of it) cannot be used; the message says what to do. */
export class LocalDataError extends Error {
  override name = 'LocalDataError';
}

/** Options for {@link startLocalRuntime}. */
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

const TABLES = { subscribers: 'herald-subscribers', campaigns: 'herald-campaigns' };
const BUCKETS = { content: 'herald-content', site: 'herald-site' };
const CONTENT_MAX_RECEIVES = 3;
const FALLBACK = { title: 'Herald', fromAddress: 'recaps@herald.test', fromName: 'Herald' };

function dataProblem(path: string, what: string, error: unknown): LocalDataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new LocalDataError(
    `The local data in ${path} cannot be used (${what}: ${reason}). It may be damaged, e.g. by a crash ` +
      'mid-write or files from another tool. Start fresh with `herald dev --reset` (deletes local ' +
      'subscribers, campaigns, sent mail and the built site), or move the folder aside to keep it.',
    { cause: error },
  );
}

/** Opens the dynalite LevelDB folder once, so damage is reported clearly instead of hanging requests. */
async function checkLevelFolder(path: string): Promise<void> {
  // dynalite's own `level`, so both agree on the format.
  const require = createRequire(import.meta.resolve('dynalite'));
  const { Level } = require('level') as {
    Level: new (path: string, options: object) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(path, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw dataProblem(path, 'the DynamoDB files do not open', cause ?? error);
  }
  await db.close();
}

async function resetData(dataDir: string, keep: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => join(dataDir, n) !== keep)
      .map((n) => rm(join(dataDir, n), { recursive: true, force: true })),
  );
}

async function startDynaliteAt(
  path: string,
  host: string,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const endpoint = await new Promise<string>((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      done(`http://${host}:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
  return {
    endpoint,
    stop: () =>
      new Promise((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  };
}

function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((done, fail) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      fail(error.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: error }) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      done(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
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

/** Publish reads the site config through this: the local origin replaces `url` (see the file comment). */
function withLocalOrigin(content: PostSource, origin: string): PostSource {
  return {
    ...content,
    async loadSite() {
      const loaded = await content.loadSite();
      return { ...loaded, site: { ...loaded.site, url: origin } };
    },
  };
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

function compact(context: Record<string, unknown>): string {
  const text = JSON.stringify(context);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
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
  const out = options.out ?? (() => undefined);
  const err = options.err ?? (() => undefined);
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
    let handle: ReturnType<typeof createSiteListener> | undefined;
    const server = createServer((req, res) => {
      if (handle) handle(req, res);
      else
        res
          .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' })
          .end('Starting…\n');
    });
    const port = await listenOn(server, options.port ?? 3000, host);
    stops.push(
      () =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    );
    const origin = `http://${publicHost}:${port}`;
    await lock.update(origin);

    const dynamoDir = join(dataDir, 'dynamo');
    const [tokenKeys] = await Promise.all([
      loadTokenKeysFile(join(dataDir, 'token-keys.json'), { create: true }).catch((error: unknown) => {
        if (error instanceof TokenKeysError)
          throw dataProblem(join(dataDir, 'token-keys.json'), 'token keys', error);
        throw error;
      }),
      checkLevelFolder(dynamoDir),
    ]);

    const started = await Promise.allSettled([
      startDynaliteAt(dynamoDir, host),
      startLocalSes(host),
      startLocalS3({ dir: join(dataDir, 's3'), buckets: [BUCKETS.content, BUCKETS.site], host }),
    ] as const);
    for (const result of started) if (result.status === 'fulfilled') stops.push(() => result.value.stop());
    const failure = started.find((r) => r.status === 'rejected');
    if (failure) {
      const error = failure.reason as unknown;
      throw error instanceof LocalS3Error ? dataProblem(join(dataDir, 's3'), 'local S3', error) : error;
    }
    const [dynamoService, ses, s3] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startDynaliteAt>>,
      Awaited<ReturnType<typeof startLocalSes>>,
      Awaited<ReturnType<typeof startLocalS3>>,
    ];

    const dynamo = localDynamoClient(dynamoService.endpoint);
    await lock.update(origin, {
      endpoint: dynamoService.endpoint,
      subscribers: TABLES.subscribers,
      campaigns: TABLES.campaigns,
    });
    try {
      await createSubscriberTable(dynamo, TABLES.subscribers);
      await dynamo
        .send(new CreateTableCommand(campaignTableDefinition(TABLES.campaigns)))
        .catch((error: unknown) => {
          if ((error as Error).name !== 'ResourceInUseException') throw error;
        });
    } catch (error) {
      throw dataProblem(dynamoDir, 'the tables cannot be created', error);
    }

    const site = await readLocalSite(contentDir, err);
    const baseurl = site?.baseurl ?? '';
    const siteUrl = `${origin}${baseurl}/`;
    const outboxDir = join(dataDir, 'outbox');
    const outbox = createOutbox({
      dir: outboxDir,
      now,
      onError: (error, file) => err(`outbox: could not write ${file}: ${(error as Error).message}`),
    });

    // Delivery: fan-out and send handlers behind local SQS queues.
    const deliveryLog: DeliveryLog & { info(message: string, context: Record<string, unknown>): void } = {
      info: () => undefined,
      warn: (message, context) => err(`delivery: ${message} ${compact(context)}`),
      error: (message, context) => err(`delivery: ${message} ${compact(context)}`),
    };
    let wiring: DeliveryWiring | undefined;
    let sendHandler: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;
    const queueError = (what: string) => (error: unknown) =>
      err(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    const deliveryQueue = createLocalDeliveryQueue({
      handler: (event) => (sendHandler as (event: SQSEvent) => Promise<SQSBatchResponse>)(event),
      concurrency: SEND_CONCURRENCY.local,
      visibilityTimeoutMs: 1000,
      maxDepth: 5000,
      queueArn: 'arn:aws:sqs:local:000000000000:herald-delivery',
      onError: queueError('send'),
    });
    const fanoutQueue = createLocalDeliveryQueue({
      handler: (event) =>
        createFanoutHandler({
          deps: (remaining) => (wiring as DeliveryWiring).fanoutDeps(remaining),
          log: deliveryLog,
        })(event),
      batchSize: 1,
      concurrency: 1,
      visibilityTimeoutMs: 1000,
      queueArn: 'arn:aws:sqs:local:000000000000:herald-fanout',
      onError: queueError('fan-out'),
    });
    let progress: MailingProgress | undefined;
    // Starting a fan-out is when a mailing begins: wake the progress display.
    const fanoutWithProgress: SendQueue = {
      async enqueue(messages) {
        await fanoutQueue.enqueue(messages);
        progress?.wake();
      },
    };
    const ses2 = createSesSendClient({
      endpoint: ses.endpoint,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    wiring = createDeliveryWiring({
      dynamo,
      campaignTable: TABLES.campaigns,
      subscriberTable: TABLES.subscribers,
      ses: ses2,
      deliveryQueue,
      fanoutQueue: fanoutWithProgress,
      tokenKeys,
      quota: { maxSendRate: options.sendRate ?? 200, max24HourSend: 1_000_000_000, sentLast24Hours: 0 },
      sender: withOutbox(createSesRawSender({ client: ses2 }), outbox),
      log: deliveryLog,
      now,
      rateScope: 'local-ses',
    });
    sendHandler = createSendHandler({ sendBatch: wiring.sendBatch, log: deliveryLog });
    fanoutQueue.start();
    deliveryQueue.start();
    stops.push(
      () => fanoutQueue.stop(),
      () => deliveryQueue.stop(),
    );
    const campaigns = wiring.store;

    // Publish: S3 notifications → content queue → publish handler (one at a time, as on AWS).
    let quiet = true;
    const failedKeys = new Map<string, string>();
    const printed = new Map<string, string>();
    const mailNotes = new Map<string, string>();
    const reportOnce = (key: string, lines: string[]) => {
      const text = lines.join('\n');
      if (printed.get(key) === text) return;
      printed.set(key, text);
      for (const line of lines) err(line);
    };
    const publishLog: Log = {
      info(message, context) {
        const key = String(context.key ?? context.postId ?? '');
        if (message === 'post published' || message === 'post unpublished' || message === 'post scheduled') {
          failedKeys.delete(key);
          printed.delete(key);
        }
        const postId = String(context.postId ?? '');
        // The handler logs the mailing before the publish line; hold it to print them in order.
        if (message === 'campaign started')
          mailNotes.set(postId, `mailing it to ${String(context.recipients)} confirmed subscriber(s)`);
        if (message === 'post not mailed')
          mailNotes.set(postId, `not mailed: ${String(context.detail ?? context.reason)}`);
        if (quiet) {
          mailNotes.delete(postId);
          return;
        }
        if (message === 'post published') {
          const mail = context.mail as { mailed?: boolean; reason?: string } | undefined;
          const note =
            mailNotes.get(postId) ??
            (mail?.mailed === false && mail.reason === 'already-recorded'
              ? 'not mailed again (one newsletter per post, ever)'
              : mail?.mailed === false
                ? `not mailed (${mail.reason})`
                : undefined);
          mailNotes.delete(postId);
          out(`published ${key}${note ? `; ${note}` : ''}`);
        } else if (message === 'post unpublished')
          out(`unpublished ${key} (its page and feed entries are gone)`);
        else if (message === 'post scheduled')
          out(`scheduled ${key} for ${String(context.at)}; it is published and mailed then`);
      },
      warn(message, context) {
        err(`publish: ${message} ${compact(context)}`);
      },
      error(message, context) {
        if (message === 'invalid content') {
          const key = String(context.key);
          const problems = (context.problems as { text: string }[] | undefined) ?? [];
          failedKeys.set(key, problems[0]?.text ?? 'invalid');
          reportOnce(key, [
            `${key} was not published; fix it and save again (everything else keeps running):`,
            ...problems.map((p) => `  ${p.text}`),
          ]);
          return;
        }
        const error = String(context.error ?? '');
        if (message === 'publish failed' && error.startsWith('ContentError')) return;
        reportOnce(`${message}:${error}`, [
          `publish: ${message}: ${error || compact(context)}`,
          '  If this keeps happening, the local data may be damaged: `herald dev --reset` starts fresh.',
        ]);
      },
    };
    let publish: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;
    const contentQueue = createLocalDeliveryQueue({
      handler: async (event) => {
        const result = await (publish as (event: SQSEvent) => Promise<SQSBatchResponse>)(event);
        const failed = new Set((result.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const record of event.Records) {
          if (!failed.has(record.messageId)) continue;
          if (Number(record.attributes.ApproximateReceiveCount) < CONTENT_MAX_RECEIVES) continue;
          let key = record.body.slice(0, 80);
          try {
            const body = JSON.parse(record.body) as {
              key?: string;
              Records?: { s3: { object: { key: string } } }[];
            };
            key = body.key ?? decodeS3Key(body.Records?.[0]?.s3.object.key ?? key);
          } catch {
            // Keep the raw excerpt.
          }
          err(
            `gave up on ${key} after ${CONTENT_MAX_RECEIVES} attempts (it is in the dead-letter list); saving the file again retries it.`,
          );
        }
        return result;
      },
      batchSize: 1,
      concurrency: 1,
      visibilityTimeoutMs: 500,
      maxReceiveCount: CONTENT_MAX_RECEIVES,
      queueArn: 'arn:aws:sqs:local:000000000000:herald-content-events',
      onError: queueError('publish'),
    });
    const scheduler = createTimerScheduler({
      deliver: (body) => contentQueue.enqueue([{ body }]),
      now,
      onError: queueError('scheduler'),
    });
    const publishDeps = createPublishWiring({
      s3: s3.client,
      dynamo,
      contentBucket: BUCKETS.content,
      siteBucket: BUCKETS.site,
      campaignTable: TABLES.campaigns,
      subscriberTable: TABLES.subscribers,
      templatesDir,
      scheduler,
      fanoutQueue: fanoutWithProgress,
      siteUrl: `${origin}${baseurl}`,
      now,
      log: publishLog,
    });
    publish = createPublishHandler({ ...publishDeps, content: withLocalOrigin(publishDeps.content, origin) });
    contentQueue.start();
    stops.push(
      () => contentQueue.stop(),
      () => scheduler.stop(),
    );
    const disconnect = notifyQueue(
      s3,
      contentNotificationFilter(BUCKETS.content),
      contentQueue,
      queueError('S3 notification'),
    );
    stops.push(disconnect);

    // Subscriptions: the HTTP API routes, behind the same server as the site.
    const fromAddress = site?.newsletter.fromAddress ?? FALLBACK.fromAddress;
    const fromName = site?.newsletter.fromName ?? FALLBACK.fromName;
    const subscriptionLogger: LoggerLike = {
      info: () => undefined,
      warn: (message: unknown, ...extra: unknown[]) =>
        err(`subscriptions: ${String(message)} ${compact({ extra })}`),
      error: (message: unknown, ...extra: unknown[]) =>
        err(`subscriptions: ${String(message)} ${compact({ extra })}`),
    };
    const subscriptionDeps = await createLocalSubscriptionDeps({
      dynamoEndpoint: dynamoService.endpoint,
      sesEndpoint: ses.endpoint,
      tableName: TABLES.subscribers,
      siteUrl: `${origin}${baseurl}`,
      keys: tokenKeys,
      siteTitle: site?.title ?? FALLBACK.title,
      fromAddress,
      fromName,
      templatesDir,
      topics: site?.newsletter.topics ?? [],
      now,
      logger: subscriptionLogger,
    });
    subscriptionDeps.mailer = withMailerOutbox(subscriptionDeps.mailer, outbox, {
      from: { name: fromName, address: fromAddress },
      now,
    });
    handle = createSiteListener({
      client: s3.client,
      bucket: BUCKETS.site,
      routes: subscriptionRoutes(subscriptionDeps),
      baseurl: () => baseurl,
    });
    const subscribers = createSubscriberStore({ client: dynamo, tableName: TABLES.subscribers });

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
    quiet = false;

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
      onError: queueError('progress'),
    });
    stops.push(() => progress?.stop());
    // Something may have been mailed by the first sync (a new post added while stopped).
    progress.wake();

    let watcher: ContentWatcher | undefined;
    if (options.watch ?? true) {
      watcher = mirror.watch({
        debounceMs: options.debounceMs ?? 150,
        onError: (error) => err(`watching ${contentDirArg}: ${(error as Error).message}`),
      });
      stops.push(() => watcher?.close());
    }

    // The scheduled reconciler (EventBridge on AWS): settles recipients left over by a crash.
    const reconcile = createReconcileHandler({
      deps: wiring.reconcileDeps,
      listCampaigns: () => campaigns.list(),
      log: deliveryLog,
    });
    const runReconcile = () => {
      void reconcile({}).catch(queueError('reconcile'));
    };
    const reconcileTimer = setInterval(runReconcile, options.reconcileEveryMs ?? 5 * 60_000);
    reconcileTimer.unref();
    stops.push(() => clearInterval(reconcileTimer));

    const [index, records, confirmed, topicCounts] = await Promise.all([
      createS3SiteStore({ client: s3.client, bucket: BUCKETS.site }).readIndex(),
      campaigns.list(),
      wiring.audience.countConfirmed(now()),
      countTopics(wiring.audience.topics, site?.newsletter.topics ?? []),
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
      failed: failedKeys.size,
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
      endpoints: { dynamo: dynamoService.endpoint, s3: s3.endpoint, ses: ses.endpoint },
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
