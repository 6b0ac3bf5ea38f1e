/**
 * The `publish` Lambda: SQS records whose body is an S3 event notification (the content bucket
 * notifies the queue) or a scheduled-publish message, or a bare S3 event (the local runtime). Each
 * message goes to the publish-post use case. Partial batch failures are reported, so an invalid
 * post is retried and then lands in the (alarmed) dead-letter queue.
 *
 * Publishes are serialised (reserved concurrency 1 on AWS; the local runtime runs one at a time),
 * which is what makes the read-modify-write of the post index safe without locking.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { z } from 'zod';
import { type PublishDeps, type PublishOutcome, publishMessage } from '../app/publish-post.ts';
import { loadPublishConfig, publishWiringFromConfig } from '../wiring/publish-deps.ts';
import { defineHandler } from './define-handler.ts';
import { describeError } from './sqs-messages.ts';

const sqsEventSchema = z.object({
  Records: z
    .array(z.object({ messageId: z.string(), body: z.string(), eventSource: z.literal('aws:sqs') }))
    .min(1),
});

/** The handler: SQS batches (partial failures reported), or a bare S3 event / scheduled message. */
export type PublishHandler = (event: unknown) => Promise<SQSBatchResponse>;

/** Sees every message's typed outcomes, or its error (the local runtime's reporter). */
export type PublishObserver = (result: { outcomes: PublishOutcome[] } | { error: unknown }) => void;

/** Builds the handler from its dependencies. */
export function createPublishHandler(deps: PublishDeps, observe?: PublishObserver): PublishHandler {
  const run = async (message: unknown) => {
    try {
      const outcomes = await publishMessage(deps, message);
      observe?.({ outcomes });
    } catch (error) {
      observe?.({ error });
      throw error;
    }
  };
  return async (event) => {
    const sqs = sqsEventSchema.safeParse(event);
    if (!sqs.success) {
      // A bare S3 event or schedule message: failures propagate so the caller retries.
      await run(event);
      return { batchItemFailures: [] };
    }
    const failures: string[] = [];
    // One at a time, in order: the index is read and written by each.
    for (const record of sqs.data.Records) {
      try {
        await run(JSON.parse(record.body));
      } catch (error) {
        deps.log.error('publish failed', { messageId: record.messageId, error: describeError(error) });
        failures.push(record.messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(loadPublishConfig, (config) =>
  createPublishHandler(publishWiringFromConfig(config)),
);
