/**
 * SES v1 `SendRawEmail` for newsletters, plus the account's `GetSendQuota`, cached.
 *
 * The SES client used for sending MUST be built with `maxAttempts: 1` (see {@link createSesSendClient}):
 * the SDK's own retries would resend after a timeout, when SES may already have accepted the message.
 * Retries happen in the send step, which knows from the ledger whether a retry is safe.
 */
import {
  GetSendQuotaCommand,
  SESClient,
  type SESClientConfig,
  SendRawEmailCommand,
} from '@aws-sdk/client-ses';
import type { RawSender } from '../app/send-batch.ts';
import type { SendQuota } from '../core/pacing.ts';

/**
 * An SES client that never retries on its own; pass `endpoint` for local stand-ins.
 * `cacheMiddleware` resolves the SDK's middleware stack once per command type instead of on every
 * `send` (about a fifth of the SDK's CPU per message); we never add per-call middleware.
 */
export function createSesSendClient(config: SESClientConfig = {}): SESClient {
  return new SESClient({ cacheMiddleware: true, ...config, maxAttempts: 1 });
}

/** Sends raw MIME through SES with the campaign's configuration set (for event publishing). */
export function createSesRawSender(options: {
  client: SESClient;
  configurationSetName?: string;
  /** Message tags for SES event publishing, e.g. `{ campaign: postId }` (values: [A-Za-z0-9_-]). */
  tags?: Record<string, string>;
}): RawSender {
  const tags = Object.entries(options.tags ?? {}).map(([Name, Value]) => ({ Name, Value }));
  return {
    async send(message) {
      // Errors pass through untouched: `classifySesError` reads their SES code and HTTP status.
      const out = await options.client.send(
        new SendRawEmailCommand({
          RawMessage: { Data: message.raw },
          Source: message.from,
          Destinations: [message.to],
          ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
          ...(tags.length > 0 ? { Tags: tags } : {}),
        }),
      );
      if (!out.MessageId) throw new Error('SES SendRawEmail returned no MessageId');
      return { messageId: out.MessageId };
    },
  };
}

/** Reads the account's send quota at most once per `ttlMs` (default five minutes). */
export function createSendQuotaSource(options: { client: SESClient; now: () => number; ttlMs?: number }): {
  get(): Promise<SendQuota>;
} {
  const ttlMs = options.ttlMs ?? 5 * 60 * 1000;
  let cached: { at: number; quota: Promise<SendQuota> } | undefined;
  return {
    get() {
      const now = options.now();
      if (!cached || now - cached.at > ttlMs) {
        const quota = options.client.send(new GetSendQuotaCommand({})).then((out) => ({
          maxSendRate: out.MaxSendRate ?? 1,
          max24HourSend: out.Max24HourSend ?? 200,
          sentLast24Hours: out.SentLast24Hours ?? 0,
        }));
        cached = { at: now, quota };
        // A failed read is not cached: the next call asks again.
        quota.catch(() => {
          if (cached?.quota === quota) cached = undefined;
        });
      }
      return cached.quota;
    },
  };
}
