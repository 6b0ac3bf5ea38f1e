/**
 * What the subscription handlers need, and the one place that builds it from the environment.
 * Tests and the local runtime build the same deps from local clients instead.
 */

import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createJsonLogger, type Logger } from '../adapters/json-logger.ts';
import { loadOriginSecret } from '../adapters/origin-secret.ts';
import { loadPageTemplates, type PageRenderer } from '../adapters/page-templates.ts';
import { createSqsSendQueue } from '../adapters/send-queue.ts';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, loadTokenKeysSecret } from '../adapters/token-keys.ts';
import type { ConfirmationQueue } from '../app/ports.ts';
import type { SubscriptionPolicy } from '../core/subscriber.ts';
import { DEFAULT_POLICY } from '../core/subscriber.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { Topic } from '../core/topics.ts';
import { ConfigError, type SubscriptionConfig } from './config.ts';

/** The logging surface handlers use. */
export type LoggerLike = Pick<Logger, 'info' | 'warn' | 'error'>;

/** Everything the subscription API's handlers depend on. They send no mail: the confirm-mailer does. */
export interface SubscriptionDeps {
  store: SubscriberStore;
  /** Where subscribe and resend put confirmation requests for the confirm-mailer. */
  confirmations: ConfirmationQueue;
  /** On AWS: what CloudFront's origin header must carry, else 403. Undefined locally (no CloudFront). */
  originSecret?: string;
  pages: PageRenderer;
  keys: TokenKeys;
  /** Site URL with baseurl, no trailing slash. */
  siteUrl: string;
  siteTitle: string;
  policy: SubscriptionPolicy;
  ipLimit: { max: number; windowMs: number };
  consentTextVersion: string;
  /** Topics readers may choose; absent or empty = none configured. */
  topics?: Topic[];
  now: () => Date;
  newId: () => string;
  logger: LoggerLike;
}

/** Builds deps for real AWS from a validated config (clients pick up endpoints from the AWS SDK env). */
export async function buildSubscriptionDeps(
  config: SubscriptionConfig,
  logger: LoggerLike,
): Promise<SubscriptionDeps> {
  const [keys, pages, originSecret] = await Promise.all([
    config.tokenKeys ? loadTokenKeys(config) : undefined,
    loadPageTemplates(join(resolve(config.templatesDir), 'pages')),
    config.originSecretId ? loadOriginSecret(config.originSecretId) : undefined,
  ]);
  const queueUrl = config.confirmationQueueUrl;
  const deps: Omit<SubscriptionDeps, 'keys'> = {
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    confirmations: queueUrl
      ? createSqsSendQueue({ client: new SQSClient({}), queueUrl })
      : {
          async enqueue() {
            throw new ConfigError(
              'CONFIRMATION_QUEUE_URL is not set: this function cannot request confirmations',
            );
          },
        },
    pages,
    ...(originSecret ? { originSecret } : {}),
    siteUrl: config.siteUrl,
    siteTitle: config.siteTitle,
    policy: subscriptionPolicy(config),
    ipLimit: config.ipLimit,
    consentTextVersion: config.consentTextVersion,
    topics: config.topics,
    now: () => new Date(),
    newId: randomUUID,
    logger,
  };
  if (keys) return { ...deps, keys };
  // Subscribe is deployed without the token keys: it never signs or verifies a token.
  return Object.defineProperty(deps, 'keys', {
    enumerable: false,
    get() {
      throw new ConfigError('TOKEN_KEYS_SECRET_ID is not set: this function cannot sign or verify tokens');
    },
  }) as SubscriptionDeps;
}

/** The token keys, from a file (local, tests) or the Secrets Manager secret (AWS). */
export function loadTokenKeys(config: SubscriptionConfig): Promise<TokenKeys> {
  const where = config.tokenKeys;
  if (!where)
    throw new ConfigError('set TOKEN_KEYS_SECRET_ID (or TOKEN_KEYS_FILE): this function signs tokens');
  return where.kind === 'file' ? loadTokenKeysFile(where.path) : loadTokenKeysSecret(where.secretId);
}

/** The subscription policy a config sets. */
export function subscriptionPolicy(config: SubscriptionConfig): SubscriptionPolicy {
  return {
    resendIntervalMs: config.resendIntervalMs,
    maxConfirmationsPerDay: DEFAULT_POLICY.maxConfirmationsPerDay,
    confirmTokenMaxAgeMs: config.confirmTokenMaxAgeMs,
    transientBounceThreshold: config.transientBounceThreshold,
  };
}

/** The structured logger all subscription Lambdas (and the CLI's imports) share. */
export function createLogger(): Logger {
  return createJsonLogger({ service: 'herald-subscriptions' });
}
