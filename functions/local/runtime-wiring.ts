/**
 * The local cloud's wiring: the same handlers that run in Lambda, behind in-process SQS queues
 * (with retries and dead-letter lists), a timer scheduler (EventBridge Scheduler), S3 notifications
 * from s3rver, and one HTTP listener in front of the site bucket and the subscription API
 * (CloudFront and API Gateway). Wiring only: every decision is made by the use cases.
 *
 * Flow, as on AWS: content bucket → S3 notifications → content queue → `publish` (site into the
 * site bucket, campaign start) → fan-out queue → `fanout` → delivery queue → `send` → local SES
 * (and an `.eml` copy in the outbox).
 */

import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createTimerScheduler, type TimerScheduler } from '../adapters/publish-scheduler.ts';
import type { SendQueue } from '../adapters/send-queue.ts';
import { createSesRawSender, createSesSendClient } from '../adapters/ses-raw-sender.ts';
import type { PostSource } from '../app/ports.ts';
import { decodeS3Key } from '../app/publish-post.ts';
import { SEND_CONCURRENCY } from '../core/pacing.ts';
import type { Topic } from '../core/topics.ts';
import { createFanoutHandler } from '../handlers/fanout.ts';
import { createPublishHandler } from '../handlers/publish.ts';
import { createReconcileHandler } from '../handlers/reconcile.ts';
import { createSendHandler } from '../handlers/send.ts';
import { createDeliveryWiring, type DeliveryWiring } from '../wiring/delivery-deps.ts';
import { createPublishWiring } from '../wiring/publish-deps.ts';
import { createLocalDeliveryQueue, type LocalDeliveryQueue } from './delivery-queue.ts';
import { type createOutbox, withMailerOutbox, withOutbox } from './outbox.ts';
import type { MailingProgress } from './progress.ts';
import type { RuntimeReporter } from './runtime-reporter.ts';
import type { LocalServices } from './runtime-services.ts';
import { BUCKETS, TABLES } from './runtime-services.ts';
import { contentNotificationFilter, notifyQueue } from './s3.ts';
import { createSiteListener } from './site-server.ts';
import { createLocalSubscriptionDeps, subscriptionRoutes } from './subscriptions.ts';

const CONTENT_MAX_RECEIVES = 3;
const FALLBACK = { title: 'Herald', fromAddress: 'recaps@herald.test', fromName: 'Herald' };

/** What the wiring is built from. */
export interface LocalWiringOptions {
  services: LocalServices;
  reporter: RuntimeReporter;
  outbox: ReturnType<typeof createOutbox>;
  /** `http://localhost:3000` */
  origin: string;
  baseurl: string;
  site:
    | { title: string; newsletter: { fromAddress: string; fromName: string; topics?: Topic[] } }
    | undefined;
  templatesDir: string;
  /** The local SES's maximum send rate (messages per second). */
  sendRate: number;
  now: () => Date;
  /** Receives the stop of each part, in start order. */
  onStop(stop: () => Promise<void> | void): void;
  /** The mailing progress display, once there is one: woken when a fan-out starts. */
  progress(): MailingProgress | undefined;
  /** `herald dev --drafts`: a Jekyll site's `_drafts/` are published too, as `jekyll serve --drafts` does. */
  drafts?: boolean;
}

/** The wired local cloud. */
export interface LocalWiring {
  delivery: DeliveryWiring;
  queues: { content: LocalDeliveryQueue; fanout: LocalDeliveryQueue; delivery: LocalDeliveryQueue };
  scheduler: TimerScheduler;
  /** The HTTP listener: the site bucket and `/api/*`. */
  listener: ReturnType<typeof createSiteListener>;
  /** The scheduled reconciler's one run; `staleAfterMinutes` overrides its 15-minute staleness. */
  reconcile(event?: { staleAfterMinutes?: number }): Promise<unknown>;
}

/**
 * Publish reads the site config through this: the local origin replaces `url`, as `jekyll serve` does,
 * and `--drafts` turns a Jekyll site's `show_drafts` on.
 */
function withLocalOrigin(content: PostSource, origin: string, drafts = false): PostSource {
  return {
    ...content,
    async loadSite() {
      const loaded = await content.loadSite();
      const jekyll = loaded.jekyll && drafts ? { jekyll: { ...loaded.jekyll, showDrafts: true } } : {};
      return { ...loaded, site: { ...loaded.site, url: origin }, ...jekyll };
    },
  };
}

/** Wires every handler to the local services. */
export async function wireLocalCloud(options: LocalWiringOptions): Promise<LocalWiring> {
  const { services, reporter, outbox, origin, baseurl, now } = options;
  const { dynamo, s3, ses, tokenKeys } = services;

  // Delivery: fan-out and send handlers behind local SQS queues.
  let sendHandler: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;
  let delivery: DeliveryWiring | undefined;
  const deliveryQueue = createLocalDeliveryQueue({
    handler: (event) => (sendHandler as (event: SQSEvent) => Promise<SQSBatchResponse>)(event),
    concurrency: SEND_CONCURRENCY.local,
    visibilityTimeoutMs: 1000,
    maxDepth: 5000,
    queueArn: 'arn:aws:sqs:local:000000000000:herald-delivery',
    onError: reporter.failure('send'),
  });
  const fanoutQueue = createLocalDeliveryQueue({
    handler: (event) =>
      createFanoutHandler({
        deps: (remaining) => (delivery as DeliveryWiring).fanoutDeps(remaining),
        log: reporter.deliveryLog,
      })(event),
    batchSize: 1,
    concurrency: 1,
    visibilityTimeoutMs: 1000,
    queueArn: 'arn:aws:sqs:local:000000000000:herald-fanout',
    onError: reporter.failure('fan-out'),
  });
  // Starting a fan-out is when a mailing begins: wake the progress display.
  const fanoutWithProgress: SendQueue = {
    async enqueue(messages) {
      await fanoutQueue.enqueue(messages);
      options.progress()?.wake();
    },
  };
  const ses2 = createSesSendClient({
    endpoint: ses.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  delivery = createDeliveryWiring({
    dynamo,
    campaignTable: TABLES.campaigns,
    subscriberTable: TABLES.subscribers,
    ses: ses2,
    deliveryQueue,
    fanoutQueue: fanoutWithProgress,
    tokenKeys,
    quota: { maxSendRate: options.sendRate, max24HourSend: 1_000_000_000, sentLast24Hours: 0 },
    sender: withOutbox(createSesRawSender({ client: ses2 }), outbox),
    log: reporter.deliveryLog,
    now,
    rateScope: 'local-ses',
  });
  sendHandler = createSendHandler({ sendBatch: delivery.sendBatch, log: reporter.deliveryLog });
  fanoutQueue.start();
  deliveryQueue.start();
  options.onStop(() => fanoutQueue.stop());
  options.onStop(() => deliveryQueue.stop());

  // Publish: S3 notifications → content queue → publish handler (one at a time, as on AWS).
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
        reporter.gaveUp(key, CONTENT_MAX_RECEIVES);
      }
      return result;
    },
    batchSize: 1,
    concurrency: 1,
    visibilityTimeoutMs: 500,
    maxReceiveCount: CONTENT_MAX_RECEIVES,
    queueArn: 'arn:aws:sqs:local:000000000000:herald-content-events',
    onError: reporter.failure('publish'),
  });
  const scheduler = createTimerScheduler({
    deliver: (body) => contentQueue.enqueue([{ body }]),
    now,
    onError: reporter.failure('scheduler'),
  });
  const publishDeps = createPublishWiring({
    s3: s3.client,
    dynamo,
    contentBucket: BUCKETS.content,
    siteBucket: BUCKETS.site,
    stateBucket: BUCKETS.state,
    campaignTable: TABLES.campaigns,
    subscriberTable: TABLES.subscribers,
    templatesDir: options.templatesDir,
    scheduler,
    fanoutQueue: fanoutWithProgress,
    siteUrl: `${origin}${baseurl}`,
    now,
    log: reporter.publishLog,
  });
  publish = createPublishHandler(
    { ...publishDeps, content: withLocalOrigin(publishDeps.content, origin, options.drafts) },
    reporter.publish,
  );
  contentQueue.start();
  options.onStop(() => contentQueue.stop());
  options.onStop(() => scheduler.stop());
  options.onStop(
    notifyQueue(
      s3,
      contentNotificationFilter(BUCKETS.content, { drafts: options.drafts === true }),
      contentQueue,
      reporter.failure('S3 notification'),
    ),
  );

  // Subscriptions: the HTTP API routes, behind the same listener as the site.
  const fromAddress = options.site?.newsletter.fromAddress ?? FALLBACK.fromAddress;
  const fromName = options.site?.newsletter.fromName ?? FALLBACK.fromName;
  const subscriptionDeps = await createLocalSubscriptionDeps({
    dynamoEndpoint: services.dynamoEndpoint,
    sesEndpoint: ses.endpoint,
    tableName: TABLES.subscribers,
    siteUrl: `${origin}${baseurl}`,
    keys: tokenKeys,
    siteTitle: options.site?.title ?? FALLBACK.title,
    fromAddress,
    fromName,
    templatesDir: options.templatesDir,
    topics: options.site?.newsletter.topics ?? [],
    now,
    logger: reporter.subscriptionLogger,
  });
  subscriptionDeps.mailer = withMailerOutbox(subscriptionDeps.mailer, outbox, {
    from: { name: fromName, address: fromAddress },
    now,
  });
  options.onStop(() => subscriptionDeps.confirmationQueue.stop());
  const listener = createSiteListener({
    client: s3.client,
    bucket: BUCKETS.site,
    routes: subscriptionRoutes(subscriptionDeps),
    baseurl: () => baseurl,
  });

  // The scheduled reconciler (EventBridge on AWS): settles recipients left over by a crash.
  const reconcileHandler = createReconcileHandler({
    deps: delivery.reconcileDeps,
    listCampaigns: () => (delivery as DeliveryWiring).store.list(),
    log: reporter.deliveryLog,
  });

  return {
    delivery,
    queues: { content: contentQueue, fanout: fanoutQueue, delivery: deliveryQueue },
    scheduler,
    listener,
    reconcile: (event = {}) => reconcileHandler(event),
  };
}
