import { DateTime, FixedOffsetZone } from 'luxon';
import { parseJekyllDate, rollOver } from './jekyll-date.ts';
import { zoneNamed } from './zones.ts';

// Jekyll accepts what Ruby's Time.parse accepts; we accept the shapes real front matter uses and reject
// the rest loudly rather than guessing: date, date + time, an optional zone (`Z`, `UTC`, `+0900`, `+09:00`).
const DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?$/i;

/**
 * Parses a front matter or config date such as `2026-09-24`, `2026-09-24 18:30`,
 * `2026-09-24 18:30:00 +0900` or `2026-09-24T18:30:00+09:00`.
 *
 * A value without a zone is read as wall-clock time in `zone` (an IANA zone name), the way Jekyll reads
 * it in the site's `timezone`. Other shapes Jekyll (Ruby's `Time.parse`) accepts are read by
 * {@link parseJekyllDate}. A day past the end of its month rolls over as in Ruby (`2026-02-30` is
 * 2 March). Returns `undefined` when the value is none of those or names a day or time Ruby refuses
 * (`2026-13-01`, `2026-02-32`, `25:00`), so the caller can report it with file and field.
 */
export function parseDateValue(value: string, zone: string): Date | undefined {
  const m = DATE_PATTERN.exec(value.trim());
  if (!m) return parseJekyllDate(value, zone);
  const [, year, month, day, hour, minute, second, fraction, offset] = m;
  const h = hour === undefined ? 0 : Number(hour);
  const min = minute === undefined ? 0 : Number(minute);
  const sec = second === undefined ? 0 : Number(second);
  // Ruby allows 24:00 (midnight of the next day), nothing later.
  if (h === 24 && (min > 0 || sec > 0 || fraction !== undefined)) return undefined;
  const civil = rollOver(Number(year), Number(month), Number(day), h);
  if (!civil) return undefined;
  const parts = {
    ...civil,
    minute: min,
    second: sec,
    millisecond: fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000),
  };
  const dt = DateTime.fromObject(parts, { zone: offset === undefined ? zoneNamed(zone) : fixedZone(offset) });
  // A wall-clock time inside a DST gap is moved forward by luxon, as Ruby's Time does; a day past the end
  // of its month has rolled over (2026-02-30 is 2 March, as in Ruby); month 13, day 32, hour 25 are invalid.
  return dt.isValid ? dt.toJSDate() : undefined;
}

function fixedZone(offset: string): FixedOffsetZone {
  const upper = offset.toUpperCase();
  if (upper === 'Z' || upper === 'UTC' || upper === 'GMT') return FixedOffsetZone.utcInstance;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return FixedOffsetZone.instance(sign * minutes);
}
