/**
 * Wiring for the `publish` Lambda: environment (validated once, failing with the variable's name),
 * clients and adapters. `createPublishWiring` takes clients and ports, so the local runtime, the
 * tests and the benchmark build the same handler against local services.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createCampaignStore } from '../adapters/campaign-store.ts';
import { createDeliveryAudience } from '../adapters/delivery-audience.ts';
import { createJsonLogger } from '../adapters/json-logger.ts';
import { createEmailRenderer } from '../adapters/mjml-email-renderer.ts';
import { createEventBridgeScheduler } from '../adapters/publish-scheduler.ts';
import { createS3PostSource } from '../adapters/s3-content.ts';
import { createIoCounter, createS3SiteStore } from '../adapters/s3-site.ts';
import { createSqsSendQueue, type SendQueue } from '../adapters/send-queue.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import { loadSiteTemplates } from '../adapters/templates-fs.ts';
import type { EmailRenderer, IoCounter, PublishScheduler } from '../app/ports.ts';
import type { PublishDeps, PublishLog } from '../app/publish-post.ts';
import type { SiteTemplates } from '../core/build-site.ts';
import { environmentError } from './config.ts';

const name3 = z.string().min(3, 'must be at least 3 characters');
const arn = z.string().startsWith('arn:', 'must be an ARN');

const publishEnv = z.object({
  CONTENT_BUCKET: name3,
  SITE_BUCKET: name3,
  /** The post index and fragments (drafts too): a private bucket no CloudFront origin reaches. */
  STATE_BUCKET: name3,
  /** Campaigns and ledger (the delivery table). */
  CAMPAIGN_TABLE_NAME: name3,
  /** Subscribers, for counting the confirmed ones at campaign start. */
  SUBSCRIBER_TABLE_NAME: name3,
  SITE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Holds `site/*` page templates and `newsletter.mjml`. */
  TEMPLATES_DIR: z.string().min(1, 'must not be empty'),
  SCHEDULE_GROUP: z.string().min(1, 'must not be empty'),
  SCHEDULER_ROLE_ARN: arn,
  /** Where schedules of future-dated posts deliver: the content event queue. */
  CONTENT_QUEUE_ARN: arn,
  /** The fan-out queue; `{ postId }` on it starts a campaign's fan-out (as delivery's continuations do). */
  FANOUT_QUEUE_URL: z.url(),
});

/** Validated publish configuration. */
export type PublishConfig = z.infer<typeof publishEnv>;

/** Reads the configuration from `env`. @throws ConfigError naming each bad variable and its value. */
export function loadPublishConfig(env: Record<string, string | undefined>): PublishConfig {
  const parsed = publishEnv.safeParse(env);
  if (!parsed.success) throw environmentError(parsed.error, env, 'publish');
  return parsed.data;
}

/** Clients and ports the publish handler is built from. */
export interface PublishWiringOptions {
  s3: S3Client;
  dynamo: DynamoDBClient;
  contentBucket: string;
  siteBucket: string;
  /** Private state (index, fragments); never the site bucket. */
  stateBucket: string;
  campaignTable: string;
  subscriberTable: string;
  /** Folder with `site/` templates and `newsletter.mjml`. */
  templatesDir: string;
  scheduler: PublishScheduler;
  /** Receives `{ postId }` to start fan-out. */
  fanoutQueue: SendQueue;
  /** Replaces the mjml renderer (tests). */
  emails?: EmailRenderer;
  siteUrl?: string;
  now?: () => Date;
  log: PublishLog;
  counter?: IoCounter;
}

/** Builds the handler's dependencies; templates are read once and kept for the container's life. */
export function createPublishWiring(options: PublishWiringOptions): PublishDeps {
  const counter = options.counter ?? createIoCounter();
  const campaigns = createCampaignStore({ client: options.dynamo, tableName: options.campaignTable });
  const audience = createDeliveryAudience({
    client: options.dynamo,
    tableName: options.subscriberTable,
    store: createSubscriberStore({ client: options.dynamo, tableName: options.subscriberTable }),
  });
  let templates: Promise<SiteTemplates> | undefined;
  return {
    content: createS3PostSource({ client: options.s3, bucket: options.contentBucket, counter }),
    site: createS3SiteStore({
      client: options.s3,
      bucket: options.siteBucket,
      stateBucket: options.stateBucket,
      counter,
    }),
    templates: () => {
      templates ??= loadSiteTemplates(join(options.templatesDir, 'site')).catch((error: unknown) => {
        templates = undefined;
        throw error;
      });
      return templates;
    },
    emails: options.emails ?? createEmailRenderer({ templatesDir: options.templatesDir }),
    delivery: {
      campaigns,
      countConfirmed: (at, only) => audience.countConfirmed(at, only),
      startFanout: (postId) => options.fanoutQueue.enqueue([{ body: JSON.stringify({ postId }) }]),
    },
    scheduler: options.scheduler,
    now: options.now ?? (() => new Date()),
    log: options.log,
    counter,
    contentBucket: options.contentBucket,
    ...(options.siteUrl ? { siteUrl: options.siteUrl } : {}),
  };
}

/** Builds everything for AWS from a validated config (clients take region and credentials from the runtime). */
export function publishWiringFromConfig(config: PublishConfig): PublishDeps {
  const s3 = new S3Client({});
  const log = createJsonLogger({ service: 'herald-publish' });
  return createPublishWiring({
    s3,
    dynamo: new DynamoDBClient({}),
    contentBucket: config.CONTENT_BUCKET,
    siteBucket: config.SITE_BUCKET,
    stateBucket: config.STATE_BUCKET,
    campaignTable: config.CAMPAIGN_TABLE_NAME,
    subscriberTable: config.SUBSCRIBER_TABLE_NAME,
    templatesDir: config.TEMPLATES_DIR,
    scheduler: createEventBridgeScheduler({
      client: new SchedulerClient({}),
      groupName: config.SCHEDULE_GROUP,
      roleArn: config.SCHEDULER_ROLE_ARN,
      queueArn: config.CONTENT_QUEUE_ARN,
    }),
    fanoutQueue: createSqsSendQueue({ client: new SQSClient({}), queueUrl: config.FANOUT_QUEUE_URL }),
    siteUrl: config.SITE_URL,
    log: {
      info: (message, context) => log.info(message, context),
      warn: (message, context) => log.warn(message, context),
      error: (message, context) => log.error(message, context),
    },
  });
}
