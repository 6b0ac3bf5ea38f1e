/**
 * Classifies what SES (v1 API, `SendRawEmail`) answered, so the send step knows whether the message
 * was certainly not sent (safe to retry) or might have been (never retry), and what to do next.
 */

/**
 * - `throttled`: "Maximum sending rate exceeded" — back off with jitter and retry.
 * - `daily-quota`: "Daily message quota exceeded" — pause the campaign until the quota frees up.
 * - `halt`: the account or configuration cannot send at all (sending paused, suspended, bad
 *   configuration set, unverified sender, bad credentials) — halt the campaign and alarm.
 * - `rejected`: SES refused this one message (`MessageRejected`) — fail that recipient only.
 * - `retry`: SES answered with another error, so the message was not accepted — retry via the queue.
 * - `unknown-outcome`: no answer (timeout, connection reset): SES may have accepted it — never retry.
 */
export type SesErrorKind = 'throttled' | 'daily-quota' | 'halt' | 'rejected' | 'retry' | 'unknown-outcome';

/** The classification plus what to record. */
export interface SesErrorClass {
  kind: SesErrorKind;
  /** SES error code or Node error code, e.g. `Throttling`, `MessageRejected`, `ETIMEDOUT`. */
  code: string;
  message: string;
}

const HALT_CODES = new Set([
  'AccountSendingPausedException',
  'ConfigurationSetSendingPausedException',
  'ConfigurationSetDoesNotExistException',
  'MailFromDomainNotVerifiedException',
  'FromEmailAddressNotVerifiedException',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'OptInRequired',
]);

/** Errors raised before a request leaves this machine or reaches SES: certainly not sent. */
const NOT_SENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'CredentialsProviderError',
]);

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function statusCode(error: unknown): number | undefined {
  const metadata = field(error, '$metadata');
  const code =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as Record<string, unknown>).httpStatusCode
      : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** Classifies an error thrown by the SES client (or any error from the send call). */
export function classifySesError(error: unknown): SesErrorClass {
  const name = String(field(error, 'name') ?? 'Error');
  const errno = field(error, 'code');
  const code = typeof errno === 'string' && NOT_SENT_NETWORK_CODES.has(errno) ? errno : name;
  const message = String(field(error, 'message') ?? error);

  if (/daily message quota exceeded/i.test(message)) return { kind: 'daily-quota', code, message };
  if (
    name === 'Throttling' ||
    name === 'ThrottlingException' ||
    /maximum sending rate exceeded/i.test(message)
  ) {
    return { kind: 'throttled', code, message };
  }
  if (HALT_CODES.has(name) || /account.*(suspended|paused)|sending (is )?paused/i.test(message)) {
    return { kind: 'halt', code, message };
  }
  if (name === 'MessageRejected' || name === 'MessageRejectedException')
    return { kind: 'rejected', code, message };
  if (NOT_SENT_NETWORK_CODES.has(code)) return { kind: 'retry', code, message };
  // Any HTTP answer means SES processed the request and refused it.
  if (statusCode(error) !== undefined) return { kind: 'retry', code, message };
  return { kind: 'unknown-outcome', code, message };
}
