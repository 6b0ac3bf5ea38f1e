import { isDeepStrictEqual } from 'node:util';

/**
 * Keeps text derived from a text between runs (the CLI's build cache): the stored result of `compute` for
 * `input` under `kind`, or `compute()`'s. It must be given pure steps only; `compute` may throw, and then
 * nothing is kept.
 */
export type TextMemo = (kind: string, input: string, compute: () => string) => string;

/** Stored for a value JSON cannot hold exactly: it is computed every time. */
const NOT_JSON = '\u0000';

/**
 * `compute()` through `memo`, kept as JSON: `revive` turns parsed JSON back into the value (Dates, say).
 * A value that does not come back exactly equal is not kept, so a kept value is always the computed one.
 */
export function memoJson<T>(
  memo: TextMemo,
  kind: string,
  key: string,
  compute: () => T,
  revive: (json: unknown) => T = (json) => json as T,
): T {
  let computed: { value: T } | undefined;
  const stored = memo(kind, key, () => {
    computed = { value: compute() };
    const json = JSON.stringify(computed.value) as string | undefined;
    if (json === undefined) return NOT_JSON;
    return isDeepStrictEqual(revive(JSON.parse(json)), computed.value) ? json : NOT_JSON;
  });
  if (stored === NOT_JSON) return (computed ?? { value: compute() }).value;
  return computed ? computed.value : revive(JSON.parse(stored));
}

/** JSON that tells a Date from the text of its ISO form, for memo keys. */
export function exactJson(value: unknown): string {
  // A replacer makes JSON.stringify call back into JavaScript for every key: only a value that may hold
  // a Date needs one (posts' front matter holds none; their dates sit in a few known fields).
  if (plainJson(value, 0)) return JSON.stringify(value);
  return JSON.stringify(value, function (this: Record<string, unknown>, key, json: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { date: raw.getTime() } : json;
  });
}

/** Whether JSON.stringify reads `value` without meeting a Date or another `toJSON` (which could return one). */
function plainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth > 32 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainJson(item, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && !plainJson((value as Record<string, unknown>)[key], depth + 1)) {
      return false;
    }
  }
  return true;
}
