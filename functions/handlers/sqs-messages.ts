/**
 * Reading SQS records whose bodies are JSON messages of one schema. A body that does not parse or
 * validate cannot be fixed by retrying: it is logged and reported as a batch item failure, so after
 * maxReceiveCount it lands in the dead-letter queue for a human.
 */
import type { SQSEvent } from 'aws-lambda';

/** What `safeParse` of a zod (or zod/mini) schema returns, narrowed to what we read. */
type SafeParse<T> = (value: unknown) => { success: true; data: T } | { success: false };

/** The valid messages with their SQS ids, and the ids of the invalid ones. */
export interface ParsedMessages<T> {
  valid: { messageId: string; message: T }[];
  invalid: string[];
}

/** Parses and validates every record; logs each invalid one under `label`. */
export function parseSqsMessages<T>(
  event: SQSEvent,
  schema: { safeParse: SafeParse<T> },
  log: { error(message: string, context: Record<string, unknown>): void },
  label: string,
): ParsedMessages<T> {
  const result: ParsedMessages<T> = { valid: [], invalid: [] };
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = schema.safeParse(body);
    if (parsed.success) {
      result.valid.push({ messageId: record.messageId, message: parsed.data });
    } else {
      log.error(label, { messageId: record.messageId, body: record.body.slice(0, 200) });
      result.invalid.push(record.messageId);
    }
  }
  return result;
}

/** How a handler names an error in a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
