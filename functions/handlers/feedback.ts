/**
 * The `feedback` Lambda: SES bounce and complaint notifications, delivered through SNS. Each
 * address in a notification is handed to the apply-feedback use case. Throws (after logging) so
 * SNS/Lambda retries and the DLQ keep a notification that could not be applied.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import {
  applyFeedback,
  type FeedbackDeps,
  FeedbackError,
  readSesNotification,
} from '../app/apply-feedback.ts';
import { loadFeedbackConfig } from '../wiring/config.ts';
import { defineHandler, serviceLogger } from './define-handler.ts';

/** Builds the SNS handler over injected deps. */
export function createFeedbackHandler(deps: FeedbackDeps) {
  return async (event: SNSEvent): Promise<void> => {
    for (const record of event.Records) {
      let message: unknown;
      try {
        message = JSON.parse(record.Sns.Message);
      } catch (error) {
        deps.logger.error('feedback message is not JSON', { messageId: record.Sns.MessageId });
        throw new FeedbackError(`SNS message ${record.Sns.MessageId} is not JSON`, { cause: error });
      }
      for (const item of readSesNotification(message)) {
        const outcome = await applyFeedback(deps, item);
        deps.logger.info('feedback applied', {
          kind: item.feedback,
          outcome,
          messageId: record.Sns.MessageId,
        });
      }
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(loadFeedbackConfig, (config) =>
  createFeedbackHandler({
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    policy: { transientBounceThreshold: config.transientBounceThreshold },
    now: () => new Date(),
    logger: serviceLogger('herald-subscriptions'),
  }),
);
