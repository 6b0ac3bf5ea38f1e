/**
 * The `confirm-mailer` Lambda: confirmation requests from the confirmation queue (SQS), put there
 * by subscribe and resend, become confirmation emails. The only subscription function with SES
 * permission. A failed send (throttling, an outage) is a batch item failure: SQS redelivers it
 * after the visibility timeout, and after its receive limit keeps it in the dead-letter queue.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type ConfirmationMailerDeps, deliverConfirmation } from '../app/deliver-confirmation.ts';
import { confirmationRequestSchema } from '../core/confirmation-request.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildConfirmationMailerDeps } from '../wiring/confirmation-mailer-deps.ts';
import { createLogger, type LoggerLike } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { describeError, parseSqsMessages } from './sqs-messages.ts';

/** Builds the handler over injected deps. */
export function createConfirmMailerHandler(deps: ConfirmationMailerDeps & { logger: LoggerLike }) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    // The body holds an address and consent evidence: log only which message it was.
    const log = {
      error: (message: string, context: Record<string, unknown>) =>
        deps.logger.error(message, { messageId: context.messageId }),
    };
    const { valid, invalid } = parseSqsMessages(
      event,
      confirmationRequestSchema,
      log,
      'invalid confirmation request',
    );
    const failures = [...invalid];
    for (const { messageId, message } of valid) {
      try {
        const { sent } = await deliverConfirmation(deps, message);
        deps.logger.info('confirmation request handled', { kind: message.kind, sent });
      } catch (error) {
        deps.logger.warn('confirmation not sent, will retry', { messageId, error: describeError(error) });
        failures.push(messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(loadSubscriptionConfig, async (config) =>
  createConfirmMailerHandler(await buildConfirmationMailerDeps(config, createLogger())),
);
