import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  dailyQuotaResumeAt,
  grantedSlots,
  PacingError,
  queueDelaySeconds,
  rateWindow,
  slotTime,
  windowLimit,
  windowStart,
} from '../../functions/core/pacing.ts';
import { createRateGate } from '../../functions/core/rate-gate.ts';

describe('rateWindow', () => {
  it('takes the share of the SES max rate times the safety factor, per one-second window', () => {
    const window = rateWindow({ maxSendRate: 200 }, { share: 0.5, safetyFactor: 0.9 });
    expect(window).toEqual({ windowMs: 1000, perWindow: 90, slotMs: 1000 / 90, ratePerSecond: 90 });
  });

  it('keeps fractional rates exact over time by spreading whole slots across windows', () => {
    const window = rateWindow({ maxSendRate: 14 }, { safetyFactor: 0.98 });
    expect(window.ratePerSecond).toBeCloseTo(13.72);
    let total = 0;
    for (let second = 0; second < 100; second++) {
      const limit = windowLimit(second * 1000, window);
      expect([13, 14]).toContain(limit);
      total += limit;
    }
    expect(total).toBe(1372);
  });

  it('uses a longer window for rates under one per second (SES sandbox)', () => {
    const window = rateWindow({ maxSendRate: 1 }, { safetyFactor: 0.5 });
    expect(window).toMatchObject({ windowMs: 2000, perWindow: 1, slotMs: 2000 });
    expect(window.ratePerSecond).toBeLessThanOrEqual(0.5);
  });

  it('rejects nonsense rates and factors', () => {
    expect(() => rateWindow({ maxSendRate: 0 })).toThrow(PacingError);
    expect(() => rateWindow({ maxSendRate: 10 }, { safetyFactor: 1.5 })).toThrow(/safetyFactor/);
    expect(() => rateWindow({ maxSendRate: 10 }, { share: 0 })).toThrow(/share/);
  });
});

describe('slots', () => {
  it('grants what fits under the limit from the counter value after ADD', () => {
    const window = rateWindow({ maxSendRate: 10 }, { safetyFactor: 1 });
    expect(grantedSlots(4, 4, window)).toEqual({ first: 0, granted: 4 });
    expect(grantedSlots(12, 4, window, 5000)).toEqual({ first: 8, granted: 2 });
    expect(grantedSlots(20, 4, window)).toEqual({ first: 16, granted: 0 });
  });

  it('spaces slots evenly across the window', () => {
    const window = rateWindow({ maxSendRate: 10 }, { safetyFactor: 1 });
    expect(windowStart(12_345, window)).toBe(12_000);
    expect(slotTime(12_000, 0, window)).toBe(12_000);
    expect(slotTime(12_000, 5, window)).toBe(12_500);
  });
});

describe('backoffDelay', () => {
  it('uses full jitter below an exponential ceiling', () => {
    expect(backoffDelay(0, { baseMs: 100, random: () => 0.5 })).toBe(50);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.999 })).toBe(799);
    expect(backoffDelay(0, { random: () => 0 })).toBe(0);
  });

  it('caps the ceiling', () => {
    expect(backoffDelay(30, { baseMs: 100, capMs: 2000, random: () => 0.5 })).toBe(1000);
  });
});

describe('pauses', () => {
  it('resumes after the daily quota after an hour by default', () => {
    const now = new Date('2026-03-14T12:00:00Z');
    expect(dailyQuotaResumeAt(now).toISOString()).toBe('2026-03-14T13:00:00.000Z');
  });

  it('clamps queue delays to what SQS allows', () => {
    const now = new Date('2026-03-14T12:00:00Z');
    expect(queueDelaySeconds(now, new Date('2026-03-14T13:00:00Z'))).toBe(900);
    expect(queueDelaySeconds(now, new Date('2026-03-14T12:00:01.200Z'))).toBe(2);
    expect(queueDelaySeconds(now, new Date('2026-03-14T11:00:00Z'))).toBe(0);
  });
});

describe('createRateGate', () => {
  /** A fake clock that advances only when someone sleeps. */
  function fakeTime(start: number) {
    let now = start;
    return {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    };
  }

  it('never lets more than the limit start in any window across two workers sharing a counter', async () => {
    const time = fakeTime(1_000_000);
    const counters = new Map<number, number>();
    const counter = {
      add: async (start: number, n: number) => {
        const value = (counters.get(start) ?? 0) + n;
        counters.set(start, value);
        return value;
      },
    };
    const window = rateWindow({ maxSendRate: 10 }, { safetyFactor: 1 });
    const gates = [0, 1].map(() =>
      createRateGate({ counter, window: () => window, now: time.now, sleep: time.sleep, maxLease: 3 }),
    );
    const starts: number[] = [];
    for (let i = 0; i < 50; i++) {
      await (gates[i % 2] as (typeof gates)[number]).acquire();
      starts.push(time.now());
    }
    const perWindow = new Map<number, number>();
    for (const t of starts)
      perWindow.set(Math.floor(t / 1000), (perWindow.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(10);
    expect(starts).toHaveLength(50);
  });

  it('drops slots that are already past instead of sending them in a burst (campaign starting mid-window)', async () => {
    // 10/s → one slot every 100 ms; the first send comes 750 ms into a fresh window.
    const time = fakeTime(1_000_750);
    const counters = new Map<number, number>();
    const counter = {
      add: async (start: number, n: number) => {
        const value = (counters.get(start) ?? 0) + n;
        counters.set(start, value);
        return value;
      },
    };
    const window = rateWindow({ maxSendRate: 10 }, { safetyFactor: 1 });
    const gate = createRateGate({ counter, window: () => window, now: time.now, sleep: time.sleep });
    const starts: number[] = [];

    for (let i = 0; i < 6; i++) {
      await gate.acquire();
      starts.push(time.now());
    }

    // The slots at 0–600 ms had passed and were skipped; 700 ms (50 ms late) is still used.
    expect(starts).toEqual([1_000_750, 1_000_800, 1_000_900, 1_001_000, 1_001_100, 1_001_200]);
  });
});
