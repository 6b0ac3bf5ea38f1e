/**
 * The `inbound-unsubscribe` Lambda: mail to the `mailto:` unsubscribe address, delivered by an SES
 * receipt rule. Each message goes to the unsubscribe-sender use case, which acts only when the
 * header From is authenticated (DMARC, or aligned DKIM where the domain has no DMARC policy). Failures are rethrown so Lambda retries the asynchronous invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESEvent } from 'aws-lambda';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import { type InboundUnsubscribeDeps, unsubscribeSender } from '../app/unsubscribe-sender.ts';
import { loadFeedbackConfig } from '../wiring/config.ts';
import { defineHandler, serviceLogger } from './define-handler.ts';

/** Builds the SES receipt-rule handler over injected deps. */
export function createInboundUnsubscribeHandler(deps: InboundUnsubscribeDeps) {
  return async (event: SESEvent): Promise<void> => {
    for (const record of event.Records) {
      const outcome = await unsubscribeSender(deps, record);
      const messageId = record.ses.mail.messageId;
      if (typeof outcome === 'string') deps.logger.info('inbound unsubscribe', { outcome, messageId });
      else deps.logger.warn('inbound unsubscribe refused', { reason: outcome.refused, messageId });
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(loadFeedbackConfig, (config) =>
  createInboundUnsubscribeHandler({
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    now: () => new Date(),
    logger: serviceLogger('herald-subscriptions'),
  }),
);
