/**
 * The data of a YAML document in the flat shape most front matter has, or undefined for anything else
 * (which the `yaml` library then parses, and reports if it is wrong). The shape: one `key: value` per
 * line, at the left margin, keys of ASCII letters, digits, `_` and `-`, each key once; blank lines and
 * whole-line comments; values that are empty, plain words, strings in double quotes without escapes or
 * in single quotes without `''`, or flow lists (`[a, "b c"]`) of those.
 *
 * The result is what `yaml`'s core schema gives for the same text (plain words resolved as null, booleans,
 * integers, floats or strings by the same patterns, keys in the same order, a key named like an
 * `Object.prototype` property kept as the object's own). tests/core/simple-yaml.test.ts compares the two on
 * generated documents. The `yaml` library takes about 80 µs per post's front matter here, a second and a
 * half of a cold 10,000-post build; this takes a few.
 */
export function readSimpleYaml(text: string): Record<string, unknown> | undefined {
  if (UNSAFE.test(text)) return undefined;
  const data: Record<string, unknown> = {};
  let keys = 0;
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    const key = m[1] as string;
    if (seen.has(key) || RESERVED_KEY.test(key)) return undefined;
    seen.add(key);
    const value = lineValue(m[2] ?? '');
    if (value === DECLINED) return undefined;
    // As the yaml library stores a key: assigned, or defined when the name is inherited (`constructor`).
    if (key in data) {
      Object.defineProperty(data, key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      data[key] = value;
    }
    keys++;
  }
  return keys > 0 ? data : undefined;
}

/** Returned by the value readers for text outside the shape. */
const DECLINED = Symbol('declined');

/**
 * Characters the shape leaves to the yaml library: tabs, carriage returns and other controls, what YAML
 * 1.1 took for line breaks, the byte order mark, non-characters, and lone or paired surrogates.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF\uD800-\uDFFF]/;

/** `key:` at the margin, then the value after blanks (trailing blanks dropped). */
const LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*?))? *$/;

/** Keys the core schema reads as null or a boolean, not as a string. */
const RESERVED_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;

/**
 * A plain scalar: none of the characters YAML gives a meaning to (`#`, flow and quote characters,
 * anchors, tags, block scalars, directives, reserved `@` and backtick, backslashes), not starting with
 * `?`, `:`, or `-`/`+` unless a digit or `.` follows (`- x` would be a list); a `:` only inside a value
 * of its own line and followed by a non-blank (`https://…`, `18:30:22`), never in a list (`a: b` there
 * is a mapping).
 */
const PLAIN_FIRST = '(?:[^-+?#:[\\]{},&*!|>\'"%@`\\\\ ]|[-+](?=[0-9.]))';
const PLAIN_REST = '[^#:[\\]{},&*!|>\'"%@`\\\\]';
const PLAIN_IN_LINE = new RegExp(`^${PLAIN_FIRST}(?:${PLAIN_REST}|:(?=[^ ]))*$`);
const PLAIN_IN_LIST = new RegExp(`^${PLAIN_FIRST}${PLAIN_REST}*$`);

const DOUBLE_QUOTED = /^"([^"\\]*)"$/;
const SINGLE_QUOTED = /^'([^']*)'$/;

function lineValue(text: string): unknown {
  if (text === '') return null;
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return DECLINED;
    const inner = text.slice(1, -1);
    if (inner.trim() === '') return [];
    const items = inner.split(',').map((item) => scalarOf(item.trim(), PLAIN_IN_LIST));
    return items.includes(DECLINED) ? DECLINED : items;
  }
  return scalarOf(text, PLAIN_IN_LINE);
}

function scalarOf(text: string, plain: RegExp): unknown {
  if (text === '') return DECLINED;
  const quoted = DOUBLE_QUOTED.exec(text) ?? SINGLE_QUOTED.exec(text);
  if (quoted) return quoted[1];
  return plain.test(text) ? plainValue(text) : DECLINED;
}

/** A plain scalar as the YAML 1.2 core schema reads it (the yaml library's patterns, in its order). */
function plainValue(text: string): unknown {
  if (/^(?:~|[Nn]ull|NULL)$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text)) return text[0] === 't' || text[0] === 'T';
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    if (text.slice(-3).toLowerCase() === 'nan') return Number.NaN;
    return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return Number.parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return Number.parseFloat(text);
  return text;
}
