/**
 * The delivery queue port and its SQS implementation (`SendMessageBatch`, 10 entries a call).
 * The local runtime and tests use `functions/local/delivery-queue.ts` instead.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** One message to enqueue. `delaySeconds` up to 900 (SQS limit). */
export interface QueueMessage {
  body: string;
  delaySeconds?: number;
}

/** Enqueues messages; resolves once every one is accepted, throws otherwise. */
export interface SendQueue {
  enqueue(messages: readonly QueueMessage[]): Promise<void>;
}

/** Thrown when SQS keeps refusing entries. */
export class SendQueueError extends Error {
  override name = 'SendQueueError';
}

const SQS_BATCH = 10;

/** SQS-backed queue. Entries SQS fails individually are retried a few times with backoff. */
export function createSqsSendQueue(options: {
  client: SQSClient;
  queueUrl: string;
  sleep?: (ms: number) => Promise<void>;
  maxRounds?: number;
}): SendQueue {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRounds = options.maxRounds ?? 5;

  async function sendChunk(chunk: readonly QueueMessage[]): Promise<void> {
    let entries = chunk.map((message, i) => ({
      Id: String(i),
      MessageBody: message.body,
      ...(message.delaySeconds
        ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(message.delaySeconds))) }
        : {}),
    }));
    for (let round = 0; entries.length > 0; round++) {
      if (round >= maxRounds) {
        throw new SendQueueError(
          `send queue ${options.queueUrl}: ${entries.length} messages refused after ${maxRounds} tries`,
        );
      }
      if (round > 0) await sleep(100 * 2 ** round);
      let failedIds: Set<string>;
      try {
        const out = await options.client.send(
          new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }),
        );
        const failed = out.Failed ?? [];
        const permanent = failed.find((f) => f.SenderFault);
        if (permanent) {
          throw new SendQueueError(
            `send queue ${options.queueUrl}: message refused: ${permanent.Code} ${permanent.Message ?? ''}`,
          );
        }
        failedIds = new Set(failed.map((f) => f.Id ?? ''));
      } catch (error) {
        if (error instanceof SendQueueError) throw error;
        if (round + 1 >= maxRounds) {
          throw new SendQueueError(`send queue ${options.queueUrl}: SendMessageBatch failed`, {
            cause: error,
          });
        }
        continue;
      }
      entries = entries.filter((e) => failedIds.has(e.Id));
    }
  }

  return {
    async enqueue(messages) {
      for (let i = 0; i < messages.length; i += SQS_BATCH) await sendChunk(messages.slice(i, i + SQS_BATCH));
    },
  };
}
