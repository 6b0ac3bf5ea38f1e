/**
 * What the confirm-mailer (the one subscription function that sends mail) is built from: the
 * subscription config plus SES and the confirmation template. The API functions never import it.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { createConfirmationEmailRenderer } from '../adapters/confirmation-email.ts';
import { createSesMailer, formatFromAddress } from '../adapters/ses-mailer.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import type { ConfirmationMailerDeps } from '../app/deliver-confirmation.ts';
import type { SubscriptionConfig } from './config.ts';
import { type LoggerLike, loadTokenKeys, subscriptionPolicy } from './subscription-deps.ts';

/** The confirm-mailer's deps, with the configured topics (the email names the reader's choice). */
export type ConfirmationMailer = ConfirmationMailerDeps & { logger: LoggerLike };

/** Builds the confirm-mailer's deps for AWS (clients pick up endpoints from the AWS SDK env). */
export async function buildConfirmationMailerDeps(
  config: SubscriptionConfig,
  logger: LoggerLike,
): Promise<ConfirmationMailer> {
  const templatePath = config.confirmTemplate
    ? resolve(config.confirmTemplate)
    : join(resolve(config.templatesDir), 'confirm.mjml');
  return {
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    mailer: createSesMailer({
      client: () => new SESClient({}),
      from: formatFromAddress(config.fromAddress, config.fromName),
      replyTo: config.replyTo,
      configurationSet: config.sesConfigurationSet,
    }),
    renderConfirmation: createConfirmationEmailRenderer({
      templatePath,
      siteTitle: config.siteTitle,
      siteUrl: config.siteUrl,
      validDays: Math.round(config.confirmTokenMaxAgeMs / 86_400_000),
    }),
    keys: await loadTokenKeys(config),
    siteUrl: config.siteUrl,
    policy: subscriptionPolicy(config),
    topics: config.topics,
    newId: randomUUID,
    logger,
  };
}
