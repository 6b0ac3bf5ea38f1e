import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  rfc822String,
  rubyTimeString,
  xmlSchemaString,
  zonedTime,
} from '../../functions/core/liquid/zoned-time.ts';

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
];

/** Instants around DST switches, midnight, leap days and year ends, plus a spread over decades. */
function instants(): number[] {
  const fixed = [
    '2023-03-26T00:59:59Z',
    '2023-03-26T01:00:00Z',
    '2023-10-29T00:59:59.999Z',
    '2023-10-29T01:00:00Z',
    '2024-02-29T23:30:00Z',
    '2022-12-31T23:59:59Z',
    '1999-12-31T23:00:00Z',
    '2023-03-12T10:00:00Z',
    '2023-11-05T08:59:59Z',
    '1970-01-01T00:00:00Z',
  ].map((s) => Date.parse(s));
  const spread = Array.from({ length: 200 }, (_, i) => Date.UTC(1990, 0, 1) + i * 1_234_567_891);
  return [...fixed, ...spread];
}

describe('zonedTime', () => {
  it('prints every instant in every zone as luxon does', () => {
    const seen: string[] = [];
    const expected: string[] = [];

    for (const zone of ZONES) {
      for (const ms of instants()) {
        const t = zonedTime(ms, zone);
        seen.push(`${zone} ${rubyTimeString(t)} | ${xmlSchemaString(t)} | ${rfc822String(t)}`);
        const at = DateTime.fromMillis(ms, { zone }).setLocale('en');
        expected.push(
          `${zone} ${at.toFormat('yyyy-MM-dd HH:mm:ss ZZZ')} | ${at.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ")} | ${at.toFormat('ccc, dd LLL yyyy HH:mm:ss ZZZ')}`,
        );
      }
    }

    expect(seen).toEqual(expected);
  });

  it('gives the wall-clock fields and offset of a summer evening in Berlin', () => {
    const t = zonedTime(Date.parse('2023-07-07T21:15:09Z'), 'Europe/Berlin');

    expect(t).toEqual({
      year: 2023,
      month: 7,
      day: 7,
      hour: 23,
      minute: 15,
      second: 9,
      weekday: 5,
      offsetMinutes: 120,
    });
  });

  it('agrees with Intl to the second where an offset has seconds (local mean time) or 45 minutes', () => {
    const reference = (ms: number, zone: string) => {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }).formatToParts(ms);
      const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
      return [field('year'), field('month'), field('day'), field('hour'), field('minute'), field('second')];
    };
    const cases: [string, string][] = [
      ['Africa/Monrovia', '1970-06-01T12:00:00Z'],
      ['Africa/Monrovia', '1972-01-06T23:59:59Z'],
      ['Africa/Monrovia', '1972-01-07T00:44:30Z'],
      ['Asia/Kathmandu', '2023-01-29T18:30:22Z'],
      ['America/Sao_Paulo', '1913-12-31T23:59:59Z'],
    ];

    for (const [zone, iso] of cases) {
      const ms = Date.parse(iso);
      const t = zonedTime(ms, zone);

      expect([t.year, t.month, t.day, t.hour, t.minute, t.second], `${zone} ${iso}`).toEqual(
        reference(ms, zone),
      );
    }
    // Liberia kept -00:44:30 until 1972: the wall clock is exact, the printed offset rounds to minutes.
    const monrovia = zonedTime(Date.parse('1970-06-01T12:00:00Z'), 'Africa/Monrovia');
    expect([monrovia.hour, monrovia.minute, monrovia.second, monrovia.offsetMinutes]).toEqual([
      11, 15, 30, -44,
    ]);
  });
});
