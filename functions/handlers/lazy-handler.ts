/**
 * Lambda entry points that build their configuration and clients on the first event, so importing a
 * handler module (tests, bundling, the local runtime) does no I/O and reads no environment.
 */
import { createJsonLogger, type Logger } from '../adapters/json-logger.ts';

/** The structured logger the delivery Lambdas share. */
export function createDeliveryLogger(): Logger {
  return createJsonLogger({ service: 'herald-delivery' });
}

/**
 * Wraps an async handler builder: it runs once, on the first event, and its result serves every
 * later event. A failed build (bad environment, unreadable secret) is retried on the next event.
 */
export function lazyHandler<E, C, R>(
  build: () => Promise<(event: E, context: C) => Promise<R>>,
): (event: E, context: C) => Promise<R> {
  let built: Promise<(event: E, context: C) => Promise<R>> | undefined;
  return async (event, context) => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(event, context);
  };
}
