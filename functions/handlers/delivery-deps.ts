/**
 * All of delivery wired at once (campaign start, fan-out, reconcile and the send step), for the
 * local runtime, the CLI, the tests and the benchmark: they pass in clients and queues and get
 * every port.
 *
 * The Lambda handlers do NOT import this module: each builds only its own ports (`send-deps.ts`,
 * `campaign-deps.ts`), so the `fanout` and `reconcile` bundles carry no SES client, nodemailer or
 * token-key loading.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SendQueue } from '../adapters/send-queue.ts';
import type { PacingOptions, SendQuota } from '../core/pacing.ts';
import type { DeliveryLog, RawSender } from '../core/send-batch.ts';
import type { TokenKeys } from '../core/tokens.ts';
import { type CampaignWiring, createCampaignWiring } from './campaign-deps.ts';
import { createSendWiring, type SendTuning, type SendWiring } from './send-deps.ts';

export { fanoutMessageSchema } from './campaign-deps.ts';

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

/** Every port of delivery, built once per process. */
export type DeliveryWiring = CampaignWiring & SendWiring;

/** Builds every delivery port from clients. */
export function createDeliveryWiring(options: DeliveryWiringOptions): DeliveryWiring {
  const { dynamo, campaignTable, subscriberTable, fanoutQueue, ...sendOptions } = options;
  const campaign = createCampaignWiring({
    dynamo,
    campaignTable,
    subscriberTable,
    deliveryQueue: options.deliveryQueue,
    fanoutQueue,
    now: options.now,
  });
  const send = createSendWiring({
    ...sendOptions,
    store: campaign.store,
    recipients: campaign.audience.check,
  });
  return { ...campaign, ...send };
}
