import { zoneNamed } from '../zones.ts';

/** An instant's wall-clock fields in an IANA zone, and the zone's offset from UTC at that instant. */
export interface ZonedTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes east of UTC (`+60` for `+01:00`). */
  offsetMinutes: number;
}

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

// One formatter per zone for the whole build: creating an Intl.DateTimeFormat is the expensive part, and
// a Liquid date filter runs once per post.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/**
 * The wall-clock time of `instant` in `zone`, computed with one cached `Intl.DateTimeFormat` per zone
 * (what luxon does too, without building a `DateTime` and parsing a format string per call).
 */
export function zonedTime(instant: number, zone: string): ZonedTime {
  // A post's date is formatted several times per render (page.date, the date filters, site.posts).
  const key = `${zone} ${instant}`;
  let time = remembered.get(key);
  if (!time) {
    time = Object.freeze(computeZonedTime(instant, zone));
    if (remembered.size >= 100_000) remembered.clear();
    remembered.set(key, time);
  }
  return time;
}

const remembered = new Map<string, ZonedTime>();

function computeZonedTime(instant: number, zone: string): ZonedTime {
  const whole = Math.floor(instant / 1000) * 1000;
  const known = zoneNamed(zone);
  if (typeof known !== 'string') {
    // The zone's offset at this instant, which parsing the post's date has usually asked for already
    // (remembered: see zones.ts); it is in minutes, with a fraction for a local mean time such as +00:19:32.
    const wall = whole + Math.round(known.offset(instant) * 60_000);
    const date = new Date(wall);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      weekday: date.getUTCDay(),
      offsetMinutes: Math.round((wall - whole) / 60_000),
    };
  }
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = fields.year ?? 1970;
  const month = fields.month ?? 1;
  const day = fields.day ?? 1;
  const hour = fields.hour ?? 0;
  const minute = fields.minute ?? 0;
  const second = fields.second ?? 0;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday: new Date(wall).getUTCDay(),
    offsetMinutes: Math.round((wall - whole) / 60_000),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `+0100` (colon false) or `+01:00` (colon true). */
export function formatOffset(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** `2023-01-29 18:30:22 -0800`: Ruby's `Time#to_s`. */
export function rubyTimeString(t: ZonedTime): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${formatOffset(t.offsetMinutes, false)}`;
}

/** `2023-01-29T18:30:22-08:00`: Jekyll's `date_to_xmlschema`. */
export function xmlSchemaString(t: ZonedTime): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${formatOffset(t.offsetMinutes, true)}`;
}

/** `Sun, 29 Jan 2023 18:30:22 -0800`: Jekyll's `date_to_rfc822`. */
export function rfc822String(t: ZonedTime): string {
  return `${WEEKDAYS[t.weekday]}, ${pad(t.day)} ${monthName(t, true)} ${pad(t.year, 4)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${formatOffset(t.offsetMinutes, false)}`;
}

/** `January`, or `Jan` when short. */
export function monthName(t: ZonedTime, short: boolean): string {
  const name = MONTHS[t.month - 1] ?? '';
  return short ? name.slice(0, 3) : name;
}
