/**
 * Builds the whole delivery pipeline against the local services: fresh campaign and subscriber
 * tables in dynalite, subscribers seeded with BatchWrite, the throttling SES stand-in (or
 * aws-ses-v2-local), and the in-process fan-out and delivery queues wired to the real handlers.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { campaignTableDefinition } from '../../../functions/adapters/campaign-store.ts';
import { createSesSendClient } from '../../../functions/adapters/ses-raw-sender.ts';
import { createSubscriberStore, type SubscriberStore } from '../../../functions/adapters/subscriber-store.ts';
import { createSendBatch, type RawSender } from '../../../functions/app/send-batch.ts';
import { startCampaign } from '../../../functions/app/start-campaign.ts';
import type { CampaignDelivery } from '../../../functions/core/campaign.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { SendQuota } from '../../../functions/core/pacing.ts';
import { PLACEHOLDERS, type RenderedEmail } from '../../../functions/core/personalize.ts';
import { createFanoutHandler } from '../../../functions/handlers/fanout.ts';
import { createSendHandler } from '../../../functions/handlers/send.ts';
import {
  createLocalDeliveryQueue,
  type LocalDeliveryQueue,
} from '../../../functions/local/delivery-queue.ts';
import { createSubscriberTable, localDynamoClient } from '../../../functions/local/services.ts';
import { createDeliveryWiring, type DeliveryWiring } from '../../../functions/wiring/delivery-deps.ts';
import { clockFrom } from '../../support/clock.ts';

export const TOKEN_KEYS = { currentKeyId: 'k1', keys: { k1: Buffer.alloc(32, 9).toString('base64') } };
export const SITE_URL = 'https://recaps.test';

/** A seeded subscriber. */
export interface Seeded {
  id: string;
  email: string;
  addressHash: string;
}

/** A small rendered email with every placeholder. */
export function makeRenderedEmail(postId: string): RenderedEmail {
  return {
    postId,
    subject: 'Pi Day Meetup',
    preheader: 'We met on Pi Day.',
    html: `<html><body><p>${PLACEHOLDERS.greeting}</p><p>We met on Pi Day and talked about serving models.</p><p><a href="${PLACEHOLDERS.viewUrl}">View in browser</a> · <a href="${PLACEHOLDERS.unsubscribeUrl}">Unsubscribe</a> · sent to ${PLACEHOLDERS.email}</p></body></html>`,
    text: `${PLACEHOLDERS.greeting}\n\nWe met on Pi Day and talked about serving models.\n\nView in browser: ${PLACEHOLDERS.viewUrl}\nUnsubscribe: ${PLACEHOLDERS.unsubscribeUrl}\nSent to ${PLACEHOLDERS.email}\n`,
    excerpted: false,
    htmlBytes: 300,
  };
}

export function makeDelivery(postId: string): CampaignDelivery {
  return {
    postUrl: `${SITE_URL}/2026/03/14/${postId}.html`,
    siteUrl: SITE_URL,
    from: { name: 'Test Meetups', address: 'news@recaps.test' },
    unsubscribeMailto: 'unsubscribe@recaps.test',
  };
}

/** Creates fresh campaign and subscriber tables with unique names. */
export async function freshTables(
  dynamo: DynamoDBClient,
): Promise<{ campaignTable: string; subscriberTable: string }> {
  const suffix = randomUUID().slice(0, 8);
  const campaignTable = `campaigns-${suffix}`;
  const subscriberTable = `subscribers-${suffix}`;
  await dynamo.send(new CreateTableCommand(campaignTableDefinition(campaignTable)));
  await createSubscriberTable(dynamo, subscriberTable);
  return { campaignTable, subscriberTable };
}

/**
 * Seeds `count` confirmed subscribers straight into the table (BatchWrite, the subscriber store's
 * item shape), confirmed one second apart ending at `confirmedBy`.
 */
export async function seedSubscribers(
  dynamo: DynamoDBClient,
  tableName: string,
  count: number,
  confirmedBy: Date,
  prefix = 'reader',
): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(6, '0')}`;
    const email = `${id}@example.com`;
    const hash = addressHash(email);
    const confirmedAt = new Date(confirmedBy.getTime() - (count - i) * 1000).toISOString();
    seeded.push({ id, email, addressHash: hash });
    items.push({
      pk: `ADDRESS#${hash}`,
      sk: 'SUBSCRIBER',
      gsi1pk: 'CONFIRMED',
      gsi1sk: `${confirmedAt}#${id}`,
      gsi2pk: `ID#${id}`,
      id,
      email,
      addressHash: hash,
      status: 'confirmed',
      createdAt: confirmedAt,
      updatedAt: confirmedAt,
      confirmedAt,
      softBounces: 0,
      consent: { at: confirmedAt, source: 'seed', method: 'import', textVersion: '1', confirmedAt },
      version: 1,
    });
  }
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  // A few writers at once: dynalite is single-threaded, more only queue up.
  let next = 0;
  const doc = DynamoDBDocumentClient.from(dynamo);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < chunks.length) {
        let requests = (chunks[next++] ?? []).map((item) => ({ PutRequest: { Item: item } }));
        while (requests.length > 0) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    }),
  );
  return seeded;
}

/** Unsubscribes one seeded subscriber the way the subscription handlers would. */
export async function unsubscribe(store: SubscriberStore, hash: string, at: Date): Promise<void> {
  const record = await store.findByAddressHash(hash);
  if (!record || 'kind' in record) throw new Error(`no subscriber ${hash}`);
  const result = await store.save({
    ...record,
    status: 'unsubscribed',
    unsubscribedAt: at,
    updatedAt: at,
    version: record.version + 1,
  });
  if (result !== 'saved') throw new Error('unsubscribe conflicted');
}

/** Options for {@link createPipeline}. */
export interface PipelineOptions {
  sesEndpoint: string;
  quota?: SendQuota;
  /** Wraps the SES sender (fault injection). */
  wrapSender?: (sender: RawSender) => RawSender;
  /** Wraps the wiring's send deps before the handler is built (fault injection). */
  wrapWiring?: (wiring: DeliveryWiring) => DeliveryWiring;
  concurrency?: number;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  maxDepth?: number;
  now?: () => Date;
  random?: () => number;
  backoffBaseMs?: number;
  configurationSetName?: string;
}

/** The running pipeline. */
export interface Pipeline {
  dynamo: DynamoDBClient;
  tables: { campaignTable: string; subscriberTable: string };
  wiring: DeliveryWiring;
  subscriberStore: SubscriberStore;
  fanoutQueue: LocalDeliveryQueue;
  deliveryQueue: LocalDeliveryQueue;
  errors: unknown[];
  logs: { level: 'warn' | 'error'; message: string; context: Record<string, unknown> }[];
  /** The clock every component reads: `options.now`, or a fixed date advancing in real time. */
  now: () => Date;
  start(postId: string, now?: Date): ReturnType<typeof startCampaign>;
  /** Waits until both queues are idle. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const now = options.now ?? clockFrom('2026-12-02T10:00:00Z');
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tables = await freshTables(dynamo);
  const logs: Pipeline['logs'] = [];
  const errors: unknown[] = [];
  const log = {
    warn: (message: string, context: Record<string, unknown>) =>
      logs.push({ level: 'warn', message, context }),
    error: (message: string, context: Record<string, unknown>) =>
      logs.push({ level: 'error', message, context }),
  };
  const ses = createSesSendClient({
    endpoint: options.sesEndpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let wiring: DeliveryWiring | undefined;
  const fanoutQueue = createLocalDeliveryQueue({
    handler: (event) =>
      createFanoutHandler({ deps: (remaining) => (wiring as DeliveryWiring).fanoutDeps(remaining), log })(
        event,
      ),
    batchSize: 1,
    concurrency: 1,
    visibilityTimeoutMs: 50,
    onError: (error) => errors.push(error),
  });
  let sendHandler: ReturnType<typeof createSendHandler> | undefined;
  const deliveryQueue = createLocalDeliveryQueue({
    handler: (event) => (sendHandler as ReturnType<typeof createSendHandler>)(event),
    concurrency: options.concurrency ?? 4,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 50,
    maxReceiveCount: options.maxReceiveCount ?? 10,
    ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}),
    delayMs: () => 20,
    onError: (error) => errors.push(error),
  });
  const base = createDeliveryWiring({
    dynamo,
    ...tables,
    ses,
    ...(options.configurationSetName ? { configurationSetName: options.configurationSetName } : {}),
    deliveryQueue,
    fanoutQueue,
    tokenKeys: TOKEN_KEYS,
    quota: options.quota ?? { maxSendRate: 2000, max24HourSend: 1_000_000, sentLast24Hours: 0 },
    log,
    now,
    ...(options.random ? { random: options.random } : {}),
    send: { backoffBaseMs: options.backoffBaseMs ?? 5, backoffCapMs: 200 },
    rateScope: `ses-${tables.campaignTable}`,
  });
  wiring = base;
  if (options.wrapSender)
    wiring = {
      ...wiring,
      sendDeps: { ...wiring.sendDeps, sender: options.wrapSender(wiring.sendDeps.sender) },
    };
  if (options.wrapWiring) wiring = options.wrapWiring(wiring);
  // The handler must use the (possibly wrapped) ports.
  if (wiring !== base) wiring = { ...wiring, sendBatch: createSendBatch(wiring.sendDeps) };
  sendHandler = createSendHandler({ sendBatch: wiring.sendBatch, log });
  fanoutQueue.start();
  deliveryQueue.start();
  const built = wiring;
  return {
    dynamo,
    tables,
    wiring: built,
    subscriberStore: createSubscriberStore({ client: dynamo, tableName: tables.subscriberTable }),
    fanoutQueue,
    deliveryQueue,
    errors,
    logs,
    now,
    start: (postId, at = now()) =>
      startCampaign(built.startDeps, {
        postId,
        email: makeRenderedEmail(postId),
        delivery: makeDelivery(postId),
        now: at,
      }),
    async settle() {
      for (let i = 0; i < 1000; i++) {
        await fanoutQueue.idle();
        await deliveryQueue.idle();
        const f = fanoutQueue.stats();
        const d = deliveryQueue.stats();
        if (f.waiting + f.delayed + f.inFlight + d.waiting + d.delayed + d.inFlight === 0) return;
      }
    },
    async stop() {
      await fanoutQueue.stop();
      await deliveryQueue.stop();
    },
  };
}
