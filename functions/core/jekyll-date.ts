import { DateTime, FixedOffsetZone, type Zone } from 'luxon';
import { zoneNamed } from './zones.ts';

/**
 * Parses a date the way Jekyll does (`Time.parse(value).localtime`, Ruby's lenient `Date._parse`) for the
 * shapes real front matter uses: ISO dates with or without a time, `2023/01/29`, `29/01/2023`,
 * `29.01.2023`, `20230129`, month names (`Jan 29, 2023`, `29 January 2023`, `Sun, 29 Jan 2023 18:30:22
 * +0000`, `Tue Jan 31 10:00:00 2023`), ordinals (`3rd March 2023`), `am`/`pm`, weekday names and other
 * words, and extra tokens such as the repeated year of `2023-01-29 18:30:22 2023 -0800`.
 *
 * As in Ruby, a zone counts only right after the time (`18:30:22 -0800`, `18:30 PST`, `T18:30:22Z`);
 * a zone Ruby does not know (`CET`) or one separated from the time by another token is ignored, and the
 * time is then wall-clock time in `zone` (the site's IANA time zone, which Jekyll exports as `TZ`).
 *
 * A day past the end of its month rolls over as in Ruby (`2023-02-30` is 2 March, see {@link rollOver}).
 * Deliberately stricter than Ruby where Ruby would need the clock: a date without a year gives
 * `undefined`, as does anything without a recognisable day.
 */
export function parseJekyllDate(value: string, zone: string): Date | undefined {
  // Ruby first turns everything but these characters into blanks.
  let text = value.toLowerCase().replace(/[^-+',./:@a-z0-9[\]]+/g, ' ');

  const time = readTime(text);
  if (time === null) return undefined;
  if (time) text = text.slice(0, time.start) + ' '.repeat(time.length) + text.slice(time.start + time.length);

  const day = readDay(text);
  if (!day) return undefined;

  const civil = rollOver(day.year, day.month, day.day, time?.hour ?? 0);
  if (!civil) return undefined;
  const dt = DateTime.fromObject(
    {
      ...civil,
      minute: time?.minute ?? 0,
      second: time?.second ?? 0,
      millisecond: time?.millisecond ?? 0,
    },
    { zone: time?.zone ?? zoneNamed(zone) },
  );
  return dt.isValid ? dt.toJSDate() : undefined;
}

interface TimeOfDay {
  start: number;
  length: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  zone?: Zone;
}

const MERIDIAN = String.raw`(?:\s*([ap])(?:m\b|\.m\.))`;
const ZONE = String.raw`(?:\s*((?:gmt|utc?)?[-+]\d+(?:[,.:]\d+(?::\d+)?)?|[a-z]+(?:\sdst)?\b))`;
const TIME = new RegExp(
  String.raw`(\d+)\s*:\s*(\d+)(?:\s*:\s*(\d+)(?:[,.](\d*))?)?${MERIDIAN}?${ZONE}?|(\d+)${MERIDIAN}${ZONE}?`,
);

/** The time of day in `text`, `undefined` when there is none, `null` when there is one that cannot be. */
function readTime(text: string): TimeOfDay | undefined | null {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const [whole, h1, min, sec, frac, mer1, zone1, h2, mer2, zone2] = m;
  let hour = Number(h1 ?? h2);
  const meridian = mer1 ?? mer2;
  if (meridian !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridian === 'p' ? 12 : 0);
  }
  const minute = min === undefined ? 0 : Number(min);
  const second = sec === undefined ? 0 : Number(sec);
  if (hour > 24 || minute > 59 || second > 60 || (hour === 24 && minute + second > 0)) return null;
  const zoneText = zone1 ?? zone2;
  const zone = zoneText === undefined ? undefined : zoneOf(zoneText);
  return {
    start: m.index,
    length: whole.length,
    hour,
    minute,
    second: Math.min(second, 59),
    millisecond: frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0,
    ...(zone ? { zone } : {}),
  };
}

// Ruby's Time::ZoneOffset: the only names Time.parse turns into an offset; others mean local time.
const NAMED_ZONES: Record<string, number> = {
  utc: 0,
  z: 0,
  ut: 0,
  gmt: 0,
  est: -5,
  edt: -4,
  cst: -6,
  cdt: -5,
  mst: -7,
  mdt: -6,
  pst: -8,
  pdt: -7,
};

function zoneOf(text: string): Zone | undefined {
  const named = NAMED_ZONES[text];
  if (named !== undefined) return FixedOffsetZone.instance(named * 60);
  const m = /^(?:gmt|utc?)?([-+])(\d+)(?:[,.:](\d+))?/.exec(text);
  if (!m) return undefined;
  const [, sign, digits = '', minutes] = m;
  let total: number;
  if (minutes !== undefined) total = Number(digits) * 60 + Number(minutes.slice(0, 2));
  else if (digits.length <= 2) total = Number(digits) * 60;
  else if (digits.length <= 4) total = Number(digits.slice(0, -2)) * 60 + Number(digits.slice(-2));
  else return undefined;
  return FixedOffsetZone.instance(sign === '-' ? -total : total);
}

interface Day {
  year: number;
  month: number;
  day: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MON = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z.]*';
const ORDINAL = String.raw`(?:st|nd|rd|th)?\b`;

/** Ruby's parsers, in the order `Date._parse` tries them; the first that matches wins. */
const DAY_READERS: ((text: string) => Day | undefined)[] = [
  // 29 jan 2023, 3rd march 2023
  (t) => {
    const m = new RegExp(String.raw`\b(\d{1,2})${ORDINAL}\s*${MON}\s*,?\s*(\d{3,})\b`).exec(t);
    return m ? { day: Number(m[1]), month: monthOf(m[2]), year: Number(m[3]) } : undefined;
  },
  // jan 29, 2023; march 3rd 2023; tue jan 31 … 2023
  (t) => {
    const m = new RegExp(String.raw`\b${MON}\s*(\d{1,2})${ORDINAL}\s*,?\s*(\d{3,})\b`).exec(t);
    return m ? { month: monthOf(m[1]), day: Number(m[2]), year: Number(m[3]) } : undefined;
  },
  // 2023-01-29
  (t) => {
    const m = /(?<![\d])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/.exec(t);
    return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : undefined;
  },
  // 2023/01/29 or 29/01/2023 (Ruby reads a/b/c with a four-digit c as day/month/year)
  (t) => slashed(/(?<![\d])(\d{1,4})\/(\d{1,2})\/(\d{1,4})(?!\d)/.exec(t)),
  (t) => slashed(/(?<![\d])(\d{1,4})\.(\d{1,2})\.(\d{1,4})(?!\d)/.exec(t)),
  // 20230129
  (t) => {
    const m = /(?<![\d-])(\d{4})(\d{2})(\d{2})(?![\d])/.exec(t);
    return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : undefined;
  },
];

function readDay(text: string): Day | undefined {
  for (const read of DAY_READERS) {
    const day = read(text);
    if (day) return day;
  }
  return undefined;
}

/**
 * A calendar day and hour normalised as Ruby's `Time` normalises them (and so Jekyll, for front matter
 * and file names alike): a day past the end of its month rolls into the next (`2023-02-30` is 2 March,
 * `2023-04-31` is 1 May) and hour 24 is midnight of the next day. Ruby refuses a month outside 1–12, a
 * day outside 1–31 and an hour past 24; so does this (`undefined`).
 */
export function rollOver(
  year: number,
  month: number,
  day: number,
  hour: number,
): { year: number; month: number; day: number; hour: number } | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 24) return undefined;
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day + (hour === 24 ? 1 : 0));
  return {
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    hour: hour === 24 ? 0 : hour,
  };
}

function slashed(m: RegExpExecArray | null): Day | undefined {
  if (!m) return undefined;
  const [, a = '', b, c = ''] = m;
  if (a.length >= 3) return { year: Number(a), month: Number(b), day: Number(c) };
  if (c.length >= 3) return { year: Number(c), month: Number(b), day: Number(a) };
  return undefined;
}

function monthOf(name: string | undefined): number {
  return MONTHS.indexOf(name ?? '') + 1;
}
