import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../functions/core/site-config.ts';
import { problemsOf } from '../helpers/problems.ts';

const MINIMAL = [
  'title: Fixture Meetups',
  'url: https://fixture.test',
  'newsletter:',
  '  postal_address: Lane 1, Town',
];

describe('parseSiteConfig (herald)', () => {
  it('reads the sample content/site.yml', () => {
    const source = readFileSync(new URL('../../content/site.yml', import.meta.url), 'utf8');

    const site = parseSiteConfig(source, 'content/site.yml', 'herald');

    expect(site).toMatchObject({
      title: 'Open Inference Meetups',
      url: 'https://recaps.example.org',
      baseurl: '',
      timezone: 'Europe/Berlin',
      author: { name: 'Meetup Organisers' },
      newsletter: { fromAddress: 'recaps@recaps.example.org', maxAgeDays: 7 },
    });
  });

  it('fills defaults for everything optional', () => {
    const source = `${MINIMAL.join('\n')}\n`;

    const site = parseSiteConfig(source, 'site.yml', 'herald');

    expect(site).toEqual({
      title: 'Fixture Meetups',
      description: '',
      url: 'https://fixture.test',
      baseurl: '',
      language: 'en',
      timezone: 'UTC',
      permalink: 'date',
      feed: { limit: 20 },
      newsletter: {
        fromAddress: 'newsletter@fixture.test',
        fromName: 'Fixture Meetups',
        postalAddress: 'Lane 1, Town',
        subscribeAction: '/api/subscribe',
        maxAgeDays: 7,
      },
    });
  });

  it('maps every snake_case newsletter key and normalises url and baseurl', () => {
    const source = [
      'title: Fixture Meetups',
      'url: https://fixture.test/',
      'baseurl: blog/',
      'language: pt_BR',
      'timezone: America/Sao_Paulo',
      'author: Fixture Crew',
      'permalink: pretty',
      'feed: { limit: 5 }',
      'newsletter:',
      '  from_address: news@fixture.test',
      '  from_name: Fixture News',
      '  reply_to: crew@fixture.test',
      '  postal_address: Lane 1, Town',
      '  subscribe_action: https://api.fixture.test/subscribe',
      '  unsubscribe_mailto: leave@fixture.test',
      '  max_age_days: 3',
      '  since: 2026-01-01',
      'unknown_key: ignored',
    ].join('\n');

    const site = parseSiteConfig(source, 'site.yml', 'herald');

    expect(site).toEqual({
      title: 'Fixture Meetups',
      description: '',
      url: 'https://fixture.test',
      baseurl: '/blog',
      language: 'pt-BR',
      timezone: 'America/Sao_Paulo',
      author: { name: 'Fixture Crew' },
      permalink: 'pretty',
      feed: { limit: 5 },
      newsletter: {
        fromAddress: 'news@fixture.test',
        fromName: 'Fixture News',
        replyTo: 'crew@fixture.test',
        postalAddress: 'Lane 1, Town',
        subscribeAction: 'https://api.fixture.test/subscribe',
        unsubscribeMailto: 'leave@fixture.test',
        maxAgeDays: 3,
        since: new Date('2026-01-01T03:00:00Z'),
      },
    });
  });

  it('defaults the subscribe action under the baseurl', () => {
    const source = [...MINIMAL, 'baseurl: /recaps/'].join('\n');

    const site = parseSiteConfig(source, 'site.yml', 'herald');

    expect(site.baseurl).toBe('/recaps');
    expect(site.newsletter.subscribeAction).toBe('/recaps/api/subscribe');
  });

  it('reports every invalid field with file, line, field path and value', () => {
    const source = [
      'title: Fixture Meetups',
      'url: ftp://fixture.test',
      'timezone: Mars/Olympus_Mons',
      'newsletter:',
      '  from_address: not-an-address',
      '  postal_address: Lane 1, Town',
      '  max_age_days: -1',
    ].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'content/site.yml', 'herald'));

    expect(problems).toEqual([
      expect.objectContaining({
        file: 'content/site.yml',
        line: 2,
        field: 'url',
        message: expect.stringContaining('"ftp://fixture.test"'),
      }),
      expect.objectContaining({
        line: 3,
        field: 'timezone',
        message: expect.stringContaining('"Mars/Olympus_Mons"'),
      }),
      expect.objectContaining({
        line: 5,
        field: 'newsletter.from_address',
        message: expect.stringContaining('"not-an-address"'),
      }),
      expect.objectContaining({
        line: 7,
        field: 'newsletter.max_age_days',
        message: expect.stringContaining('-1'),
      }),
    ]);
  });

  it('requires a postal address in a Herald site, together with other problems', () => {
    const source = [
      'title: Fixture Meetups',
      'url: https://fixture.test/blog',
      'newsletter:',
      '  max_age_days: 2',
    ].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'site.yml', 'herald'));

    expect(problems).toEqual([
      expect.objectContaining({ file: 'site.yml', line: 2, field: 'url' }),
      {
        file: 'site.yml',
        line: 3,
        field: 'newsletter.postal_address',
        message: expect.stringMatching(/required/),
      },
    ]);
  });

  it('reports a missing required key by name', () => {
    const source = ['url: https://fixture.test', 'newsletter:', '  postal_address: Lane 1'].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'site.yml', 'herald'));

    expect(problems).toEqual([{ file: 'site.yml', field: 'title', message: 'is required' }]);
  });

  it('rejects an unknown permalink style and an unknown placeholder', () => {
    const typo = [...MINIMAL, 'permalink: prety'].join('\n');
    const placeholder = [...MINIMAL, 'permalink: /:year/:titel/'].join('\n');

    const typoProblems = problemsOf(() => parseSiteConfig(typo, 'site.yml', 'herald'));
    const placeholderProblems = problemsOf(() => parseSiteConfig(placeholder, 'site.yml', 'herald'));

    expect(typoProblems).toEqual([
      expect.objectContaining({ line: 5, field: 'permalink', message: expect.stringContaining('"prety"') }),
    ]);
    expect(placeholderProblems).toEqual([
      expect.objectContaining({ line: 5, field: 'permalink', message: expect.stringContaining(':titel') }),
    ]);
  });

  it('rejects an unparsable since date, naming the value', () => {
    const source = [...MINIMAL.slice(0, 4), '  since: last spring'].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'site.yml', 'herald'));

    expect(problems).toEqual([
      {
        file: 'site.yml',
        line: 5,
        field: 'newsletter.since',
        message: expect.stringContaining('"last spring"'),
      },
    ]);
  });

  it('reports malformed YAML with its line', () => {
    const source = [
      'title: Fixture Meetups',
      'url: https://fixture.test',
      'newsletter:',
      '  postal_address: [Lane 1',
      'x: 1',
    ].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'site.yml', 'herald'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'site.yml', message: expect.stringMatching(/^invalid YAML/) });
    expect(problems[0]?.line).toBeGreaterThanOrEqual(4);
  });

  it('reports a duplicated key instead of silently keeping the last one', () => {
    const source = [...MINIMAL, 'title: Second Title'].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, 'site.yml', 'herald'));

    expect(problems).toEqual([
      expect.objectContaining({ file: 'site.yml', line: 5, message: expect.stringMatching(/unique/) }),
    ]);
  });

  it('accepts an already parsed mapping, without line numbers', () => {
    const raw = {
      title: 'Fixture',
      url: 'https://fixture.test',
      newsletter: { postal_address: 'Lane 1', max_age_days: 'soon' },
    };

    const problems = problemsOf(() => parseSiteConfig(raw, 'site.yml', 'herald'));

    expect(problems).toEqual([
      { file: 'site.yml', field: 'newsletter.max_age_days', message: expect.stringContaining('"soon"') },
    ]);
  });
});

describe('parseSiteConfig (jekyll)', () => {
  it('reads the Jekyll keys, ignores Jekyll-only ones and defaults the newsletter', () => {
    const source = [
      'title: Jekyll Fixture',
      'description: A blog',
      'url: https://jekyll.test',
      'baseurl: /blog',
      'lang: de',
      'timezone: Europe/Berlin',
      'permalink: /:categories/:title/',
      'author: { name: Blog Crew, email: crew@jekyll.test }',
      'theme: minima',
      'plugins: [jekyll-feed]',
      'feed: { path: atom.xml }',
    ].join('\n');

    const site = parseSiteConfig(source, '_config.yml', 'jekyll');

    expect(site).toEqual({
      title: 'Jekyll Fixture',
      description: 'A blog',
      url: 'https://jekyll.test',
      baseurl: '/blog',
      language: 'de',
      timezone: 'Europe/Berlin',
      author: { name: 'Blog Crew', email: 'crew@jekyll.test' },
      permalink: '/:categories/:title/',
      feed: { limit: 20 },
      newsletter: {
        fromAddress: 'newsletter@jekyll.test',
        fromName: 'Jekyll Fixture',
        postalAddress: '',
        subscribeAction: '/blog/api/subscribe',
        maxAgeDays: 7,
      },
    });
  });

  it('lets a herald: block set the newsletter and override top-level keys', () => {
    const source = [
      'title: Jekyll Fixture',
      'url: https://jekyll.test',
      'herald:',
      '  title: Jekyll Fixture Newsletter',
      '  feed: { limit: 10 }',
      '  newsletter:',
      '    from_address: news@jekyll.test',
      '    postal_address: Lane 9, Town',
    ].join('\n');

    const site = parseSiteConfig(source, '_config.yml', 'jekyll');

    expect(site.title).toBe('Jekyll Fixture Newsletter');
    expect(site.feed.limit).toBe(10);
    expect(site.newsletter).toMatchObject({ fromAddress: 'news@jekyll.test', postalAddress: 'Lane 9, Town' });
  });

  it('names problems inside the herald: block by their full path and line', () => {
    const source = [
      'title: Jekyll Fixture',
      'url: https://jekyll.test',
      'lang: 12 3',
      'herald:',
      '  newsletter:',
      '    reply_to: nobody',
    ].join('\n');

    const problems = problemsOf(() => parseSiteConfig(source, '_config.yml', 'jekyll'));

    expect(problems).toEqual([
      expect.objectContaining({
        file: '_config.yml',
        line: 3,
        field: 'lang',
        message: expect.stringContaining('"12 3"'),
      }),
      expect.objectContaining({
        file: '_config.yml',
        line: 6,
        field: 'herald.newsletter.reply_to',
        message: expect.stringContaining('"nobody"'),
      }),
    ]);
  });

  it('requires url in a Jekyll site too', () => {
    const source = 'title: Jekyll Fixture\n';

    const problems = problemsOf(() => parseSiteConfig(source, '_config.yml', 'jekyll'));

    expect(problems).toEqual([{ file: '_config.yml', field: 'url', message: 'is required' }]);
  });
});
