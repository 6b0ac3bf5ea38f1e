/**
 * S3 for the local runtime: s3rver in-process on a free port, its data on disk (so the site and the
 * content survive a restart), and the bucket's event notifications delivered the way AWS does —
 * S3 → SQS (a local queue with retries and a dead-letter list) → the subscribed handler.
 *
 * s3rver emits an S3 event for every Put/Post/Copy/Delete. We rebuild it into the notification AWS
 * would send: keys URL-encoded with `+` for spaces, the local region, and only for the prefixes and
 * suffixes the bucket is configured to notify (as `infra/constructs/content.ts` sets up).
 */
import { mkdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { SendQueue } from '../adapters/send-queue.ts';
import { localS3Client } from './s3-server.ts';

const REGION = 'eu-central-1';

/** The local S3 data folder cannot be used. */
export class LocalS3Error extends Error {
  override name = 'LocalS3Error';
}

/** Which keys of a bucket notify (one rule per prefix × suffix, like `addEventNotification`). */
export interface NotificationFilter {
  bucket: string;
  prefixes: readonly string[];
  suffixes: readonly string[];
}

/** The content bucket's notification rules on AWS; `drafts` (`herald dev --drafts`) adds `_drafts/`. */
export function contentNotificationFilter(
  bucket: string,
  options: { drafts?: boolean } = {},
): NotificationFilter {
  const prefixes = ['posts/', '_posts/', ...(options.drafts ? ['_drafts/'] : [])];
  return { bucket, prefixes, suffixes: ['.md', '.markdown'] };
}

/** A running s3rver. */
export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  /** Subscribes to raw s3rver events; returns an unsubscribe function. */
  onEvent(listener: (event: S3Event) => void): () => void;
  stop(): Promise<void>;
}

interface S3rverLike {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: S3Event) => void): void;
  off(event: 'event', listener: (event: S3Event) => void): void;
}

/**
 * Starts s3rver with `buckets` created (existing data kept) under `dir`.
 *
 * @throws LocalS3Error when `dir` is not a usable folder.
 */
export async function startLocalS3(options: {
  dir: string;
  buckets: readonly string[];
  host?: string;
  port?: number;
}): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  try {
    await mkdir(options.dir, { recursive: true });
    const info = await stat(options.dir);
    if (!info.isDirectory()) throw new Error('not a folder');
  } catch (error) {
    throw new LocalS3Error(`${options.dir}: cannot use it for local S3 data (${(error as Error).message})`, {
      cause: error,
    });
  }
  const { default: S3rver } = (await import('s3rver')) as unknown as {
    default: new (options: Record<string, unknown>) => S3rverLike;
  };
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory: options.dir,
    configureBuckets: options.buckets.map((name) => ({ name })),
    // AWS SDK v3 sends path-style requests to a custom endpoint; no vhost guessing from Host.
    vhostBuckets: false,
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    throw new LocalS3Error(`${options.dir}: local S3 could not start (${(error as Error).message})`, {
      cause: error,
    });
  }
  const endpoint = `http://${host}:${address.port}`;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    client,
    onEvent(listener) {
      server.on('event', listener);
      return () => server.off('event', listener);
    },
    async stop() {
      client.destroy();
      await server.close().catch(() => undefined);
    },
  };
}

/** URL-encodes a key as S3 notifications do (`application/x-www-form-urlencoded`, `/` kept). */
export function encodeNotificationKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

function matches(filter: NotificationFilter, bucket: string, key: string): boolean {
  return (
    bucket === filter.bucket &&
    filter.prefixes.some((p) => key.startsWith(p)) &&
    filter.suffixes.some((s) => key.endsWith(s))
  );
}

/**
 * Rebuilds an s3rver event into what AWS would deliver for `filter`, or undefined when the bucket
 * is not configured to notify for that key. s3rver gives the key decoded; AWS encodes it.
 */
export function toNotification(
  event: S3Event,
  filter: NotificationFilter,
  region = REGION,
): S3Event | undefined {
  const records: S3EventRecord[] = [];
  for (const record of event.Records ?? []) {
    const key = record.s3.object.key;
    if (!matches(filter, record.s3.bucket.name, key)) continue;
    records.push({
      ...record,
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      s3: {
        ...record.s3,
        configurationId: 'herald-local',
        bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
        object: { ...record.s3.object, key: encodeNotificationKey(key) },
      },
    });
  }
  return records.length > 0 ? { Records: records } : undefined;
}

/**
 * Connects a bucket's notifications to a queue (S3 → SQS), one message per notification, as AWS
 * does. Returns the function that disconnects it.
 */
export function notifyQueue(
  s3: Pick<LocalS3, 'onEvent'>,
  filter: NotificationFilter,
  queue: SendQueue,
  onError?: (error: unknown) => void,
): () => void {
  return s3.onEvent((event) => {
    const notification = toNotification(event, filter);
    if (!notification) return;
    queue.enqueue([{ body: JSON.stringify(notification) }]).catch((error: unknown) => onError?.(error));
  });
}
