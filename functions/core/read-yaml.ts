import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { readSimpleYaml } from './simple-yaml.ts';
import { memoJson, type TextMemo } from './text-memo.ts';

/**
 * At most this many alias expansions per document: real front matter has none or a few, while an
 * "alias bomb" (nested lists of aliases) expands to billions of nodes from a few hundred bytes.
 */
export const MAX_YAML_ALIASES = 100;

/** A YAML document parsed with the YAML 1.2 core schema, able to say on which line a field sits. */
export interface YamlSource {
  /** Plain JavaScript value of the document (dates stay strings: the core schema has no timestamps). */
  data: unknown;
  /**
   * 1-based line of the key at `path` (e.g. `['newsletter', 'from_address']` or `['tags', 2]`), or of the
   * nearest enclosing key that exists when the field itself is missing; `undefined` if nothing matches.
   */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * {@link readYaml} through `memo`: the data is kept as JSON when JSON holds it exactly. Line numbers come
 * from parsing the text again, which only a message about a field needs. Flat front matter is not kept:
 * reading it ({@link readSimpleYaml}) costs less than the key, lookup and JSON check of keeping it.
 *
 * @throws {YamlSyntaxError} as readYaml does.
 */
export function readYamlMemo(text: string, memo: TextMemo): YamlSource {
  const simple = simpleSource(text);
  if (simple) return simple;
  let parsed: YamlSource | undefined;
  const data = memoJson(memo, 'yaml-core', text, () => {
    parsed = readYamlDocument(text);
    return parsed.data;
  });
  return {
    data,
    lineOf: (path) => {
      parsed ??= readYamlDocument(text);
      return parsed.lineOf(path);
    },
  };
}

/** The YAML text is not well-formed; `line` is 1-based within the text given to {@link readYaml}. */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
  readonly line: number | undefined;

  constructor(message: string, line: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.line = line;
  }
}

/**
 * Parses YAML text for validation with line-accurate messages.
 *
 * Uses the core schema so `2026-09-24` and `no` stay strings (YAML 1.1 would turn them into a Date and
 * `false`), and rejects duplicate keys, which a forgiving parser would silently resolve to the last one.
 *
 * @throws {YamlSyntaxError} on the first syntax error, with its line.
 */
export function readYaml(text: string): YamlSource {
  return simpleSource(text) ?? readYamlDocument(text);
}

/**
 * Flat front matter read without the yaml library (same result, a fraction of the time); the library
 * parses it only if a message needs a line number. Undefined for any other document.
 */
function simpleSource(text: string): YamlSource | undefined {
  const data = readSimpleYaml(text);
  if (data === undefined) return undefined;
  let full: YamlSource | undefined;
  const lineOf = (path: readonly PropertyKey[]) => {
    full ??= readYamlDocument(text);
    return full.lineOf(path);
  };
  return { data, lineOf };
}

/** {@link readYaml} through the yaml library, whatever the document's shape. */
export function readYamlDocument(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'core', lineCounter, uniqueKeys: true, prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    // prettyErrors appends a source excerpt after the first line; the caller prints its own location.
    const message = (first.message.split('\n')[0] ?? first.message).replace(
      / at line \d+, column \d+:?$/,
      '',
    );
    throw new YamlSyntaxError(message, first.linePos?.[0].line, { cause: first });
  }
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    // The yaml library throws a ReferenceError once expansion passes the limit.
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let line: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.range) line = lineAt(node.range[0]);
        return visit.BREAK;
      },
    });
    throw new YamlSyntaxError(
      `aliases (*name) expand to too much data (more than ${MAX_YAML_ALIASES} expansions); write the values out instead`,
      line,
      { cause: error },
    );
  }
  return {
    data,
    lineOf(path) {
      let node: unknown = doc.contents;
      let line: number | undefined;
      for (const segment of path) {
        if (isMap(node)) {
          const pair = node.items.find(
            (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
          );
          if (!pair) break;
          const key = pair.key as Node;
          if (key.range) line = lineAt(key.range[0]);
          node = pair.value;
        } else if (isSeq(node) && typeof segment === 'number') {
          const item = node.items[segment] as Node | undefined;
          if (!item) break;
          if (item.range) line = lineAt(item.range[0]);
          node = item;
        } else {
          break;
        }
      }
      return line;
    },
  };
}
