/**
 * Ports of the send step: the global rate gate, the SES sender and the token keys for
 * unsubscribe links, around the campaign store and the subscriber check. Only the `send` Lambda
 * (and `createDeliveryWiring`, for the local runtime, CLI and tests) imports this module.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type CampaignStore, createCampaignStore } from '../adapters/campaign-store.ts';
import { createDeliveryAudience } from '../adapters/delivery-audience.ts';
import { createSqsSendQueue, type SendQueue } from '../adapters/send-queue.ts';
import {
  createSendQuotaSource,
  createSesRawSender,
  createSesSendClient,
} from '../adapters/ses-raw-sender.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, loadTokenKeysSecret } from '../adapters/token-keys.ts';
import {
  createSendBatch,
  type DeliveryLog,
  type RawSender,
  type RecipientCheck,
  type SendDeps,
} from '../app/send-batch.ts';
import { type PacingOptions, rateWindow, type SendQuota } from '../core/pacing.ts';
import { createRateGate, type RateGate } from '../core/rate-gate.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { SendConfig } from './delivery-config.ts';

/** Options of the send step that tests and the local runtime tune. */
export type SendTuning = Partial<
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

/** What the send ports are built from. */
export interface SendWiringOptions {
  store: CampaignStore;
  /** Send-time subscriber check (`DeliveryAudience.check`). */
  recipients: RecipientCheck;
  /** SES client for sending; must not retry on its own (see `createSesSendClient`). */
  ses: SESClient;
  configurationSetName?: string;
  deliveryQueue: SendQueue;
  tokenKeys: TokenKeys;
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
  send?: SendTuning;
  /** Rate-counter scope: one per SES account and region. Default `ses`. */
  rateScope?: string;
}

/** The send step and the ports it runs on. */
export interface SendWiring {
  rate: RateGate;
  sendDeps: SendDeps;
  sendBatch: ReturnType<typeof createSendBatch>;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds the send step from clients and ports. */
export function createSendWiring(options: SendWiringOptions): SendWiring {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? sleepReal;
  const { store } = options;
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
  const sendDeps: SendDeps = {
    campaigns: store,
    ledger: { claim: store.claim, get: store.getEntry, move: store.move },
    recipients: options.recipients,
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
  return { rate, sendDeps, sendBatch: createSendBatch(sendDeps) };
}

/**
 * Builds the send step for AWS from a validated configuration (`loadSendConfig`): reads the token
 * keys, and builds clients that take region and credentials from the runtime.
 */
export async function buildSendWiring(config: SendConfig, log: DeliveryLog): Promise<SendWiring> {
  const tokenKeys = config.TOKEN_KEYS_FILE
    ? await loadTokenKeysFile(config.TOKEN_KEYS_FILE)
    : await loadTokenKeysSecret(config.TOKEN_KEYS_SECRET_ID ?? '');
  const dynamo = new DynamoDBClient({});
  const audience = createDeliveryAudience({
    client: dynamo,
    tableName: config.SUBSCRIBER_TABLE_NAME,
    store: createSubscriberStore({ client: dynamo, tableName: config.SUBSCRIBER_TABLE_NAME }),
  });
  return createSendWiring({
    store: createCampaignStore({ client: dynamo, tableName: config.CAMPAIGN_TABLE_NAME }),
    recipients: audience.check,
    ses: createSesSendClient(),
    ...(config.SES_CONFIGURATION_SET ? { configurationSetName: config.SES_CONFIGURATION_SET } : {}),
    deliveryQueue: createSqsSendQueue({ client: new SQSClient({}), queueUrl: config.DELIVERY_QUEUE_URL }),
    tokenKeys,
    pacing: { share: config.SEND_RATE_SHARE, safetyFactor: config.SEND_SAFETY_FACTOR },
    log,
  });
}
