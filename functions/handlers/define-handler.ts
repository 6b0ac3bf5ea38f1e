/**
 * The one way every Lambda starts: `export const handler = defineHandler(loadConfig, build)`.
 *
 * - Inside Lambda, `loadConfig(process.env)` runs at module load, so a bad deploy fails the init
 *   phase naming the variable, and `build` starts during init too.
 * - Elsewhere (tests, bundling, the local runtime importing a factory) importing does nothing:
 *   config and dependencies are built on the first event.
 * - `build` runs once; its result serves every later event. A failed build (an unreadable secret,
 *   throttling) is retried on the next event instead of poisoning the container.
 * - `onError` maps an error the handler could not answer itself to a reply (HTTP edges answer 503);
 *   without it the error propagates, so queue retries and dead-letter queues work.
 */
import { createJsonLogger, type Logger } from '../adapters/json-logger.ts';

/** An environment as `process.env` holds it. */
export type Env = Record<string, string | undefined>;

/** A Lambda function body. */
export type LambdaFunction<E, R, X = unknown> = (event: E, context: X) => Promise<R>;

/** Options of {@link defineHandler}. */
export interface DefineHandlerOptions<E, R> {
  /** The environment to read. Default `process.env`. */
  env?: Env;
  /** Turns an unanswered error into a reply; without it the error is rethrown. */
  onError?: (error: unknown, event: E) => R;
}

/** Builds a Lambda entry point from a config loader and a builder of the event function. */
export function defineHandler<C, E, R, X = unknown>(
  loadConfig: (env: Env) => C,
  build: (config: C) => LambdaFunction<E, R, X> | Promise<LambdaFunction<E, R, X>>,
  options: DefineHandlerOptions<E, R> = {},
): LambdaFunction<E, R, X> {
  const env = options.env ?? process.env;
  let config: C | undefined;
  let built: Promise<LambdaFunction<E, R, X>> | undefined;
  const start = () => {
    built ??= (async () => {
      config ??= loadConfig(env);
      return build(config);
    })().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    config = loadConfig(env);
    start().catch(() => undefined); // surfaced by the first event instead
  }
  return async (event, context) => {
    try {
      return await (await start())(event, context);
    } catch (error) {
      if (!options.onError) throw error;
      return options.onError(error, event);
    }
  };
}

/** The structured logger of one service (`herald-delivery`, `herald-subscriptions`, …). */
export function serviceLogger(service: string): Logger {
  return createJsonLogger({ service });
}
