/**
 * Wiring for the delivery Lambdas (send, fan-out, reconcile) and for `startCampaign`: one function
 * builds every port from clients, so Lambda, the local runtime, the CLI and the tests share it and
 * differ only in the clients and queues they pass in.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
// zod/mini: the classic build adds ~450 KB to every delivery function's cold start.
import * as z from 'zod/mini';
import { type CampaignStore, createCampaignStore } from '../adapters/campaign-store.ts';
import { createDeliveryAudience, type DeliveryAudience } from '../adapters/delivery-audience.ts';
import { createS3EmailBlobStore, type EmailBlobStore } from '../adapters/email-blob-store.ts';
import { createSqsSendQueue, type SendQueue } from '../adapters/send-queue.ts';
import {
  createSendQuotaSource,
  createSesRawSender,
  createSesSendClient,
} from '../adapters/ses-raw-sender.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, loadTokenKeysSecret } from '../adapters/token-keys.ts';
import type { FanoutDeps } from '../core/fan-out.ts';
import { type PacingOptions, rateWindow, type SendQuota } from '../core/pacing.ts';
import { createRateGate, type RateGate } from '../core/rate-gate.ts';
import type { ReconcileDeps } from '../core/reconcile.ts';
import { createSendBatch, type DeliveryLog, type RawSender, type SendDeps } from '../core/send-batch.ts';
import type { StartCampaignDeps } from '../core/start-campaign.ts';
import type { TokenKeys } from '../core/tokens.ts';
import { environmentError } from './config.ts';

/** Message body on the fan-out queue. */
export const fanoutMessageSchema = z.object({ postId: z.string().check(z.minLength(1), z.maxLength(512)) });

/** Clients and knobs the delivery wiring is built from. */
export interface DeliveryWiringOptions {
  dynamo: DynamoDBClient;
  campaignTable: string;
  subscriberTable: string;
  /** SES client for sending; must not retry on its own (see `createSesSendClient`). */
  ses: SESClient;
  configurationSetName?: string;
  deliveryQueue: SendQueue;
  fanoutQueue: SendQueue;
  tokenKeys: TokenKeys;
  blobs?: EmailBlobStore;
  pacing?: PacingOptions;
  /** Fixed quota instead of asking SES (tests, local runtime). */
  quota?: SendQuota;
  /** Replaces the SES sender (tests inject faults here). */
  sender?: RawSender;
  log: DeliveryLog;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Extra options for the send step (retries, backoff, concurrency). */
  send?: Partial<
    Pick<
      SendDeps,
      | 'maxThrottleRetries'
      | 'backoffBaseMs'
      | 'backoffCapMs'
      | 'concurrency'
      | 'campaignTtlMs'
      | 'dailyQuotaRetryMs'
    >
  >;
  /** Rate-counter scope: one per SES account and region. Default `ses`. */
  rateScope?: string;
}

/** Every port of delivery, built once per process. */
export interface DeliveryWiring {
  store: CampaignStore;
  audience: DeliveryAudience;
  rate: RateGate;
  sendDeps: SendDeps;
  sendBatch: ReturnType<typeof createSendBatch>;
  startDeps: StartCampaignDeps;
  fanoutDeps(remainingMs: () => number): FanoutDeps;
  reconcileDeps: ReconcileDeps;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds every delivery port from clients. */
export function createDeliveryWiring(options: DeliveryWiringOptions): DeliveryWiring {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? sleepReal;
  const store = createCampaignStore({
    client: options.dynamo,
    tableName: options.campaignTable,
    ...(options.blobs ? { blobs: options.blobs } : {}),
  });
  const audience = createDeliveryAudience({
    client: options.dynamo,
    tableName: options.subscriberTable,
    store: createSubscriberStore({ client: options.dynamo, tableName: options.subscriberTable }),
  });
  const quotaSource = options.quota
    ? { get: async () => options.quota as SendQuota }
    : createSendQuotaSource({ client: options.ses, now: () => now().getTime() });
  const rate = createRateGate({
    counter: {
      add: (windowStartMs, n) => store.addToWindow(options.rateScope ?? 'ses', windowStartMs, n, 120),
    },
    window: async () => rateWindow(await quotaSource.get(), options.pacing),
    now: () => now().getTime(),
    sleep,
  });
  const enqueueDelivery = (messages: readonly object[]) =>
    options.deliveryQueue.enqueue(messages.map((m) => ({ body: JSON.stringify(m) })));
  const continueFanout = (postId: string) =>
    options.fanoutQueue.enqueue([{ body: JSON.stringify({ postId }) }]);

  const sendDeps: SendDeps = {
    campaigns: store,
    ledger: { claim: store.claim, get: store.getEntry, move: store.move },
    recipients: audience.check,
    sender:
      options.sender ??
      createSesRawSender({
        client: options.ses,
        ...(options.configurationSetName ? { configurationSetName: options.configurationSetName } : {}),
      }),
    rate,
    requeue: (message, delaySeconds) =>
      options.deliveryQueue.enqueue([{ body: JSON.stringify(message), delaySeconds }]),
    tokenKeys: options.tokenKeys,
    now,
    newId: randomUUID,
    random: options.random ?? Math.random,
    sleep,
    log: options.log,
    ...options.send,
  };

  return {
    store,
    audience,
    rate,
    sendDeps,
    sendBatch: createSendBatch(sendDeps),
    startDeps: {
      campaigns: store,
      countConfirmed: (at) => audience.countConfirmed(at),
      startFanout: continueFanout,
    },
    fanoutDeps: (remainingMs) => ({
      campaigns: store,
      subscribers: audience,
      enqueue: enqueueDelivery,
      continueLater: continueFanout,
      remainingMs,
      now,
    }),
    reconcileDeps: {
      campaigns: store,
      ledger: {
        move: store.move,
        getEntries: store.getEntries,
        entries: store.entries,
        countStates: store.countStates,
      },
      subscribers: audience,
      enqueue: enqueueDelivery,
      continueFanout,
      now,
    },
  };
}

const tableName = () => z.string().check(z.minLength(3, 'must be at least 3 characters'));
const nonEmpty = () => z.string().check(z.minLength(1, 'must not be empty'));
const fraction = (fallback: number) =>
  z._default(z.coerce.number().check(z.gt(0, 'must be above 0'), z.lte(1, 'must be at most 1')), fallback);
const deliveryEnv = z
  .object({
    CAMPAIGN_TABLE_NAME: tableName(),
    SUBSCRIBER_TABLE_NAME: tableName(),
    DELIVERY_QUEUE_URL: z.url(),
    FANOUT_QUEUE_URL: z.url(),
    SES_CONFIGURATION_SET: z.optional(nonEmpty()),
    EMAIL_BUCKET: z.optional(tableName()),
    TOKEN_KEYS_FILE: z.optional(nonEmpty()),
    TOKEN_KEYS_SECRET_ID: z.optional(nonEmpty()),
    SEND_RATE_SHARE: fraction(1),
    SEND_SAFETY_FACTOR: fraction(0.98),
  })
  .check(
    z.refine((env) => (env.TOKEN_KEYS_FILE === undefined) !== (env.TOKEN_KEYS_SECRET_ID === undefined), {
      message: 'set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID',
      path: ['TOKEN_KEYS_SECRET_ID'],
    }),
  );

/** Validated delivery configuration. */
export type DeliveryConfig = z.infer<typeof deliveryEnv>;

/** Reads the delivery Lambdas' configuration from `env`, failing with the variable's name and value. */
export function loadDeliveryConfig(env: Record<string, string | undefined>): DeliveryConfig {
  const parsed = deliveryEnv.safeParse(env);
  if (!parsed.success) throw environmentError(parsed.error, env);
  return parsed.data;
}

/** The Powertools logger the delivery Lambdas share. */
export function createDeliveryLogger(): Logger {
  return new Logger({ serviceName: 'herald-delivery' });
}

/** Builds the wiring for AWS from the environment (clients take region/credentials from the runtime). */
export async function buildDeliveryWiringFromEnv(
  env: Record<string, string | undefined>,
  log: DeliveryLog,
): Promise<DeliveryWiring> {
  const config = loadDeliveryConfig(env);
  const tokenKeys = config.TOKEN_KEYS_FILE
    ? await loadTokenKeysFile(config.TOKEN_KEYS_FILE)
    : await loadTokenKeysSecret(config.TOKEN_KEYS_SECRET_ID ?? '');
  const sqs = new SQSClient({});
  return createDeliveryWiring({
    dynamo: new DynamoDBClient({}),
    campaignTable: config.CAMPAIGN_TABLE_NAME,
    subscriberTable: config.SUBSCRIBER_TABLE_NAME,
    ses: createSesSendClient(),
    ...(config.SES_CONFIGURATION_SET ? { configurationSetName: config.SES_CONFIGURATION_SET } : {}),
    deliveryQueue: createSqsSendQueue({ client: sqs, queueUrl: config.DELIVERY_QUEUE_URL }),
    fanoutQueue: createSqsSendQueue({ client: sqs, queueUrl: config.FANOUT_QUEUE_URL }),
    tokenKeys,
    ...(config.EMAIL_BUCKET ? { blobs: createS3EmailBlobStore({ bucket: config.EMAIL_BUCKET }) } : {}),
    pacing: { share: config.SEND_RATE_SHARE, safetyFactor: config.SEND_SAFETY_FACTOR },
    log,
  });
}

/**
 * Wraps a handler factory for Lambda: config is validated and clients are built once, on the first
 * event, so importing the module (tests, bundling) does no I/O.
 */
export function lazyDeliveryHandler<E, C, R>(
  factory: (wiring: DeliveryWiring, log: DeliveryLog) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let built: Promise<(event: E, context: C) => Promise<R>> | undefined;
  return async (event, context) => {
    built ??= (async () => {
      const log = createDeliveryLogger();
      return factory(await buildDeliveryWiringFromEnv(process.env, log), log);
    })().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(event, context);
  };
}
