/**
 * A clock for tests that starts at a fixed instant and then advances with real elapsed time, so
 * timers, pacing windows and timeouts behave while the date and hour are the same on every run.
 */
export function clockFrom(start: string | Date): () => Date {
  const origin = new Date(start).getTime();
  const t0 = performance.now();
  return () => new Date(origin + (performance.now() - t0));
}
