/**
 * What the subscription handlers need, and the one place that builds it from the environment.
 * Tests and the local runtime build the same deps from local clients instead.
 */

import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import {
  type ConfirmationEmailRenderer,
  createConfirmationEmailRenderer,
} from '../adapters/confirmation-email.ts';
import { createJsonLogger, type Logger } from '../adapters/json-logger.ts';
import { loadPageTemplates, type PageRenderer } from '../adapters/page-templates.ts';
import { createSesMailer, formatFromAddress, type Mailer } from '../adapters/ses-mailer.ts';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, loadTokenKeysSecret } from '../adapters/token-keys.ts';
import type { SubscriptionPolicy } from '../core/subscriber.ts';
import { DEFAULT_POLICY } from '../core/subscriber.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { Topic } from '../core/topics.ts';
import type { SubscriptionConfig } from './config.ts';

/** The logging surface handlers use. */
export type LoggerLike = Pick<Logger, 'info' | 'warn' | 'error'>;

/** Everything the subscribe, confirm and unsubscribe handlers depend on. */
export interface SubscriptionDeps {
  store: SubscriberStore;
  mailer: Mailer;
  renderConfirmation: ConfirmationEmailRenderer;
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
  const templatesDir = resolve(config.templatesDir);
  const [keys, pages] = await Promise.all([
    config.tokenKeys.kind === 'file'
      ? loadTokenKeysFile(config.tokenKeys.path)
      : loadTokenKeysSecret(config.tokenKeys.secretId),
    loadPageTemplates(join(templatesDir, 'pages')),
  ]);
  const policy: SubscriptionPolicy = {
    resendIntervalMs: config.resendIntervalMs,
    maxConfirmationsPerDay: DEFAULT_POLICY.maxConfirmationsPerDay,
    confirmTokenMaxAgeMs: config.confirmTokenMaxAgeMs,
    transientBounceThreshold: config.transientBounceThreshold,
  };
  return {
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    mailer: createSesMailer({
      client: () => new SESClient({}),
      from: formatFromAddress(config.fromAddress, config.fromName),
      replyTo: config.replyTo,
      configurationSet: config.sesConfigurationSet,
    }),
    renderConfirmation: createConfirmationEmailRenderer({
      templatePath: config.confirmTemplate
        ? resolve(config.confirmTemplate)
        : join(templatesDir, 'confirm.mjml'),
      siteTitle: config.siteTitle,
      siteUrl: config.siteUrl,
      validDays: Math.round(config.confirmTokenMaxAgeMs / 86_400_000),
    }),
    pages,
    keys,
    siteUrl: config.siteUrl,
    siteTitle: config.siteTitle,
    policy,
    ipLimit: config.ipLimit,
    consentTextVersion: config.consentTextVersion,
    topics: config.topics,
    now: () => new Date(),
    newId: randomUUID,
    logger,
  };
}

/** The structured logger all subscription Lambdas (and the CLI's imports) share. */
export function createLogger(): Logger {
  return createJsonLogger({ service: 'herald-subscriptions' });
}
