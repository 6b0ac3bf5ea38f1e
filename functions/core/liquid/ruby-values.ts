import { rubyTimeString, type ZonedTime, zonedTime } from './zoned-time.ts';

/**
 * A point in time that prints like Ruby's `Time#to_s` in the site's zone (`2023-01-29 18:30:22 -0800`),
 * which is what `{{ page.date }}` shows on a Jekyll site. It is a `Date`, so liquidjs's `date` filter and
 * comparisons keep working.
 */
export class RubyTime extends Date {
  readonly zone: string;

  constructor(instant: Date | number, zone: string) {
    super(typeof instant === 'number' ? instant : instant.getTime());
    this.zone = zone;
  }

  /** The instant's wall-clock time in the site's zone. */
  local(): ZonedTime {
    return zonedTime(this.getTime(), this.zone);
  }

  override toString(): string {
    return rubyTimeString(this.local());
  }

  override toJSON(): string {
    return this.toString();
  }
}

/** Ruby's `inspect` of a Liquid value (Ruby 3.1 notation: `{"a"=>1}`, `nil`, `"text"`). */
export function rubyInspect(value: unknown, depth = 0): string {
  if (depth > 20) return '...';
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : rubyFloat(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof RubyTime) return value.toString();
  if (value instanceof Date) return new RubyTime(value, 'UTC').toString();
  if (Array.isArray(value)) return `[${value.map((v) => rubyInspect(v, depth + 1)).join(', ')}]`;
  if (typeof value === 'object') {
    const plain = toPlain(value);
    if (plain !== value) return rubyInspect(plain, depth + 1);
    const pairs = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=>${rubyInspect(v, depth + 1)}`);
    return `{${pairs.join(', ')}}`;
  }
  return String(value);
}

function rubyFloat(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** What `jsonify` and `inspect` see of an object that stands for a Jekyll document. */
function toPlain(value: object): unknown {
  const json = (value as { toJSON?: () => unknown }).toJSON;
  return typeof json === 'function' ? json.call(value) : value;
}
