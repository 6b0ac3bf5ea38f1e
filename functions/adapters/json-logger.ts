/**
 * Structured logs for the Lambdas: one JSON object per line, `{ level, message, service,
 * timestamp, ...context }`, which CloudWatch Logs Insights and the metric filters in
 * infra/constructs/operations.ts read (`$.message = "campaign halted"`).
 *
 * Herald used Powertools Logger for exactly this. Every function bundle paid ~21 KB and a few
 * milliseconds of cold start for it, and the send function went over its 500 KB budget; Herald
 * needs none of its other features (sampling, context injection, custom formatters).
 *
 * The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's application log level) or `LOG_LEVEL`;
 * the default is INFO.
 */

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What handlers log with. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Errors (also nested ones and causes) become plain objects; cycles and bigints cannot throw. */
function replacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) {
      const { name, message, stack, cause, ...own } = value as Error & Record<string, unknown>;
      return { ...own, name, message, stack, ...(cause === undefined ? {} : { cause }) };
    }
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
}

function parseLevel(value: string | undefined): LogLevel | undefined {
  const upper = value?.trim().toUpperCase();
  if (upper === 'TRACE') return 'DEBUG';
  if (upper === 'FATAL') return 'ERROR';
  return LOG_LEVELS.find((level) => level === upper);
}

/** Builds a logger for one service; `write` defaults to stdout (DEBUG, INFO) and stderr (WARN, ERROR). */
export function createJsonLogger(options: {
  service: string;
  level?: LogLevel;
  env?: Record<string, string | undefined>;
  now?: () => Date;
  write?: (level: LogLevel, line: string) => void;
}): Logger {
  const env = options.env ?? process.env;
  const threshold = LOG_LEVELS.indexOf(
    options.level ?? parseLevel(env.AWS_LAMBDA_LOG_LEVEL) ?? parseLevel(env.LOG_LEVEL) ?? 'INFO',
  );
  const now = options.now ?? (() => new Date());
  const write =
    options.write ??
    ((level: LogLevel, line: string) =>
      (level === 'WARN' || level === 'ERROR' ? process.stderr : process.stdout).write(line));
  const log =
    (level: LogLevel) =>
    (message: string, context: Record<string, unknown> = {}): void => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const entry = {
        ...context,
        level,
        message,
        service: options.service,
        timestamp: now().toISOString(),
      };
      write(level, `${JSON.stringify(entry, replacer())}\n`);
    };
  return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** A logger that writes nothing (tests, tools that report by other means). */
export function silentLogger(service = 'herald'): Logger {
  return createJsonLogger({ service, level: 'SILENT' });
}
