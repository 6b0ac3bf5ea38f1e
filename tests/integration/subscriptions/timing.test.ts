import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { freshAddress, type Harness, startHarness } from './harness.ts';

const ROUNDS = 50;
const WARM_UP = 20;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function confirmed(email: string, now: Date): Subscriber {
  return {
    id: randomUUID(),
    email,
    addressHash: addressHash(email),
    status: 'confirmed',
    createdAt: now,
    updatedAt: now,
    confirmedAt: now,
    softBounces: 0,
    consent: { at: now, source: 'test', method: 'double-opt-in', ip: '192.0.2.1', textVersion: '1' },
    version: 1,
  };
}

async function timed(h: Harness, email: string, round: number): Promise<number> {
  const started = performance.now();
  const response = await h.subscribe({ email, ip: `198.51.100.${round % 250}` });
  const took = performance.now() - started;
  expect(response.statusCode).toBe(200);
  return took;
}

describe('sign-up timing (issue 11 item 5)', () => {
  it('answers new and already-subscribed addresses alike: median latencies within 1.2x over 50 each', async () => {
    const h = await startHarness({ holdConfirmations: true });
    const known = Array.from({ length: ROUNDS + WARM_UP }, () => freshAddress('known'));
    for (const email of known) await h.store.save(confirmed(email, h.clock.now));
    const fresh = Array.from({ length: ROUNDS + WARM_UP }, () => freshAddress('new'));
    const times = { fresh: [] as number[], known: [] as number[] };

    for (let round = 0; round < ROUNDS + WARM_UP; round++) {
      // Alternate which goes first, so a slow moment of a loaded machine hits both sides alike.
      const order = round % 2 === 0 ? (['fresh', 'known'] as const) : (['known', 'fresh'] as const);
      for (const side of order) {
        const email = (side === 'fresh' ? fresh : known)[round] as string;
        const took = await timed(h, email, round);
        if (round >= WARM_UP) times[side].push(took);
      }
    }

    const ratio = median(times.fresh) / median(times.known);
    expect(
      ratio,
      `median new ${median(times.fresh).toFixed(2)} ms, known ${median(times.known).toFixed(2)} ms`,
    ).toBeLessThanOrEqual(1.2);
    expect(ratio).toBeGreaterThanOrEqual(1 / 1.2);
    h.deps.confirmationQueue.start();
    await h.deps.confirmationQueue.idle();
    const mailed = await Promise.all([...fresh.slice(0, 3), ...known.slice(0, 3)].map((e) => h.emailsTo(e)));
    expect(mailed.map((m) => m.length)).toEqual([1, 1, 1, 0, 0, 0]);
  });
});
