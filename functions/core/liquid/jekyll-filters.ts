import { isTruthy, type Liquid, toValue, Value } from 'liquidjs';
import { parseDateValue } from '../parse-date.ts';
import { RubyTime, rubyInspect } from './ruby-values.ts';
import { monthName, rfc822String, xmlSchemaString, type ZonedTime, zonedTime } from './zoned-time.ts';

/** What Jekyll's filters need to know about the site. */
export interface FilterEnv {
  /** `url` from `_config.yml`, without trailing slash (may be `''`). */
  url: string;
  /** `baseurl`, `''` or `/blog`. */
  baseurl: string;
  /** IANA zone dates are shown in (Jekyll's `timezone`). */
  timezone: string;
  /** `site.time`: what `now` and `today` mean. */
  now: Date;
  /** Markdown → HTML for `markdownify`. */
  markdown(text: string): string;
  /** Kramdown's SmartyPants for `smartify`. */
  smartify(text: string): string;
}

/** `this` inside a liquidjs filter. */
interface FilterThis {
  context: { memoryLimit: { use(n: number): void }; push(scope: object): void; pop(): void };
  liquid: Liquid;
}

type Filter = (this: FilterThis, input: unknown, ...args: unknown[]) => unknown;

/**
 * Jekyll's own filters (lib/jekyll/filters.rb, filters/*.rb), following their definitions in Jekyll 4.3.
 * They replace liquidjs's look-alikes where those differ (`where` compares as strings, `group_by` adds
 * `size`, dates print in the site's zone, `sample` is deterministic so builds are reproducible).
 */
export function jekyllFilters(env: FilterEnv): Record<string, Filter> {
  const time = (input: unknown): ZonedTime => {
    const date = toDate(input, env);
    if (!date) throw new Error(`Invalid Date: '${rubyInspect(input)}' is not a valid datetime.`);
    return zonedTime(date.getTime(), env.timezone);
  };
  const empty = (input: unknown): boolean =>
    input === null || input === undefined || (!(input instanceof Date) && String(input) === '');
  const stringifyDate = (input: unknown, short: boolean, type: unknown, style: unknown): unknown => {
    if (empty(input)) return input;
    const t = time(input);
    const month = monthName(t, short);
    if (type === 'ordinal') {
      const day = `${t.day}${ordinal(t.day)}`;
      return style === 'US' ? `${month} ${day}, ${t.year}` : `${day} ${month} ${t.year}`;
    }
    return `${String(t.day).padStart(2, '0')} ${month} ${t.year}`;
  };
  const relative = (input: unknown): unknown => {
    const url = urlOf(input);
    if (url === undefined) return undefined;
    if (isAbsolute(url)) return url;
    return normalizeUrl(ensureLeadingSlash(env.baseurl.replace(/\/$/, '')) + ensureLeadingSlash(url));
  };

  return {
    relative_url: relative,
    absolute_url(input) {
      const url = urlOf(input);
      if (url === undefined) return undefined;
      if (isAbsolute(url)) return url;
      const rel = relative(url) as string;
      return env.url === '' ? rel : normalizeUrl(env.url + rel);
    },
    date_to_xmlschema: (input) => (empty(input) ? input : xmlSchemaString(time(input))),
    date_to_rfc822: (input) => (empty(input) ? input : rfc822String(time(input))),
    date_to_string: (input, type, style) => stringifyDate(input, true, type, style),
    date_to_long_string: (input, type, style) => stringifyDate(input, false, type, style),
    xml_escape: (input) => xmlEscape(stringOf(input)),
    cgi_escape: (input) => encodeBytes(stringOf(input), CGI_SAFE).replace(/%20/g, '+'),
    uri_escape: (input) => encodeBytes(stringOf(input), URI_SAFE),
    jsonify: (input) => JSON.stringify(plain(toValue(input)) ?? null),
    slugify: (input, mode) =>
      slugify(input === undefined || input === null ? undefined : stringOf(input), mode),
    markdownify: (input, mode) => {
      const html = env.markdown(stringOf(input));
      return mode === 'inline' ? html.replace(/<p>([\s\S]*?)<\/p>\n/gi, '$1') : html;
    },
    smartify: (input) => env.smartify(stringOf(input)),
    number_of_words(input, mode) {
      const text = stringOf(input);
      const cjk = /[\p{sc=Han}\p{sc=Katakana}\p{sc=Hiragana}\p{sc=Hangul}]/gu;
      const words = /[^\p{sc=Han}\p{sc=Katakana}\p{sc=Hiragana}\p{sc=Hangul}\s]+/gu;
      const split = text.split(/\s+/).filter((w) => w !== '').length;
      const count = (re: RegExp) => text.match(re)?.length ?? 0;
      if (mode === 'cjk') return count(cjk) + count(words);
      if (mode === 'auto') return count(cjk) === 0 ? split : count(cjk) + count(words);
      return split;
    },
    normalize_whitespace: (input) => stringOf(input).replace(/\s+/g, ' ').trim(),
    array_to_sentence_string(input, connector = 'and') {
      const list = Array.isArray(input) ? input.map(stringOf) : [];
      if (list.length === 0) return '';
      if (list.length === 1) return list[0];
      if (list.length === 2) return `${list[0]} ${stringOf(connector)} ${list[1]}`;
      return `${list.slice(0, -1).join(', ')}, ${stringOf(connector)} ${list[list.length - 1]}`;
    },
    inspect: (input) => xmlEscape(rubyInspect(toValue(input))),
    where(input, property, value) {
      const list = listOf(input);
      if (!list) return input;
      this.context.memoryLimit.use(list.length);
      const wanted = stringOf(value);
      return list.filter((item) => {
        const found = itemProperty(item, property);
        const values = found === undefined || found === null ? [] : Array.isArray(found) ? found : [found];
        return values.some((v) => stringOf(v) === wanted);
      });
    },
    *where_exp(input, variable, expression) {
      const list = listOf(input);
      if (!list) return input;
      this.context.memoryLimit.use(list.length);
      const condition = new Value(stringOf(expression), this.liquid);
      const kept: unknown[] = [];
      for (const item of list) {
        this.context.push({ [stringOf(variable)]: item });
        const result: unknown = yield condition.value(this.context as never);
        this.context.pop();
        if (isTruthy(result, this.context as never)) kept.push(item);
      }
      return kept;
    },
    group_by(input, property) {
      const list = listOf(input);
      if (!list) return input;
      this.context.memoryLimit.use(list.length);
      const groups = new Map<string, unknown[]>();
      for (const item of list) {
        const key = stringOf(itemProperty(item, property));
        const group = groups.get(key) ?? [];
        group.push(item);
        groups.set(key, group);
      }
      return [...groups].map(([name, items]) => ({ name, items, size: items.length }));
    },
    sort(input, property, nils = 'first') {
      if (input === null || input === undefined) throw new Error('Cannot sort a null object.');
      const list = listOf(input) ?? [input];
      this.context.memoryLimit.use(list.length);
      if (property === undefined || property === null) return [...list].sort(compare);
      if (nils !== 'first' && nils !== 'last') {
        throw new Error(
          `Invalid nils order: '${stringOf(nils)}' is not a valid nils order. It must be 'first' or 'last'.`,
        );
      }
      const order = nils === 'first' ? -1 : 1;
      return list
        .map((item) => ({ item, key: itemProperty(item, property) }))
        .sort((a, b) => {
          const aNil = a.key === undefined || a.key === null;
          const bNil = b.key === undefined || b.key === null;
          if (!aNil && bNil) return -order;
          if (aNil && !bNil) return order;
          return compare(a.key, b.key);
        })
        .map((x) => x.item);
    },
    sample(input, num = 1) {
      const list = listOf(input);
      if (!list) return input;
      this.context.memoryLimit.use(list.length);
      const n = Number.parseInt(stringOf(num), 10);
      // Jekyll picks at random; Herald picks the same way on every build so output is reproducible.
      const shuffled = seededShuffle(list, list.length);
      return n === 1 || Number.isNaN(n) ? shuffled[0] : shuffled.slice(0, Math.max(0, n));
    },
  };
}

/** Liquid::Utils.to_date, with the site clock for `now`/`today` and the site zone for zone-less text. */
function toDate(input: unknown, env: FilterEnv): Date | undefined {
  const value = toValue(input);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value !== 'string' || value === '') return undefined;
  if (value === 'now' || value === 'today') return env.now;
  if (/^\d+$/.test(value)) return new Date(Number(value) * 1000);
  return parseDateValue(value, env.timezone);
}

function ordinal(day: number): string {
  if (day >= 11 && day <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][day % 10] ?? 'th';
}

function urlOf(input: unknown): string | undefined {
  const value = toValue(input);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && 'url' in value) return stringOf((value as { url: unknown }).url);
  return stringOf(value);
}

function isAbsolute(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url);
}

function ensureLeadingSlash(part: string): string {
  return part === '' || part.startsWith('/') ? part : `/${part}`;
}

/** Addressable's normalisation as far as it shows in practice: unsafe characters percent-encoded. */
function normalizeUrl(url: string): string {
  return encodeBytes(url, URI_SAFE);
}

const CGI_SAFE = /[A-Za-z0-9_.\-~]/;
const URI_SAFE = /[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/;
const allKept = new Map<RegExp, RegExp>();

function encodeBytes(text: string, keep: RegExp): string {
  let whole = allKept.get(keep);
  if (!whole) {
    whole = new RegExp(`^(?:${keep.source})*$`);
    allKept.set(keep, whole);
  }
  // Most URLs need no escaping: one test instead of one per character.
  if (whole.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (keep.test(ch)) out += ch;
    else
      for (const byte of new TextEncoder().encode(ch))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Ruby's `String#encode(xml: :attr)` without the surrounding quotes. */
function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Jekyll's Utils.slugify (modes raw, default, pretty, ascii, latin). */
export function slugify(input: string | undefined, mode: unknown = 'default'): string | undefined {
  if (input === undefined) return undefined;
  const m = mode === undefined || mode === null ? 'default' : String(mode);
  const patterns: Record<string, RegExp> = {
    raw: /\s+/g,
    default: /[^\p{M}\p{L}\p{Nd}]+/gu,
    pretty: /[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+/gu,
    ascii: /[^A-Za-z0-9]+/g,
    latin: /[^A-Za-z0-9]+/g,
  };
  const pattern = patterns[m];
  if (!pattern) return input.toLowerCase();
  const source = m === 'latin' ? input.normalize('NFD').replace(/\p{M}/gu, '') : input;
  return source.replace(pattern, '-').replace(/^-|-$/g, '').toLowerCase();
}

function stringOf(value: unknown): string {
  const v = toValue(value);
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(stringOf).join('');
  return String(v);
}

function listOf(input: unknown): unknown[] | undefined {
  const value = toValue(input);
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) return Object.values(value);
  return undefined;
}

/** Jekyll's item_property: a dotted path into the item (`author.name`). */
function itemProperty(item: unknown, property: unknown): unknown {
  let current: unknown = toValue(item);
  for (const key of stringOf(property).split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    current = toValue((current as Record<string, unknown>)[key]);
  }
  return current;
}

function compare(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`comparison of ${rubyInspect(a)} with ${rubyInspect(b)} failed`);
}

/** What `jsonify` serialises: Jekyll documents as their data, times as Ruby prints them. */
function plain(value: unknown, depth = 0): unknown {
  if (depth > 50) return null;
  if (value instanceof RubyTime) return value.toString();
  if (value instanceof Date) return new RubyTime(value, 'UTC').toString();
  if (Array.isArray(value)) return value.map((v) => plain(toValue(v), depth + 1));
  if (value !== null && typeof value === 'object') {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    const source = typeof json === 'function' ? json.call(value) : value;
    if (source !== value) return plain(source, depth + 1);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(toValue(v), depth + 1)]));
  }
  return value;
}

function seededShuffle<T>(list: readonly T[], seed: number): T[] {
  let state = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
