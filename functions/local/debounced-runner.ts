/**
 * Runs a job after changes settle, one run at a time: changes during a run cause exactly one more
 * run after it, never two at once. `herald dev`'s rebuild and the content watcher's upload share it.
 */
export interface DebouncedRunner {
  /** A change: (re)starts the debounce timer. Ignored after `close`. */
  trigger(): void;
  /** Resolves once no run is pending or running. */
  idle(): Promise<void>;
  /** Stops triggering and waits for a run in progress. */
  close(): Promise<void>;
}

/** `run` must handle its own errors; a rejection would end the current round of runs. */
export function createDebouncedRunner(run: () => Promise<unknown>, debounceMs: number): DebouncedRunner {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const pass = () => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await run();
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
  };
  return {
    trigger() {
      if (closed) return;
      clearTimeout(timer);
      timer = setTimeout(pass, debounceMs);
    },
    async idle() {
      while (timer || running) {
        if (running) await running.catch(() => undefined);
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
