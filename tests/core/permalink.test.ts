import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { buildPermalink, PermalinkError, type PermalinkParts } from '../../functions/core/permalink.ts';
import { seededRandom } from '../support/seeded-random.ts';

function parts(overrides: Partial<PermalinkParts> = {}): PermalinkParts {
  return {
    date: new Date('2026-09-24T17:05:09Z'),
    timezone: 'UTC',
    slug: 'berlin-serving-night',
    categories: [],
    ...overrides,
  };
}

describe('buildPermalink', () => {
  it.each([
    ['date', '/2026/09/24/berlin-serving-night.html'],
    ['pretty', '/2026/09/24/berlin-serving-night/'],
    ['ordinal', '/2026/267/berlin-serving-night.html'],
    ['weekdate', '/2026/W39/Thu/berlin-serving-night.html'],
    ['none', '/berlin-serving-night.html'],
  ])('expands the Jekyll style %s', (style, expected) => {
    const input = parts();

    const path = buildPermalink(style, input);

    expect(path).toBe(expected);
  });

  it('fills every placeholder of a custom template', () => {
    const template =
      '/:short_year/:i_month/:i_day/:hour-:minute-:second/:slug/:short_month-:long_month/:w_year-:w_day/:title:output_ext';

    const path = buildPermalink(
      template,
      parts({ date: new Date('2026-03-05T07:08:09Z'), slug: 'Pi_Day Recap' }),
    );

    expect(path).toBe('/26/3/5/07-08-09/pi-day-recap/Mar-March/2026-4/Pi_Day-Recap.html');
  });

  it("writes every date placeholder as luxon's English format does, in any zone and year", () => {
    const formats: Record<string, string> = {
      year: 'yyyy',
      month: 'MM',
      day: 'dd',
      i_month: 'M',
      i_day: 'd',
      short_year: 'yy',
      y_day: 'ooo',
      short_month: 'LLL',
      long_month: 'LLLL',
      week: 'WW',
      w_year: 'kkkk',
      w_day: 'c',
      short_day: 'ccc',
      long_day: 'cccc',
      hour: 'HH',
      minute: 'mm',
      second: 'ss',
    };
    const names = Object.keys(formats);
    const template = names.map((name) => `:${name}`).join('/');
    const zones = ['UTC', 'Asia/Seoul', 'America/St_Johns', 'Pacific/Kiritimati', 'Europe/Berlin'];
    const next = seededRandom(2026);
    for (let i = 0; i < 2_000; i++) {
      // Years -300 to 12,000, most of them ordinary.
      const span = next() < 0.9 ? [946684800000, 4102444800000] : [-71_000_000_000_000, 316_000_000_000_000];
      const date = new Date(Math.floor((span[0] ?? 0) + next() * ((span[1] ?? 0) - (span[0] ?? 0))));
      const timezone = zones[i % zones.length] ?? 'UTC';
      const at = DateTime.fromJSDate(date, { zone: timezone }).setLocale('en');
      const expected = `/${names.map((name) => at.toFormat(formats[name] ?? '')).join('/')}`;
      expect(buildPermalink(template, parts({ date, timezone })), `${date.toISOString()} ${timezone}`).toBe(
        expected,
      );
    }
  });

  it('writes date parts in the site time zone', () => {
    // 17:05 UTC on the 24th is already the 25th in Seoul
    const input = parts({ timezone: 'Asia/Seoul' });

    const path = buildPermalink('/:year/:month/:day/:hour/:title/', input);

    expect(path).toBe('/2026/09/25/02/berlin-serving-night/');
  });

  it('slugifies and joins categories, collapsing empty ones', () => {
    const input = parts({ categories: ['Meetup Recaps', '', 'berlin', 'meetup recaps', '!!'] });

    const path = buildPermalink('date', input);

    expect(path).toBe('/meetup-recaps/berlin/2026/09/24/berlin-serving-night.html');
  });

  it('collapses doubled slashes and adds the leading slash to a relative template', () => {
    const input = parts();

    const path = buildPermalink(':categories/recaps//:title/', input);

    expect(path).toBe('/recaps/berlin-serving-night/');
  });

  it('keeps a template without placeholders as given, as Jekyll does for front matter permalinks', () => {
    const input = parts();

    const path = buildPermalink('/about/team.html', input);

    expect(path).toBe('/about/team.html');
  });

  it('keeps case and URL-safe punctuation in :title but not in :slug', () => {
    const input = parts({ slug: "Q&A: what's next?" });

    const title = buildPermalink('/:title', input);
    const slug = buildPermalink('/:slug', input);

    expect(title).toBe("/Q&A-what's-next");
    expect(slug).toBe('/q-a-what-s-next');
  });

  it('rejects an unknown placeholder, naming it', () => {
    const input = parts();

    const act = () => buildPermalink('/:year/:titel/', input);

    expect(act).toThrow(PermalinkError);
    expect(act).toThrow(/':titel'/);
  });
});
