import { describe, expect, it } from 'vitest';
import { buildPermalink, PermalinkError, type PermalinkParts } from '../../functions/core/permalink.ts';

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
