import { describe, expect, it } from 'vitest';
import { createDebouncedRunner } from '../../functions/local/debounced-runner.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('debounced runner', () => {
  it('runs once after a burst of changes settles', async () => {
    let runs = 0;
    const runner = createDebouncedRunner(async () => {
      runs++;
    }, 20);
    for (let i = 0; i < 5; i++) runner.trigger();
    await runner.idle();
    expect(runs).toBe(1);
  });

  it('never overlaps runs: changes during a run cause exactly one more run after it', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const runner = createDebouncedRunner(async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
      active--;
    }, 5);
    runner.trigger();
    await sleep(30); // the first run is now waiting
    runner.trigger();
    await sleep(30);
    runner.trigger();
    await sleep(30);
    release();
    await runner.idle();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('ignores changes after close and waits for the run in progress', async () => {
    let finished = 0;
    const runner = createDebouncedRunner(async () => {
      await sleep(30);
      finished++;
    }, 5);
    runner.trigger();
    await sleep(15);
    await runner.close();
    expect(finished).toBe(1);
    runner.trigger();
    await sleep(30);
    expect(finished).toBe(1);
  });
});
