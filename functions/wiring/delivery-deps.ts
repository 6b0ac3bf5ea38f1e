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
import type { SendQueue } from '../adapters/send-queue.ts';
import { type CampaignWiring, createCampaignWiring } from './campaign-deps.ts';
import { createSendWiring, type SendWiring, type SendWiringOptions } from './send-deps.ts';

export { fanoutMessageSchema } from './campaign-deps.ts';

/** Clients and knobs the delivery wiring is built from: the send options plus the tables and fan-out queue. */
export interface DeliveryWiringOptions extends Omit<SendWiringOptions, 'store' | 'recipients'> {
  dynamo: DynamoDBClient;
  campaignTable: string;
  subscriberTable: string;
  fanoutQueue: SendQueue;
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
