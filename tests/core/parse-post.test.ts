import { describe, expect, it } from 'vitest';
import { parsePost } from '../../functions/core/parse-post.ts';
import { makeSite } from '../helpers/fixtures.ts';
import { problemsOf } from '../helpers/problems.ts';

function source(frontMatter: string[], body = 'We met and talked.\n'): string {
  return ['---', ...frontMatter, '---', '', body].join('\n');
}

describe('parsePost', () => {
  it('reads a recap shaped like the real ones', () => {
    const input = {
      path: 'content/posts/2026-09-24-berlin-serving-night.md',
      source: source([
        'layout: post',
        'title: "Serving Night Berlin"',
        'author: "Meetup Organisers"',
        'summary: "Three talks about caches."',
        'image: /assets/recaps/berlin/stage.png',
        'tags: [berlin, kv-cache]',
      ]),
    };

    const post = parsePost(input, makeSite());

    expect(post).toEqual({
      id: '2026-09-24-berlin-serving-night',
      guid: 'https://recaps.test/2026/09/24/berlin-serving-night',
      sourcePath: 'content/posts/2026-09-24-berlin-serving-night.md',
      slug: 'berlin-serving-night',
      title: 'Serving Night Berlin',
      date: new Date('2026-09-24T00:00:00Z'),
      updated: new Date('2026-09-24T00:00:00Z'),
      path: '/2026/09/24/berlin-serving-night.html',
      url: 'https://recaps.test/2026/09/24/berlin-serving-night.html',
      authors: [{ name: 'Meetup Organisers' }],
      summary: 'Three talks about caches.',
      image: 'https://recaps.test/assets/recaps/berlin/stage.png',
      tags: ['berlin', 'kv-cache'],
      categories: [],
      draft: false,
      body: '\nWe met and talked.\n',
      bodyLine: 9,
      data: {
        layout: 'post',
        title: 'Serving Night Berlin',
        author: 'Meetup Organisers',
        summary: 'Three talks about caches.',
        image: '/assets/recaps/berlin/stage.png',
        tags: ['berlin', 'kv-cache'],
      },
    });
  });

  it('puts baseurl into url and guid but not into path', () => {
    const input = { path: '_posts/2026-03-14-pi-day.md', source: source(['title: Pi Day']) };

    const post = parsePost(input, makeSite({ baseurl: '/blog' }));

    expect(post.path).toBe('/2026/03/14/pi-day.html');
    expect(post.url).toBe('https://recaps.test/blog/2026/03/14/pi-day.html');
    expect(post.guid).toBe('https://recaps.test/blog/2026/03/14/pi-day');
  });

  it('keeps the jekyll-feed guid for pretty permalinks', () => {
    const input = { path: 'posts/2026-03-14-pi-day.md', source: source(['title: Pi Day']) };

    const post = parsePost(input, makeSite({ permalink: 'pretty' }));

    expect(post.path).toBe('/2026/03/14/pi-day/');
    expect(post.url).toBe('https://recaps.test/2026/03/14/pi-day/');
    expect(post.guid).toBe('https://recaps.test/2026/03/14/pi-day');
  });

  describe('dates and time zones', () => {
    it('reads a date without zone as wall-clock time in the site time zone', () => {
      const input = {
        path: 'posts/2026-08-19-seoul.md',
        source: source(['title: Seoul', 'date: 2026-08-19 19:00']),
      };

      const post = parsePost(input, makeSite({ timezone: 'Asia/Seoul' }));

      expect(post.date).toEqual(new Date('2026-08-19T10:00:00Z'));
      expect(post.path).toBe('/2026/08/19/seoul.html');
    });

    it('reads the file-name date as midnight in the site time zone', () => {
      const input = { path: 'posts/2026-08-19-seoul.md', source: source(['title: Seoul']) };

      const post = parsePost(input, makeSite({ timezone: 'Asia/Seoul' }));

      expect(post.date).toEqual(new Date('2026-08-18T15:00:00Z'));
      expect(post.path).toBe('/2026/08/19/seoul.html');
    });

    it.each([
      ['2026-08-19 19:00:00 +0900', '2026-08-19T10:00:00Z'],
      ['2026-08-19 19:00:00 +09:00', '2026-08-19T10:00:00Z'],
      ['2026-08-19T19:00:00+09:00', '2026-08-19T10:00:00Z'],
      ['2026-08-19T10:00:00Z', '2026-08-19T10:00:00Z'],
      ['2026-08-19T10:00:00.250Z', '2026-08-19T10:00:00.250Z'],
      ['2026-08-19 04:30 -0530', '2026-08-19T10:00:00Z'],
      ['2026-08-19', '2026-08-19T00:00:00Z'],
    ])('honours the explicit form %s', (value, expected) => {
      const input = { path: 'posts/2026-08-19-seoul.md', source: source(['title: Seoul', `date: ${value}`]) };

      const post = parsePost(input, makeSite({ timezone: 'UTC' }));

      expect(post.date).toEqual(new Date(expected));
    });

    it('moves the URL day when the front matter time is already the next day in the site zone', () => {
      // 23:30 in California is 06:30 the next morning in UTC
      const input = {
        path: 'posts/2026-09-24-late-night.md',
        source: source(['title: Late Night', 'date: 2026-09-24 23:30:00 -0700']),
      };

      const post = parsePost(input, makeSite({ timezone: 'UTC' }));

      expect(post.path).toBe('/2026/09/25/late-night.html');
      expect(post.id).toBe('2026-09-24-late-night');
      expect(post.guid).toBe('https://recaps.test/2026/09/25/late-night');
    });

    it('keeps the URL day of a late evening in a zone behind UTC', () => {
      const input = {
        path: 'posts/2026-09-24-late-night.md',
        source: source(['title: Late', 'date: 2026-09-24 23:30']),
      };

      const post = parsePost(input, makeSite({ timezone: 'America/Los_Angeles' }));

      expect(post.date).toEqual(new Date('2026-09-25T06:30:00Z'));
      expect(post.path).toBe('/2026/09/24/late-night.html');
    });

    it('reads last_modified_at or updated into updated', () => {
      const first = {
        path: 'posts/2026-01-01-a.md',
        source: source(['title: A', 'last_modified_at: 2026-01-05 10:00']),
      };
      const second = {
        path: 'posts/2026-01-01-b.md',
        source: source(['title: B', 'updated: 2026-01-06T10:00:00Z']),
      };

      const a = parsePost(first, makeSite({ timezone: 'Europe/Berlin' }));
      const b = parsePost(second, makeSite());

      expect(a.updated).toEqual(new Date('2026-01-05T09:00:00Z'));
      expect(b.updated).toEqual(new Date('2026-01-06T10:00:00Z'));
    });
  });

  describe('front matter fields', () => {
    it('splits tags and categories given as space-separated strings, like Jekyll', () => {
      const input = {
        path: 'posts/2026-01-01-words.md',
        source: source([
          'title: Words',
          'tags: berlin  kv-cache berlin',
          'categories: recaps',
          'category: talks',
        ]),
      };

      const post = parsePost(input, makeSite());

      expect(post.tags).toEqual(['berlin', 'kv-cache']);
      expect(post.categories).toEqual(['recaps', 'talks']);
      expect(post.path).toBe('/recaps/talks/2026/01/01/words.html');
    });

    it('keeps unknown keys in data without complaint', () => {
      const input = {
        path: 'posts/2026-01-01-extra.md',
        source: source([
          'title: Extra',
          'layout: post',
          'math: true',
          'social_image: /assets/card.png',
          'toc: { depth: 2 }',
        ]),
      };

      const post = parsePost(input, makeSite());

      expect(post.data).toMatchObject({
        layout: 'post',
        math: true,
        social_image: '/assets/card.png',
        toc: { depth: 2 },
      });
    });

    it('coerces a numeric title to a string', () => {
      const input = { path: 'posts/2026-01-01-year.md', source: source(['title: 2026']) };

      const post = parsePost(input, makeSite());

      expect(post.title).toBe('2026');
    });

    it.each([
      ['a name', ['author: Ada Example'], [{ name: 'Ada Example' }]],
      [
        'a list of names',
        ['author: [Ada Example, Grace Example]'],
        [{ name: 'Ada Example' }, { name: 'Grace Example' }],
      ],
      [
        'a mapping',
        ['author:', '  name: Ada Example', '  email: ada@recaps.test', '  url: https://ada.test'],
        [{ name: 'Ada Example', email: 'ada@recaps.test', url: 'https://ada.test' }],
      ],
      [
        'a list of names and mappings',
        ['author:', '  - Ada Example', '  - name: Grace Example', '    url: https://grace.test'],
        [{ name: 'Ada Example' }, { name: 'Grace Example', url: 'https://grace.test' }],
      ],
      ['nothing', [], [{ name: 'Test Organisers' }]],
      ['an empty list', ['author: []'], [{ name: 'Test Organisers' }]],
      ['an empty value', ['author:'], [{ name: 'Test Organisers' }]],
    ])('reads author given as %s', (_, lines, expected) => {
      const input = { path: 'posts/2026-01-01-people.md', source: source(['title: People', ...lines]) };

      const post = parsePost(input, makeSite());

      expect(post.authors).toEqual(expected);
    });

    it('takes the summary from description when summary is absent', () => {
      const input = {
        path: 'posts/2026-01-01-d.md',
        source: source(['title: D', 'description: From the description.']),
      };

      const post = parsePost(input, makeSite());

      expect(post.summary).toBe('From the description.');
    });

    it.each([
      ['/assets/a.png', 'https://recaps.test/blog/assets/a.png'],
      ['stage.png', 'https://recaps.test/blog/2026/01/01/img/stage.png'],
      ['https://cdn.test/a.png', 'https://cdn.test/a.png'],
      ['//cdn.test/a.png', 'https://cdn.test/a.png'],
    ])('resolves image %s to an absolute URL', (image, expected) => {
      const input = { path: 'posts/2026-01-01-img.md', source: source(['title: Img', `image: ${image}`]) };

      const post = parsePost(input, makeSite({ baseurl: '/blog', permalink: 'pretty' }));

      expect(post.image).toBe(expected);
    });

    it('reads an image given as a mapping with path', () => {
      const input = {
        path: 'posts/2026-01-01-img.md',
        source: source(['title: Img', 'image:', '  path: /assets/card.png', '  alt: The stage']),
      };

      const post = parsePost(input, makeSite());

      expect(post.image).toBe('https://recaps.test/assets/card.png');
    });

    it.each([
      [['draft: true'], true],
      [['published: false'], true],
      [['published: true', 'draft: false'], false],
    ])('marks %j as draft: %s and still returns it', (lines, expected) => {
      const input = { path: 'posts/2026-01-01-maybe.md', source: source(['title: Maybe', ...lines]) };

      const post = parsePost(input, makeSite());

      expect(post.draft).toBe(expected);
    });

    it('reads email and subject', () => {
      const input = {
        path: 'posts/2026-01-01-mail.md',
        source: source(['title: Mail', 'email: false', 'subject: "Recap: the January meetup"']),
      };

      const post = parsePost(input, makeSite());

      expect(post.email).toBe(false);
      expect(post.subject).toBe('Recap: the January meetup');
    });

    it('lets slug override the file name in path and guid but not in id', () => {
      const input = {
        path: 'posts/2026-01-01-long-file-name.md',
        source: source(['title: Slug', 'slug: short']),
      };

      const post = parsePost(input, makeSite());

      expect(post.slug).toBe('short');
      expect(post.path).toBe('/2026/01/01/short.html');
      expect(post.guid).toBe('https://recaps.test/2026/01/01/short');
      expect(post.id).toBe('2026-01-01-long-file-name');
    });

    it('lets permalink override the whole path, placeholders included', () => {
      const fixed = {
        path: 'posts/2026-01-01-fixed.md',
        source: source(['title: Fixed', 'permalink: /recaps/january/']),
      };
      const templated = {
        path: 'posts/2026-01-01-tpl.md',
        source: source(['title: Tpl', 'permalink: /talks/:year/:title/']),
      };

      const a = parsePost(fixed, makeSite());
      const b = parsePost(templated, makeSite());

      expect(a.path).toBe('/recaps/january/');
      // Jekyll's id: dirname of the URL joined with the slug
      expect(a.guid).toBe('https://recaps.test/recaps/fixed');
      expect(b.path).toBe('/talks/2026/tpl/');
    });

    it('turns an explicit id into a tag URI guid, and keeps URL or URN ids', () => {
      const plain = { path: 'posts/2026-01-01-a.md', source: source(['title: A', 'id: january-recap']) };
      const url = {
        path: 'posts/2026-01-01-b.md',
        source: source(['title: B', 'id: https://old.test/posts/b']),
      };
      const urn = {
        path: 'posts/2026-01-01-c.md',
        source: source(['title: C', 'id: urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e']),
      };

      const a = parsePost(plain, makeSite({ timezone: 'Asia/Seoul' }));
      const b = parsePost(url, makeSite());
      const c = parsePost(urn, makeSite());

      expect(a.id).toBe('january-recap');
      expect(a.guid).toBe('tag:recaps.test,2026-01-01:january-recap');
      expect(b.guid).toBe('https://old.test/posts/b');
      expect(c.guid).toBe('urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e');
    });

    it('takes categories from folders above _posts, relative to the given root', () => {
      const withRoot = {
        path: 'site/seoul/_posts/2026-08-19-night.md',
        root: 'site',
        source: source(['title: Night', 'categories: [recap]']),
      };
      const relative = { path: 'talks/_posts/2026-08-19-night.md', source: source(['title: Night']) };

      const a = parsePost(withRoot, makeSite());
      const b = parsePost(relative, makeSite());

      expect(a.categories).toEqual(['seoul', 'recap']);
      expect(a.path).toBe('/seoul/recap/2026/08/19/night.html');
      expect(b.categories).toEqual(['talks']);
    });

    it('accepts .markdown files and CRLF line endings', () => {
      const input = {
        path: 'posts/2026-01-01-windows.markdown',
        source: '---\r\ntitle: Windows\r\n---\r\nBody\r\n',
      };

      const post = parsePost(input, makeSite());

      expect(post.title).toBe('Windows');
      expect(post.id).toBe('2026-01-01-windows');
      expect(post.body).toBe('Body\r\n');
      expect(post.bodyLine).toBe(4);
    });
  });

  describe('problems', () => {
    it('reports a missing title at the front matter', () => {
      const input = { path: 'posts/2026-01-01-untitled.md', source: source(['layout: post']) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        { file: 'posts/2026-01-01-untitled.md', line: 1, field: 'title', message: 'is required' },
      ]);
    });

    it('reports an empty title on its line', () => {
      const input = { path: 'posts/2026-01-01-untitled.md', source: source(['layout: post', 'title: "  "']) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([expect.objectContaining({ line: 3, field: 'title' })]);
    });

    it.each(['2026-02-32', 'next tuesday', '2026-09-24 25:00'])('reports the unparsable date %s', (value) => {
      const input = {
        path: 'posts/2026-01-01-when.md',
        source: source(['title: When', 'layout: post', `date: ${value}`]),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-when.md',
          line: 4,
          field: 'date',
          message: expect.stringContaining(`"${value}"`),
        },
      ]);
    });

    it('reports malformed YAML at its line in the file', () => {
      // Line 1 is ---, so the broken line 3 of the file is line 2 of the YAML
      const input = {
        path: 'posts/2026-01-01-broken.md',
        source: source(['layout: post', 'title: "Unclosed', 'tags: [a]']),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        file: 'posts/2026-01-01-broken.md',
        message: expect.stringMatching(/^invalid YAML/),
      });
      expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
      expect(problems[0]?.line).toBeLessThanOrEqual(5);
    });

    it('reports YAML that breaks a later line exactly there', () => {
      const input = {
        path: 'posts/2026-01-01-broken.md',
        source: source(['layout: post', 'title: Fine', 'author:', '  - Ada', ' - Grace']),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([expect.objectContaining({ file: 'posts/2026-01-01-broken.md', line: 6 })]);
    });

    it('reports a duplicated key', () => {
      const input = { path: 'posts/2026-01-01-twice.md', source: source(['title: One', 'title: Two']) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        { file: 'posts/2026-01-01-twice.md', line: 3, message: expect.stringContaining('unique') },
      ]);
    });

    it('reports a file name without a date', () => {
      const input = { path: 'posts/berlin-serving-night.md', source: source(['title: Berlin']) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/berlin-serving-night.md',
          line: 1,
          message: expect.stringContaining('YYYY-MM-DD-slug.md'),
        },
      ]);
    });

    it('reports a file-name date that does not exist', () => {
      const input = { path: 'posts/2026-02-32-nope.md', source: source(['title: Nope']) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        { file: 'posts/2026-02-32-nope.md', line: 1, message: expect.stringContaining('2026-02-32') },
      ]);
    });

    it('rolls a file-name day past the end of its month over, as Jekyll does', () => {
      const input = { path: 'posts/2026-02-30-rolled.md', source: source(['title: Rolled']) };

      const post = parsePost(input, makeSite({ timezone: 'UTC' }));

      expect(post.date.toISOString()).toBe('2026-03-02T00:00:00.000Z');
      expect(post.path).toContain('/2026/03/02/');
    });

    it('reports a file that is not Markdown', () => {
      const input = { path: 'posts/2026-01-01-notes.txt', source: 'plain text' };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-notes.txt',
          line: 1,
          message: expect.stringContaining('not a Markdown post'),
        },
      ]);
    });

    it.each([
      ['an empty file', '', /empty file/],
      ['a blank file', '\n \n', /empty file/],
      ['no front matter', '# Just Markdown\n', /no front matter/],
      ['unclosed front matter', '---\ntitle: Open\n\nBody\n', /not closed/],
      ['another front matter language', '---js\n{ title: "x" }\n---\n', /no front matter/],
      ['front matter that is a list', '---\n- a\n- b\n---\nBody\n', /mapping/],
    ])('reports %s', (_, text, message) => {
      const input = { path: 'posts/2026-01-01-odd.md', source: text };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-odd.md',
          line: expect.any(Number),
          message: expect.stringMatching(message),
        },
      ]);
    });

    it.each([
      ['tags: 5', 'tags', '5'],
      ['email: "no"', 'email', '"no"'],
      ['draft: yes', 'draft', '"yes"'],
      ['author: 42', 'author', '42'],
      ['image: [a, b]', 'image', '["a","b"]'],
      ['slug: two words', 'slug', '"two words"'],
    ])('reports the wrong type in %s, naming field and value', (line, field, value) => {
      const input = { path: 'posts/2026-01-01-types.md', source: source(['title: Types', line]) };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-types.md',
          line: 3,
          field,
          message: expect.stringContaining(`(got ${value})`),
        },
      ]);
    });

    it('reports a bad nested value by its path', () => {
      const input = {
        path: 'posts/2026-01-01-nested.md',
        source: source([
          'title: Nested',
          'author:',
          '  - Ada',
          '  - name: Grace',
          '    email: grace-at-example',
        ]),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-nested.md',
          line: 6,
          field: 'author[1].email',
          message: expect.stringContaining('"grace-at-example"'),
        },
      ]);
    });

    it('reports every problem of a post at once', () => {
      const input = {
        path: 'posts/2026-01-01-many.md',
        source: source(['tags: 5', 'date: someday', 'email: "no"']),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems.map((p) => [p.line, p.field])).toEqual([
        [1, 'title'],
        [2, 'tags'],
        [4, 'email'],
        [3, 'date'],
      ]);
    });

    it('reports an unknown placeholder in a front matter permalink', () => {
      const input = {
        path: 'posts/2026-01-01-p.md',
        source: source(['title: P', 'permalink: /:yaer/:title/']),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([
        {
          file: 'posts/2026-01-01-p.md',
          line: 3,
          field: 'permalink',
          message: expect.stringContaining(':yaer'),
        },
      ]);
    });

    it('refuses a permalink that climbs out of the site', () => {
      const input = {
        path: 'posts/2026-01-01-p.md',
        source: source(['title: P', 'permalink: /../../etc/passwd']),
      };

      const problems = problemsOf(() => parsePost(input, makeSite()));

      expect(problems).toEqual([expect.objectContaining({ line: 3, field: 'permalink' })]);
    });
  });
});
