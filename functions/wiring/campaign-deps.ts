/**
 * Ports for the delivery steps that plan but never send: starting a campaign, fan-out and
 * reconcile. They need DynamoDB (campaign store, subscribers) and SQS only; this module must not
 * import SES, token keys or the send step, so the `fanout` and `reconcile` bundles stay small.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { type CampaignStore, createCampaignStore } from '../adapters/campaign-store.ts';
import { createDeliveryAudience, type DeliveryAudience } from '../adapters/delivery-audience.ts';
import { createSqsSendQueue, type SendQueue } from '../adapters/send-queue.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import type { FanoutDeps } from '../app/fan-out.ts';
import type { ReconcileDeps } from '../app/reconcile.ts';
import type { StartCampaignDeps } from '../app/start-campaign.ts';
import type { FanoutConfig } from './delivery-config.ts';

/** Message body on the fan-out queue. */
export const fanoutMessageSchema = z.object({ postId: z.string().check(z.minLength(1), z.maxLength(512)) });

/** Clients and queues the campaign ports are built from. */
export interface CampaignWiringOptions {
  dynamo: DynamoDBClient;
  campaignTable: string;
  subscriberTable: string;
  deliveryQueue: SendQueue;
  fanoutQueue: SendQueue;
  now?: () => Date;
}

/** The ports of campaign start, fan-out and reconcile. */
export interface CampaignWiring {
  store: CampaignStore;
  audience: DeliveryAudience;
  startDeps: StartCampaignDeps;
  fanoutDeps(remainingMs: () => number): FanoutDeps;
  reconcileDeps: ReconcileDeps;
}

/** Builds the campaign ports from clients. */
export function createCampaignWiring(options: CampaignWiringOptions): CampaignWiring {
  const now = options.now ?? (() => new Date());
  const store = createCampaignStore({ client: options.dynamo, tableName: options.campaignTable });
  const audience = createDeliveryAudience({
    client: options.dynamo,
    tableName: options.subscriberTable,
    store: createSubscriberStore({ client: options.dynamo, tableName: options.subscriberTable }),
  });
  const enqueueDelivery = (messages: readonly object[]) =>
    options.deliveryQueue.enqueue(messages.map((m) => ({ body: JSON.stringify(m) })));
  const continueFanout = (postId: string) =>
    options.fanoutQueue.enqueue([{ body: JSON.stringify({ postId }) }]);

  return {
    store,
    audience,
    startDeps: {
      campaigns: store,
      countConfirmed: (at, only) => audience.countConfirmed(at, only),
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

/**
 * Builds the campaign ports for AWS from a validated configuration (`loadFanoutConfig` or
 * `loadReconcileConfig`); clients take region and credentials from the runtime.
 */
export function buildCampaignWiring(config: FanoutConfig): CampaignWiring {
  const sqs = new SQSClient({});
  return createCampaignWiring({
    dynamo: new DynamoDBClient({}),
    campaignTable: config.CAMPAIGN_TABLE_NAME,
    subscriberTable: config.SUBSCRIBER_TABLE_NAME,
    deliveryQueue: createSqsSendQueue({ client: sqs, queueUrl: config.DELIVERY_QUEUE_URL }),
    fanoutQueue: createSqsSendQueue({ client: sqs, queueUrl: config.FANOUT_QUEUE_URL }),
  });
}
