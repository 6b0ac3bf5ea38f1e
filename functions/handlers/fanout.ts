/**
 * The `fanout` Lambda: messages `{ postId }` on the fan-out queue (batch size 1). Pages through the
 * confirmed subscribers, enqueues delivery messages and saves the cursor after each page; when the
 * invocation runs low on time it puts `{ postId }` back on the fan-out queue and returns, so a
 * mailing of any size never hits the Lambda timeout.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FanoutDeps, FanoutResult } from '../app/fan-out.ts';
import { runFanout } from '../app/fan-out.ts';
import type { DeliveryLog } from '../app/send-batch.ts';
import { buildCampaignWiring, fanoutMessageSchema } from '../wiring/campaign-deps.ts';
import { loadFanoutConfig } from '../wiring/delivery-config.ts';
import { defineHandler, serviceLogger } from './define-handler.ts';
import { describeError, parseSqsMessages } from './sqs-messages.ts';

/** Builds the handler; `deps(remainingMs)` builds fan-out ports around the invocation's clock. */
export function createFanoutHandler(options: {
  deps: (remainingMs: () => number) => FanoutDeps;
  log: DeliveryLog & { info?(message: string, context: Record<string, unknown>): void };
}): (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    const remaining = () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    const { valid, invalid } = parseSqsMessages(
      event,
      fanoutMessageSchema,
      options.log,
      'invalid fan-out message',
    );
    const failures = [...invalid];
    for (const { messageId, message } of valid) {
      try {
        const result: FanoutResult = await runFanout(options.deps(remaining), message.postId);
        options.log.info?.('fan-out run', { postId: message.postId, ...result });
      } catch (error) {
        options.log.error('fan-out failed', { postId: message.postId, error: describeError(error) });
        failures.push(messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Lambda entry point; config and clients are built on the first event. */
export const handler = defineHandler(loadFanoutConfig, (config) => {
  const wiring = buildCampaignWiring(config);
  const log = serviceLogger('herald-delivery');
  return createFanoutHandler({ deps: (remainingMs) => wiring.fanoutDeps(remainingMs), log });
});
