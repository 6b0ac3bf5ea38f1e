/**
 * The `send` Lambda: SQS batches of delivery messages (one recipient each) → the send step.
 * Reports partial batch failures so only the messages that must be retried come back.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  type createSendBatch,
  type DeliveryLog,
  type DeliveryMessage,
  deliveryMessageSchema,
} from '../core/send-batch.ts';
import { lazyDeliveryHandler } from './delivery-deps.ts';

/** Builds the handler from a send step (see `createDeliveryWiring`). */
export function createSendHandler(deps: {
  sendBatch: ReturnType<typeof createSendBatch>;
  log: DeliveryLog;
}): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const failures: string[] = [];
    const ids: string[] = [];
    const messages: DeliveryMessage[] = [];
    for (const record of event.Records) {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = deliveryMessageSchema.safeParse(body);
      if (!parsed.success) {
        // Retrying cannot fix it; after maxReceiveCount it lands in the dead-letter queue for a human.
        deps.log.error('invalid delivery message', {
          messageId: record.messageId,
          body: record.body.slice(0, 200),
        });
        failures.push(record.messageId);
        continue;
      }
      ids.push(record.messageId);
      messages.push(parsed.data);
    }
    const outcomes = await deps.sendBatch(messages);
    outcomes.forEach((outcome, i) => {
      const messageId = ids[i] as string;
      if (outcome.status === 'error') {
        deps.log.error('delivery failed', {
          messageId,
          postId: messages[i]?.postId,
          subscriberId: messages[i]?.subscriberId,
          error:
            outcome.error instanceof Error
              ? `${outcome.error.name}: ${outcome.error.message}`
              : String(outcome.error),
        });
        failures.push(messageId);
      } else if (outcome.status === 'retry') {
        failures.push(messageId);
      }
    });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Lambda entry point; config and clients are built on the first event. */
export const handler = lazyDeliveryHandler((wiring, log) => {
  const send = createSendHandler({ sendBatch: wiring.sendBatch, log });
  return (event: SQSEvent, _context: unknown) => send(event);
});
