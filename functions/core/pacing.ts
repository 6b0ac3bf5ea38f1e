/**
 * Rate maths for sending through SES: how many sends a global window may hold, where each send
 * sits inside its window, and how long to back off. Pure; randomness comes in as an argument.
 */

/** The account's limits, from SES `GetSendQuota`. */
export interface SendQuota {
  /** Messages per second the account may send. */
  maxSendRate: number;
  /** Messages per rolling 24 hours; -1 means unlimited. */
  max24HourSend: number;
  sentLast24Hours: number;
}

/** Tuning for {@link rateWindow}. */
export interface PacingOptions {
  /** Fraction of the account rate the newsletter may use (other mail shares the account). Default 1. */
  share?: number;
  /** Headroom below the limit, for clock skew between workers. Default {@link DEFAULT_SAFETY_FACTOR}. */
  safetyFactor?: number;
}

/**
 * Default headroom, the one value for AWS (`herald:sesRateSafetyFactor`, `SEND_SAFETY_FACTOR`),
 * the local runtime and the tests: sends are evenly spaced on one global grid and every slot is
 * leased through one atomic counter, so a small margin for clock skew between workers is enough.
 */
export const DEFAULT_SAFETY_FACTOR = 0.98;

/** Default share of the account rate the newsletter may use: all of it. */
export const DEFAULT_RATE_SHARE = 1;

/**
 * How many sends run at once, in one home: `send` Lambda instances (reserved concurrency and the
 * SQS event source's maximum concurrency), messages per SQS batch, and recipients of one batch in
 * flight inside an invocation. The pace itself is set by the rate gate, not by these.
 */
export const SEND_CONCURRENCY = {
  /** `send` Lambda instances at once on AWS. */
  lambdas: 10,
  /** Delivery messages per SQS batch. */
  batchSize: 10,
  /** Recipients of one batch handled at once. */
  perBatch: 10,
  /** `send` handler calls at once in the local runtime (dynalite is single-threaded). */
  local: 4,
} as const;

/**
 * A fixed window shared by all workers. `perWindow` may be fractional (13.72/s): window `n` holds
 * `floor((n+1)·perWindow) − floor(n·perWindow)` slots (see {@link windowLimit}), so the long-run
 * rate is exact. Every slot has its own start time `slotMs` apart on one global grid, so sends are
 * evenly spaced rather than bursting at window start.
 */
export interface RateWindow {
  windowMs: number;
  perWindow: number;
  slotMs: number;
  /** The effective rate, messages per second. */
  ratePerSecond: number;
}

/** Thrown when the quota or options make no sense (a zero rate would never send). */
export class PacingError extends Error {
  override name = 'PacingError';
}

/**
 * The window for `maxSendRate × share × safetyFactor`. Rates of at least 1/s use one-second
 * windows; slower rates (the SES sandbox allows 1/s) use a window long enough to hold one send.
 */
export function rateWindow(quota: Pick<SendQuota, 'maxSendRate'>, options: PacingOptions = {}): RateWindow {
  const share = options.share ?? DEFAULT_RATE_SHARE;
  const safety = options.safetyFactor ?? DEFAULT_SAFETY_FACTOR;
  if (!(share > 0 && share <= 1)) throw new PacingError(`pacing share must be in (0, 1], got ${share}`);
  if (!(safety > 0 && safety <= 1))
    throw new PacingError(`pacing safetyFactor must be in (0, 1], got ${safety}`);
  if (!(quota.maxSendRate > 0))
    throw new PacingError(`SES maxSendRate must be positive, got ${quota.maxSendRate}`);
  const rate = quota.maxSendRate * share * safety;
  if (rate >= 1) return { windowMs: 1000, perWindow: rate, slotMs: 1000 / rate, ratePerSecond: rate };
  const windowMs = Math.ceil(1000 / rate);
  return { windowMs, perWindow: 1, slotMs: windowMs, ratePerSecond: 1000 / windowMs };
}

/** Start of the window holding `atMs`. */
export function windowStart(atMs: number, window: RateWindow): number {
  return Math.floor(atMs / window.windowMs) * window.windowMs;
}

/**
 * Which slots a lease got, from the counter value after an atomic `ADD requested`. The counter may
 * overshoot the limit (an unconditional ADD is one write and never fails); slots past the limit are
 * simply not granted. Returns the first slot index and how many were granted (possibly 0).
 */
export function grantedSlots(
  counterAfter: number,
  requested: number,
  window: RateWindow,
  startMs = 0,
): { first: number; granted: number } {
  const first = counterAfter - requested;
  const granted = Math.max(0, Math.min(requested, windowLimit(startMs, window) - first));
  return { first, granted };
}

/** Slots before the window starting at `startMs`, on the global grid. */
function slotsBefore(startMs: number, window: RateWindow): number {
  return Math.floor(Math.round(startMs / window.windowMs) * window.perWindow + 1e-9);
}

/** How many sends the window starting at `startMs` may hold (whole; fractional rates spread out). */
export function windowLimit(startMs: number, window: RateWindow): number {
  return slotsBefore(startMs + window.windowMs, window) - slotsBefore(startMs, window);
}

/** When the send holding slot `index` of the window starting at `startMs` may start. */
export function slotTime(startMs: number, index: number, window: RateWindow): number {
  const ideal = (slotsBefore(startMs, window) + index) * window.slotMs;
  // Never before the window itself (rounding at the grid's edge).
  return Math.max(startMs, ideal);
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base × 2^attempt)). */
export function backoffDelay(
  attempt: number,
  options: { baseMs?: number; capMs?: number; random: () => number },
): number {
  const base = options.baseMs ?? 100;
  const cap = options.capMs ?? 10_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.floor(options.random() * ceiling);
}

/**
 * When a campaign paused by "Daily message quota exceeded" should try again. SES counts a rolling
 * 24 hours, so capacity comes back gradually: retry after `retryMs` (default one hour) rather than
 * waiting a whole day.
 */
export function dailyQuotaResumeAt(now: Date, options: { retryMs?: number } = {}): Date {
  return new Date(now.getTime() + (options.retryMs ?? 60 * 60 * 1000));
}

/** SQS caps a message delay at 15 minutes; longer waits are re-delayed on each receipt. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** Delay, in whole seconds within SQS limits, until `until`. */
export function queueDelaySeconds(now: Date, until: Date): number {
  const seconds = Math.ceil((until.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, seconds));
}
