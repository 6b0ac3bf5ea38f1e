/**
 * The publish handler against s3rver and dynalite: fresh content and site buckets, fresh campaign
 * and subscriber tables, a recording fan-out queue, the in-process timer scheduler driven by a
 * settable clock, and helpers to upload, remove and read back.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import {
  type CampaignStore,
  campaignTableDefinition,
  createCampaignStore,
} from '../../../functions/adapters/campaign-store.ts';
import { createTimerScheduler, type TimerScheduler } from '../../../functions/adapters/publish-scheduler.ts';
import { createIoCounter } from '../../../functions/adapters/s3-site.ts';
import type { IoCounter } from '../../../functions/app/ports.ts';
import type { PublishDeps } from '../../../functions/app/publish-post.ts';
import { DEFAULT_TEMPLATES_DIR } from '../../../functions/cli/build.ts';
import type { CampaignRecord } from '../../../functions/core/campaign.ts';
import { createPublishHandler, type PublishHandler } from '../../../functions/handlers/publish.ts';
import { createLocalBucket, localS3Client } from '../../../functions/local/s3-server.ts';
import { createSubscriberTable, localDynamoClient } from '../../../functions/local/services.ts';
import { createPublishWiring } from '../../../functions/wiring/publish-deps.ts';

/** A captured log line. */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  context: Record<string, unknown>;
}

/** Everything a publish test needs. */
export interface PublishHarness {
  s3: S3Client;
  contentBucket: string;
  siteBucket: string;
  stateBucket: string;
  deps: PublishDeps;
  handler: PublishHandler;
  scheduler: TimerScheduler;
  campaigns: CampaignStore;
  counter: IoCounter;
  logs: LogLine[];
  fanout: string[];
  /** Sets the clock every component reads. */
  setNow(at: Date): void;
  upload(key: string, body: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** An SQS event whose one record carries an S3 notification for `key` (URL-encoded as S3 does). */
  s3Event(eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete', key: string): SQSEvent;
  /** Uploads and delivers the Created event. */
  publish(key: string, body: string): ReturnType<PublishHandler>;
  /** Removes and delivers the Removed event. */
  unpublish(key: string): ReturnType<PublishHandler>;
  /** Every object in the site bucket, by site path. */
  siteFiles(): Promise<Map<string, Buffer>>;
  siteObject(
    path: string,
  ): Promise<{ body: string; contentType?: string; cacheControl?: string } | undefined>;
  campaignList(): Promise<CampaignRecord[]>;
}

/** Encodes a key the way S3 event notifications do (`+` for spaces). */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** Copies a Herald content folder's site.yml and posts into the harness's content bucket (not published). */
export async function uploadContentFolder(h: PublishHarness, dir: string): Promise<string[]> {
  await h.upload('site.yml', await readFile(join(dir, 'site.yml'), 'utf8'));
  const keys: string[] = [];
  for (const name of (await readdir(join(dir, 'posts'))).sort()) {
    const key = relative(dir, join(dir, 'posts', name));
    await h.upload(key, await readFile(join(dir, 'posts', name), 'utf8'));
    keys.push(key);
  }
  return keys;
}

/** Builds a harness with fresh buckets and tables. */
export async function createPublishHarness(options: {
  now: Date;
  templatesDir?: string;
}): Promise<PublishHarness> {
  const s3 = localS3Client(inject('s3Endpoint'));
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const suffix = randomUUID().slice(0, 8);
  const contentBucket = `content-${suffix}`;
  const siteBucket = `site-${suffix}`;
  const stateBucket = `state-${suffix}`;
  const campaignTable = `campaigns-${suffix}`;
  const subscriberTable = `subscribers-${suffix}`;
  await Promise.all([
    createLocalBucket(s3, contentBucket),
    createLocalBucket(s3, siteBucket),
    createLocalBucket(s3, stateBucket),
  ]);
  await dynamo.send(new CreateTableCommand(campaignTableDefinition(campaignTable)));
  await createSubscriberTable(dynamo, subscriberTable);

  let now = options.now;
  const clock = () => now;
  const logs: LogLine[] = [];
  const fanout: string[] = [];
  const counter = createIoCounter();
  const log = {
    info: (message: string, context: Record<string, unknown>) =>
      logs.push({ level: 'info', message, context }),
    warn: (message: string, context: Record<string, unknown>) =>
      logs.push({ level: 'warn', message, context }),
    error: (message: string, context: Record<string, unknown>) =>
      logs.push({ level: 'error', message, context }),
  };
  let handler: PublishHandler | undefined;
  const scheduler = createTimerScheduler({
    timers: false,
    now: clock,
    deliver: async (body) => {
      const out = await (handler as PublishHandler)(sqsEvent(body));
      if (out.batchItemFailures.length > 0) throw new Error('scheduled publish failed');
    },
  });
  const deps = createPublishWiring({
    s3,
    dynamo,
    contentBucket,
    siteBucket,
    stateBucket,
    campaignTable,
    subscriberTable,
    templatesDir: options.templatesDir ?? DEFAULT_TEMPLATES_DIR,
    scheduler,
    fanoutQueue: {
      enqueue: async (messages) => {
        for (const m of messages) fanout.push((JSON.parse(m.body) as { postId: string }).postId);
      },
    },
    now: clock,
    log,
    counter,
  });
  handler = createPublishHandler(deps);
  const campaigns = createCampaignStore({ client: dynamo, tableName: campaignTable });

  const s3Event = (eventName: string, key: string): SQSEvent =>
    sqsEvent(
      JSON.stringify({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName,
            s3: { bucket: { name: contentBucket }, object: { key: encodeS3Key(key) } },
          },
        ],
      }),
    );

  const h: PublishHarness = {
    s3,
    contentBucket,
    siteBucket,
    stateBucket,
    deps,
    handler,
    scheduler,
    campaigns,
    counter,
    logs,
    fanout,
    setNow: (at) => {
      now = at;
    },
    upload: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: contentBucket, Key: key, Body: body }));
    },
    remove: async (key) => {
      await s3.send(new DeleteObjectCommand({ Bucket: contentBucket, Key: key }));
    },
    s3Event,
    publish: async (key, body) => {
      await h.upload(key, body);
      return (handler as PublishHandler)(s3Event('ObjectCreated:Put', key));
    },
    unpublish: async (key) => {
      await h.remove(key);
      return (handler as PublishHandler)(s3Event('ObjectRemoved:Delete', key));
    },
    siteFiles: async () => {
      const files = new Map<string, Buffer>();
      let token: string | undefined;
      do {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: siteBucket, ContinuationToken: token }));
        for (const item of out.Contents ?? []) {
          if (!item.Key) continue;
          const got = await s3.send(new GetObjectCommand({ Bucket: siteBucket, Key: item.Key }));
          files.set(
            `/${item.Key}`,
            Buffer.from(
              await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
            ),
          );
        }
        token = out.NextContinuationToken;
      } while (token);
      return files;
    },
    siteObject: async (path) => {
      const key = path.replace(/^\//, '');
      try {
        await s3.send(new HeadObjectCommand({ Bucket: siteBucket, Key: key }));
      } catch {
        return undefined;
      }
      const got = await s3.send(new GetObjectCommand({ Bucket: siteBucket, Key: key }));
      return {
        body: await (got.Body as { transformToString(): Promise<string> }).transformToString(),
        ...(got.ContentType ? { contentType: got.ContentType } : {}),
        ...(got.CacheControl ? { cacheControl: got.CacheControl } : {}),
      };
    },
    campaignList: () => campaigns.list(),
  };
  return h;
}

/** Wraps a message body in a one-record SQS event. */
export function sqsEvent(body: string): SQSEvent {
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'local',
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:herald-content',
        awsRegion: 'local',
      },
    ],
  };
}

/** A small valid post. */
export function postSource(options: {
  title: string;
  tags?: string[];
  extra?: string[];
  body?: string;
}): string {
  return [
    '---',
    'layout: post',
    `title: "${options.title}"`,
    'author: "Meetup Organisers"',
    `tags: [${(options.tags ?? ['community']).join(', ')}]`,
    ...(options.extra ?? []),
    '---',
    '',
    options.body ?? `We met for ${options.title} and talked about serving models.`,
    '',
  ].join('\n');
}

/** A site.yml for tests: `extra` lines are appended under `newsletter:`. */
export function siteYaml(newsletter: string[] = []): string {
  return [
    'title: Test Meetups',
    'description: Recaps of test meetups.',
    'url: https://recaps.test',
    'baseurl: ""',
    'language: en',
    'timezone: Europe/Berlin',
    'author:',
    '  name: Meetup Organisers',
    'feed:',
    '  limit: 20',
    'newsletter:',
    '  from_address: news@recaps.test',
    '  from_name: Test Meetups',
    '  postal_address: Example Street 1, 10115 Berlin, Germany',
    ...newsletter.map((line) => `  ${line}`),
    '',
  ].join('\n');
}
