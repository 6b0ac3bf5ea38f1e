/**
 * A send-rate gate shared by every worker through one atomic counter per window (DynamoDB in the
 * cloud). Each worker leases small blocks of slots; each slot has its own start time inside the
 * window, so sends across all workers are evenly spaced and their total stays at or under the rate.
 * Pure over its ports: the clock, the sleep and the counter come in as arguments.
 */
import { grantedSlots, type RateWindow, slotTime, windowStart } from './pacing.ts';

/** Atomically adds `n` to the counter of the window starting at `windowStartMs`; returns the new value. */
export interface SlotCounter {
  add(windowStartMs: number, n: number): Promise<number>;
}

/** Waits for a send slot; resolve means "send now". */
export interface RateGate {
  acquire(): Promise<void>;
}

/** Wiring for {@link createRateGate}. */
export interface RateGateOptions {
  counter: SlotCounter;
  /** The current window (re-read on every lease, so a new SES quota applies without restart). */
  window: () => RateWindow | Promise<RateWindow>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Most slots one lease asks for; small, so a worker never hoards what others could use. Default 10. */
  maxLease?: number;
  /** How many windows ahead a worker may reserve when the current one is full. Default 2. */
  lookahead?: number;
  /**
   * A slot whose time passed more than this long ago is dropped, not used. Default 100 ms.
   * Sending on a stale slot would bunch sends together (a campaign starting mid-window finds the
   * window's early slots already past; a CPU-starved worker wakes up late with several slots due);
   * bunched sends can exceed the rate over a sliding second even though each window's count is
   * right. A dropped slot only lowers the rate.
   */
  maxLateMs?: number;
}

/** Builds a gate for one worker process. */
export function createRateGate(options: RateGateOptions): RateGate {
  const maxLease = options.maxLease ?? 10;
  const lookahead = options.lookahead ?? 2;
  const maxLateMs = options.maxLateMs ?? 100;
  const slots: number[] = [];
  let waiting = 0;
  let leasing: Promise<void> | undefined;

  async function lease(n: number): Promise<void> {
    const window = await options.window();
    const current = windowStart(options.now(), window);
    for (let ahead = 0; ahead <= lookahead; ahead++) {
      const start = current + ahead * window.windowMs;
      const after = await options.counter.add(start, n);
      const { first, granted } = grantedSlots(after, n, window, start);
      if (granted > 0) {
        for (let i = 0; i < granted; i++) slots.push(slotTime(start, first + i, window));
        slots.sort((a, b) => a - b);
        return;
      }
    }
    // Every window we may reserve is full: wait for the next one to open.
    await options.sleep(Math.max(1, current + window.windowMs - options.now()));
  }

  return {
    async acquire() {
      waiting++;
      let at: number;
      try {
        for (;;) {
          while (slots.length === 0) {
            if (!leasing) {
              leasing = lease(Math.min(maxLease, waiting)).finally(() => {
                leasing = undefined;
              });
            }
            await leasing;
          }
          at = slots.shift() as number;
          if (options.now() - at <= maxLateMs) break;
        }
      } finally {
        waiting--;
      }
      const delay = at - options.now();
      if (delay > 0) await options.sleep(delay);
    },
  };
}
