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
});
