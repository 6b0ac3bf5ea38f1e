/**
 * The `send` Lambda: SQS batches of delivery messages (one recipient each) → the send step.
 * Reports partial batch failures so only the messages that must be retried come back.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type createSendBatch, type DeliveryLog, deliveryMessageSchema } from '../app/send-batch.ts';
import { loadSendConfig } from '../wiring/delivery-config.ts';
import { buildSendWiring } from '../wiring/send-deps.ts';
import { defineHandler, serviceLogger } from './define-handler.ts';
import { describeError, parseSqsMessages } from './sqs-messages.ts';

/** Builds the handler from a send step (see `createSendWiring`). */
export function createSendHandler(deps: {
  sendBatch: ReturnType<typeof createSendBatch>;
  log: DeliveryLog;
}): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const { valid, invalid } = parseSqsMessages(
      event,
      deliveryMessageSchema,
      deps.log,
      'invalid delivery message',
    );
    const failures = [...invalid];
    const ids = valid.map((v) => v.messageId);
    const messages = valid.map((v) => v.message);
    const outcomes = await deps.sendBatch(messages);
    outcomes.forEach((outcome, i) => {
      const messageId = ids[i] as string;
      if (outcome.status === 'error') {
        deps.log.error('delivery failed', {
          messageId,
          postId: messages[i]?.postId,
          subscriberId: messages[i]?.subscriberId,
          error: describeError(outcome.error),
        });
        failures.push(messageId);
      } else if (outcome.status === 'retry') {
        failures.push(messageId);
      }
    });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Lambda entry point; the environment is checked at init, token keys and clients built once. */
export const handler = defineHandler(loadSendConfig, async (config) => {
  const log = serviceLogger('herald-delivery');
  const wiring = await buildSendWiring(config, log);
  return createSendHandler({ sendBatch: wiring.sendBatch, log });
});
