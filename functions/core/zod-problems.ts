import type { z } from 'zod';
import type { ContentProblem } from './errors.ts';

/** Where the validated data came from, so each problem can name the file, line and field. */
export interface ProblemSource {
  file: string;
  /** The data that was validated, to quote the offending value. */
  data: unknown;
  /** Line of a field path in the file, if known. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
  /** Maps a validated path to the path the author wrote (e.g. adds a `herald.` prefix). Default: unchanged. */
  sourcePath?(path: readonly PropertyKey[]): readonly PropertyKey[];
  /** Line used when the field's own line is unknown. */
  fallbackLine?: number;
}

/**
 * Turns zod issues into content problems that name the file, line, field (`newsletter.from_address`,
 * `author[1].email`) and the value found, because "expected string" alone does not tell an author what to fix.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  source: ProblemSource,
): ContentProblem[] {
  return issues.map((issue) => {
    const written = source.sourcePath ? source.sourcePath(issue.path) : issue.path;
    const value = valueAt(source.data, issue.path);
    const line = source.lineOf(written) ?? source.fallbackLine;
    // zod only complains about an absent value when the field is required.
    const message =
      value === undefined
        ? 'is required'
        : `${issue.message.replace(/^Invalid input: /, '')} (got ${quote(value)})`;
    return { file: source.file, ...(line === undefined ? {} : { line }), field: fieldName(written), message };
  });
}

/** Formats a path the way authors read it: `newsletter.from_address`, `author[1].email`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`,
    )
    .join('');
}

/** A short, unambiguous rendering of a value for messages. */
export function quote(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}
