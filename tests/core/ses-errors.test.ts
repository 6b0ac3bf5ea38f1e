import { describe, expect, it } from 'vitest';
import { classifySesError } from '../../functions/core/ses-errors.ts';

/** An error shaped like the AWS SDK's service exceptions. */
function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });
}

describe('classifySesError', () => {
  it('retries throttling with backoff', () => {
    expect(classifySesError(sdkError('Throttling', 'Maximum sending rate exceeded.'))).toMatchObject({
      kind: 'throttled',
      code: 'Throttling',
    });
  });

  it('pauses on the daily quota, which SES also reports as Throttling', () => {
    expect(classifySesError(sdkError('Throttling', 'Daily message quota exceeded.')).kind).toBe(
      'daily-quota',
    );
  });

  it('halts on account-level errors', () => {
    for (const name of ['AccountSendingPausedException', 'ConfigurationSetSendingPausedException']) {
      expect(classifySesError(sdkError(name, 'paused')).kind).toBe('halt');
    }
    expect(classifySesError(sdkError('MessageRejected', 'Your account has been suspended.')).kind).toBe(
      'halt',
    );
  });

  it('fails only the recipient on MessageRejected', () => {
    expect(classifySesError(sdkError('MessageRejected', 'Email address is not verified.'))).toMatchObject({
      kind: 'rejected',
      message: 'Email address is not verified.',
    });
  });

  it('retries other answers from SES through the queue', () => {
    expect(classifySesError(sdkError('InternalFailure', 'oops', 500)).kind).toBe('retry');
  });

  it('retries when the request never left (connection refused)', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifySesError(error)).toMatchObject({ kind: 'retry', code: 'ECONNREFUSED' });
  });

  it('treats a lost answer (timeout, reset) as an unknown outcome: never retried', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifySesError(reset).kind).toBe('unknown-outcome');
    expect(classifySesError(Object.assign(new Error('timed out'), { name: 'TimeoutError' })).kind).toBe(
      'unknown-outcome',
    );
  });
});
