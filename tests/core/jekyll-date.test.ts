import { describe, expect, it } from 'vitest';
import { parseJekyllDate } from '../../functions/core/jekyll-date.ts';
import { parseDateValue } from '../../functions/core/parse-date.ts';

// Expected instants are what Ruby 3.1's `Time.parse(value)` returns with TZ=UTC (Jekyll's parser).
const RUBY_CASES: [string, string][] = [
  ['2023-01-29 18:30:22 2023 -0800', '2023-01-29T18:30:22.000Z'],
  ['2023-01-29 18:30:22 -0800', '2023-01-30T02:30:22.000Z'],
  ['Sun, 29 Jan 2023 18:30:22 +0000', '2023-01-29T18:30:22.000Z'],
  ['Jan 29, 2023', '2023-01-29T00:00:00.000Z'],
  ['29 January 2023', '2023-01-29T00:00:00.000Z'],
  ['January 29 2023 6:30pm', '2023-01-29T18:30:00.000Z'],
  ['2023/01/29 18:30', '2023-01-29T18:30:00.000Z'],
  ['2023-01-29T18:30:22.5Z', '2023-01-29T18:30:22.500Z'],
  ['2023-01-29 18:30 PST', '2023-01-30T02:30:00.000Z'],
  ['2023-01-29 18:30:22 +01:00', '2023-01-29T17:30:22.000Z'],
  ['Tue Jan 31 10:00:00 2023', '2023-01-31T10:00:00.000Z'],
  ['2023-1-5', '2023-01-05T00:00:00.000Z'],
  ['29/01/2023', '2023-01-29T00:00:00.000Z'],
  ['2023-01-29 6:30 PM', '2023-01-29T18:30:00.000Z'],
  ['Saturday, March 4, 2023 at 9:00', '2023-03-04T09:00:00.000Z'],
  ['2023-01-29 18:30:22 CET', '2023-01-29T18:30:22.000Z'],
  ['20230129', '2023-01-29T00:00:00.000Z'],
  ['2023-01-29 18:30:22 -08', '2023-01-30T02:30:22.000Z'],
  ['2023-01-29T18:30:22+0530', '2023-01-29T13:00:22.000Z'],
  ['3rd March 2023', '2023-03-03T00:00:00.000Z'],
  ['Mar 3rd, 2023 10am', '2023-03-03T10:00:00.000Z'],
  ['2023-01-29 18:30:22 Z', '2023-01-29T18:30:22.000Z'],
  ['2023-02-30', '2023-03-02T00:00:00.000Z'],
  ['2023-02-29', '2023-03-01T00:00:00.000Z'],
  ['2024-02-30', '2024-03-01T00:00:00.000Z'],
  ['2023-02-31 10:00', '2023-03-03T10:00:00.000Z'],
  ['2023-02-30 24:00', '2023-03-03T00:00:00.000Z'],
  ['2023-06-31 18:30:22 2023 -0800', '2023-07-01T18:30:22.000Z'],
  ['2023-02-30T10:00:00+01:00', '2023-03-02T09:00:00.000Z'],
  ['Feb 30 2023', '2023-03-02T00:00:00.000Z'],
  ['30 Feb 2023', '2023-03-02T00:00:00.000Z'],
  ['2023/02/30', '2023-03-02T00:00:00.000Z'],
  ['2023-2-30', '2023-03-02T00:00:00.000Z'],
];

describe('parseJekyllDate', () => {
  it.each(RUBY_CASES)('reads %s as Ruby does', (value, instant) => {
    const parsed = parseJekyllDate(value, 'UTC');

    expect(parsed?.toISOString()).toBe(instant);
  });

  it('reads a time whose zone is not right after it as wall-clock time in the site zone', () => {
    const parsed = parseJekyllDate('2023-01-29 18:30:22 2023 -0800', 'America/Los_Angeles');

    expect(parsed?.toISOString()).toBe('2023-01-30T02:30:22.000Z');
  });

  it('reads a date without a time as midnight in the site zone', () => {
    const parsed = parseJekyllDate('Jan 29, 2023', 'Europe/Berlin');

    expect(parsed?.toISOString()).toBe('2023-01-28T23:00:00.000Z');
  });

  it.each([
    ['foo'],
    ['01/29/2023'],
    ['2023-01-29 25:00'],
    ['Jan 29'],
    ['13pm 2023-01-01'],
    ['2023-02-32'],
    ['2023-13-01'],
    ['2023-00-10'],
    ['2023-02-00'],
    ['2023-02-30 24:30'],
  ])('rejects %s', (value) => {
    expect(parseJekyllDate(value, 'UTC')).toBeUndefined();
  });
});

describe('parseDateValue', () => {
  it.each([
    ['2023-02-30', '2023-03-02T00:00:00.000Z'],
    ['2023-04-31 10:00', '2023-05-01T10:00:00.000Z'],
    ['2023-02-30 24:00', '2023-03-03T00:00:00.000Z'],
    ['2023-02-30 10:00:00 +0100', '2023-03-02T09:00:00.000Z'],
  ])('rolls %s over as Ruby does', (value, instant) => {
    expect(parseDateValue(value, 'UTC')?.toISOString()).toBe(instant);
  });

  it.each([['2023-02-32'], ['2023-13-01'], ['2023-02-00'], ['2023-02-28 24:00:01'], ['2023-02-28 24:30']])(
    'rejects %s as Ruby does',
    (value) => {
      expect(parseDateValue(value, 'UTC')).toBeUndefined();
    },
  );

  it('falls back to Jekyll’s lenient forms', () => {
    const parsed = parseDateValue('2023-01-29 18:30:22 2023 -0800', 'UTC');

    expect(parsed?.toISOString()).toBe('2023-01-29T18:30:22.000Z');
  });
});
