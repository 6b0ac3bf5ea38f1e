import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../functions/app/send-batch.ts';
import { createSendHandler } from '../../functions/handlers/send.ts';

function sqsEvent(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:send',
      awsRegion: 'eu-central-1',
    })),
  };
}

const message = (subscriberId: string): DeliveryMessage => ({
  v: 1,
  postId: 'p1',
  subscriberId,
  addressHash: 'h',
});

describe('send handler (SQS batch)', () => {
  it('reports unreadable messages and retryable outcomes as batch item failures, nothing else', async () => {
    const seen: DeliveryMessage[] = [];
    const errors: string[] = [];
    const handler = createSendHandler({
      sendBatch: async (messages) => {
        seen.push(...messages);
        return messages.map((m) =>
          m.subscriberId === 'retry'
            ? { status: 'retry' as const, reason: 'throttled' }
            : m.subscriberId === 'boom'
              ? { status: 'error' as const, error: new Error('ledger unavailable') }
              : { status: 'sent' as const, messageId: `ses-${m.subscriberId}` },
        );
      },
      log: { warn: () => undefined, error: (msg: string) => errors.push(msg) },
    });

    const result = await handler(
      sqsEvent(
        JSON.stringify(message('ok')),
        'not json',
        JSON.stringify({ v: 2, postId: 'p1' }),
        JSON.stringify(message('retry')),
        JSON.stringify(message('boom')),
      ),
    );

    expect(seen.map((m) => m.subscriberId)).toEqual(['ok', 'retry', 'boom']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(errors).toEqual(['invalid delivery message', 'invalid delivery message', 'delivery failed']);
  });
});
