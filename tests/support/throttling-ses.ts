/**
 * A small in-process SES stand-in speaking the SES v1 query API for `SendRawEmail`, `SendEmail`
 * (confirmation links) and `GetSendQuota`. Unlike aws-ses-v2-local it enforces a maximum send rate (a token bucket holding
 * one second of sends) and can inject throttling, `MessageRejected`, daily-quota and
 * account-paused errors. It keeps the raw MIME of every accepted message, since the local SES
 * store drops custom headers of raw messages.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Behaviour knobs; all may be changed while running with `configure`. */
export interface ThrottlingSesOptions {
  /** Messages per second; undefined = unlimited (a no-op endpoint for benchmarks). */
  maxSendRate?: number;
  /** Reported by GetSendQuota. Default 50,000. */
  max24HourSend?: number;
  /** Fraction of SendRawEmail calls answered with Throttling at random. */
  throttleRatio?: number;
  /** Addresses answered with MessageRejected. */
  rejectAddresses?: ReadonlySet<string>;
  /** After this many accepted messages, answer "Daily message quota exceeded". */
  dailyQuotaAfter?: number;
  /** Answer AccountSendingPausedException. */
  accountPaused?: boolean;
  /** Keep the raw MIME of accepted messages. Default true. */
  keepRaw?: boolean;
  /** Source of randomness for `throttleRatio` (seed it for repeatable tests). */
  random?: () => number;
  /** Called for each request before it is answered (tests use it to act mid-mailing). */
  onSend?: (to: string) => void | Promise<void>;
}

/** One accepted message. */
export interface AcceptedMessage {
  messageId: string;
  to: string;
  configurationSet?: string;
  raw?: Buffer;
  /** When the stand-in accepted it: `performance.now()` (monotonic; for spacing, never a date). */
  at: number;
}

/** A running stand-in. */
export interface ThrottlingSes {
  endpoint: string;
  accepted: AcceptedMessage[];
  counts: {
    accepted: number;
    throttled: number;
    rateThrottled: number;
    rejected: number;
    quota: number;
    paused: number;
  };
  configure(options: Partial<ThrottlingSesOptions>): void;
  /** Forgets accepted messages and counts. */
  reset(): void;
  stop(): Promise<void>;
}

const NS = 'http://ses.amazonaws.com/doc/2010-12-01/';

function errorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Send-rate statistics over accept times (ms, ascending). */
export function timing(times: readonly number[]): {
  accepted: number;
  spanSeconds: number;
  ratePerSecond: number;
  maxInAnySecond: number;
} {
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  let maxInAnySecond = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[from] as number) >= 1000) from++;
    maxInAnySecond = Math.max(maxInAnySecond, i - from + 1);
  }
  const spanSeconds = (last - first) / 1000;
  return {
    accepted: times.length,
    spanSeconds,
    // n sends span n-1 gaps.
    ratePerSecond: spanSeconds > 0 ? (times.length - 1) / spanSeconds : 0,
    maxInAnySecond,
  };
}

/** Starts the stand-in on a free port. */
export async function startThrottlingSes(initial: ThrottlingSesOptions = {}): Promise<ThrottlingSes> {
  let options: ThrottlingSesOptions = { ...initial };
  let tokens = options.maxSendRate ?? 0;
  let refilledAt = performance.now();
  const accepted: AcceptedMessage[] = [];
  const counts = { accepted: 0, throttled: 0, rateThrottled: 0, rejected: 0, quota: 0, paused: 0 };
  // Accept times (ms, monotonic) for `GET /__timing`: the achieved rate between the first and the
  // last accepted message, and the most accepted in any sliding second (proof of "never above").
  let acceptTimes: number[] = [];

  function takeToken(): boolean {
    const rate = options.maxSendRate;
    if (rate === undefined) return true;
    const now = performance.now();
    const capacity = Math.max(1, rate);
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  function send(res: ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/__timing') {
      const json = JSON.stringify(timing(acceptTimes));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(json);
      return;
    }
    if (req.method === 'GET' && req.url === '/__counts') {
      const json = JSON.stringify(counts);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(json);
      return;
    }
    const params = new URLSearchParams(await readBody(req));
    const action = params.get('Action');
    if (action === 'GetSendQuota') {
      const sent = counts.accepted;
      send(
        res,
        200,
        `<GetSendQuotaResponse xmlns="${NS}"><GetSendQuotaResult><Max24HourSend>${options.max24HourSend ?? 50000}</Max24HourSend><MaxSendRate>${options.maxSendRate ?? 1000}</MaxSendRate><SentLast24Hours>${sent}</SentLast24Hours></GetSendQuotaResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetSendQuotaResponse>`,
      );
      return;
    }
    if (action !== 'SendRawEmail' && action !== 'SendEmail') {
      send(res, 400, errorXml('InvalidAction', `unsupported action ${action}`));
      return;
    }
    const raw = action === 'SendRawEmail';
    const to = params.get(raw ? 'Destinations.member.1' : 'Destination.ToAddresses.member.1') ?? '';
    await options.onSend?.(to);
    if (options.accountPaused) {
      counts.paused++;
      send(res, 400, errorXml('AccountSendingPausedException', 'Account sending paused.'));
      return;
    }
    if (options.dailyQuotaAfter !== undefined && counts.accepted >= options.dailyQuotaAfter) {
      counts.quota++;
      send(res, 400, errorXml('Throttling', 'Daily message quota exceeded.'));
      return;
    }
    if (options.throttleRatio && (options.random ?? Math.random)() < options.throttleRatio) {
      counts.throttled++;
      send(res, 400, errorXml('Throttling', 'Maximum sending rate exceeded.'));
      return;
    }
    if (!takeToken()) {
      counts.throttled++;
      counts.rateThrottled++;
      send(res, 400, errorXml('Throttling', 'Maximum sending rate exceeded.'));
      return;
    }
    if (options.rejectAddresses?.has(to)) {
      counts.rejected++;
      send(res, 400, errorXml('MessageRejected', 'Email address is not verified.'));
      return;
    }
    const data = raw
      ? params.get('RawMessage.Data')
      : Buffer.from(
          `Subject: ${params.get('Message.Subject.Data') ?? ''}\n\n${params.get('Message.Body.Text.Data') ?? ''}`,
        ).toString('base64');
    if (!data) {
      send(res, 400, errorXml('InvalidParameterValue', 'RawMessage.Data is required'));
      return;
    }
    const messageId = `0100${randomUUID()}-000000`;
    const configurationSet = params.get('ConfigurationSetName') ?? undefined;
    accepted.push({
      messageId,
      to,
      at: performance.now(),
      ...(configurationSet ? { configurationSet } : {}),
      ...(options.keepRaw === false ? {} : { raw: Buffer.from(data, 'base64') }),
    });
    counts.accepted++;
    acceptTimes.push(performance.now());
    send(
      res,
      200,
      `<${action}Response xmlns="${NS}"><${action}Result><MessageId>${messageId}</MessageId></${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, errorXml('InternalFailure', String(error))));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted,
    counts,
    configure(next) {
      options = { ...options, ...next };
      if (next.maxSendRate !== undefined) {
        tokens = next.maxSendRate;
        refilledAt = performance.now();
      }
    },
    reset() {
      accepted.length = 0;
      acceptTimes = [];
      for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
