/**
 * What `npm start` prints about the local cloud's work. It reads the publish use case's typed
 * outcomes (what was published, mailed, scheduled, or why not) and the errors that failed a
 * message, never log message text, so renaming a log line changes nothing here. Warnings and
 * errors of the other parts are printed compactly.
 */
import type { Log } from '../app/ports.ts';
import type { PublishOutcome } from '../app/publish-post.ts';
import type { DeliveryLog } from '../app/send-batch.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import type { PublishObserver } from '../handlers/publish.ts';
import type { LoggerLike } from '../wiring/subscription-deps.ts';

/** Where lines go. */
export interface ReporterOptions {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The reporter's sinks, handed to the wiring. */
export interface RuntimeReporter {
  /** Reads every publish message's outcomes or error. */
  publish: PublishObserver;
  /** The publish use case's log: warnings are printed, the rest is in the outcomes. */
  publishLog: Log;
  deliveryLog: DeliveryLog & { info(message: string, context: Record<string, unknown>): void };
  subscriptionLogger: LoggerLike;
  /** An error of a background part (`send`, `fan-out`, `scheduler`, …). */
  failure(what: string): (error: unknown) => void;
  /** A content event that went to the dead-letter list. */
  gaveUp(key: string, attempts: number): void;
  /** While quiet (the first sync), successful publishes are not printed one by one. */
  setQuiet(quiet: boolean): void;
  /** Posts whose last publish failed and have not been fixed since. */
  failedCount(): number;
}

/** A context object on one line, cut at 400 characters. */
export function compact(context: Record<string, unknown>): string {
  const text = JSON.stringify(context);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

function mailNote(outcome: Extract<PublishOutcome, { action: 'published' }>): string | undefined {
  const mail = outcome.mail;
  if (mail.mailed) return `mailing it to ${mail.recipients} confirmed subscriber(s)`;
  if (mail.detail !== undefined) return `not mailed: ${mail.detail}`;
  if (mail.reason === 'already-recorded') return 'not mailed again (one newsletter per post, ever)';
  return `not mailed (${mail.reason})`;
}

/** Builds the reporter. */
export function createRuntimeReporter({ out, err }: ReporterOptions): RuntimeReporter {
  let quiet = true;
  const failedKeys = new Map<string, string>();
  const printed = new Map<string, string>();
  const reportOnce = (key: string, lines: string[]) => {
    const text = lines.join('\n');
    if (printed.get(key) === text) return;
    printed.set(key, text);
    for (const line of lines) err(line);
  };

  const notPublished = (key: string, problems: string[]) => {
    failedKeys.set(key, problems[0] ?? 'invalid');
    reportOnce(key, [
      `${key} was not published; fix it and save again (everything else keeps running):`,
      ...problems.map((p) => `  ${p}`),
    ]);
  };

  const onOutcome = (outcome: PublishOutcome) => {
    if (outcome.action === 'ignored') return;
    if (outcome.action === 'refused') return notPublished(outcome.key, [formatProblem(outcome.problem)]);
    failedKeys.delete(outcome.key);
    printed.delete(outcome.key);
    if (quiet) return;
    if (outcome.action === 'published') {
      const note = mailNote(outcome);
      out(`published ${outcome.key}${note ? `; ${note}` : ''}`);
    } else if (outcome.action === 'unpublished') {
      out(`unpublished ${outcome.key} (its page and feed entries are gone)`);
    } else {
      out(`scheduled ${outcome.key} for ${outcome.at.toISOString()}; it is published and mailed then`);
    }
  };

  const onError = (error: unknown) => {
    if (error instanceof ContentError) {
      notPublished(error.problems[0]?.file ?? 'the content', error.problems.map(formatProblem));
      return;
    }
    const text = describe(error);
    // --reset deletes every subscriber: offer it only when the local data is what failed.
    const dataError = /^(SiteBucketError|PostIndexError|LocalDataError|LocalS3Error)\b/.test(text);
    reportOnce(`publish failed:${text}`, [
      `publish: publish failed: ${text}`,
      dataError
        ? '  If this keeps happening, the local data may be damaged: `herald dev --reset` starts fresh.'
        : '  Your content and data are unchanged; if this keeps happening, please report it.',
    ]);
  };

  return {
    publish: (result) => {
      if ('error' in result) onError(result.error);
      else for (const outcome of result.outcomes) onOutcome(outcome);
    },
    publishLog: {
      info: () => undefined,
      warn: (message, context) => err(`publish: ${message} ${compact(context)}`),
      // Every error that fails a message reaches `publish` as a typed error.
      error: () => undefined,
    },
    deliveryLog: {
      info: () => undefined,
      warn: (message, context) => err(`delivery: ${message} ${compact(context)}`),
      error: (message, context) => err(`delivery: ${message} ${compact(context)}`),
    },
    subscriptionLogger: {
      info: () => undefined,
      warn: (message: unknown, ...extra: unknown[]) =>
        err(`subscriptions: ${String(message)} ${compact({ extra })}`),
      error: (message: unknown, ...extra: unknown[]) =>
        err(`subscriptions: ${String(message)} ${compact({ extra })}`),
    },
    failure: (what) => (error) => err(`${what}: ${describe(error)}`),
    gaveUp: (key, attempts) =>
      err(
        `gave up on ${key} after ${attempts} attempts (it is in the dead-letter list); saving the file again retries it.`,
      ),
    setQuiet: (value) => {
      quiet = value;
    },
    failedCount: () => failedKeys.size,
  };
}
