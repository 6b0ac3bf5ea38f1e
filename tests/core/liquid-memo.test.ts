import { describe, expect, it } from 'vitest';
import { ContentError } from '../../functions/core/errors.ts';
import { createJekyllLiquid, type LiquidSite } from '../../functions/core/liquid/render-liquid.ts';
import { memorySiteFiles } from '../../functions/core/liquid/site-files.ts';
import type { Post } from '../../functions/core/model.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { mapMemo } from '../helpers/memo.ts';

// Rendered Liquid kept between builds (the CLI's build cache): a kept body must be exactly what rendering
// again would give, so every input a post's Liquid can read is either in its key or makes it unkept.

const NOW = new Date('2026-12-01T10:00:00Z');

function entry(body: string, overrides: Partial<Post> = {}) {
  const post = makePost({ body, sourcePath: '_posts/2026-03-14-pi-day-meetup.md', ...overrides });
  return { post, relativePath: `_posts/${post.id}.md` };
}

const older = entry('', {
  id: '2026-01-02-new-year',
  slug: 'new-year',
  title: 'New Year',
  path: '/2026/01/02/new-year.html',
  date: new Date('2026-01-02T18:00:00Z'),
  tags: ['social'],
});

function site(posts: ReturnType<typeof entry>[], extra: Partial<LiquidSite> = {}): LiquidSite {
  return {
    site: makeSite({ url: 'https://club.test', baseurl: '/blog' }),
    config: { title: 'Club' },
    data: { speakers: [{ name: 'Ada' }] },
    posts,
    files: memorySiteFiles({ '_includes/note.html': '<aside>{{ include.text }}</aside>' }),
    time: NOW,
    ...extra,
  };
}

/** Renders `post` in two builds sharing one memo (the second with `second`'s changes); counts renders. */
async function twoBuilds(
  post: ReturnType<typeof entry>,
  second: {
    post?: ReturnType<typeof entry>;
    extra?: Partial<LiquidSite>;
    others?: ReturnType<typeof entry>[];
    /** Applied to both builds. */
    both?: Partial<LiquidSite>;
  } = {},
) {
  const { memo, store } = mapMemo();
  const kept = () => [...store.keys()].filter((k) => k.startsWith('liquid\0')).length;
  const first = await createJekyllLiquid({ ...site([post, older], second.both), memo }).render(post);
  const afterFirst = kept();
  const secondPost = second.post ?? post;
  const secondSite = site([secondPost, ...(second.others ?? [older])], { ...second.both, ...second.extra });
  const again = await createJekyllLiquid({ ...secondSite, memo }).render(secondPost);
  const uncached = await createJekyllLiquid(secondSite).render(secondPost);
  return { first, again, uncached, keptAfterFirst: afterFirst, keptAfterSecond: kept() };
}

describe('Liquid through the build cache', () => {
  it('keeps a post whose Liquid reads only its own page, the settings, data and includes', async () => {
    const post = entry(
      '{{ page.title }} for {{ site.title }}: {{ site.data.speakers[0].name }} {% include note.html text="hi" %} {{ page.date | date_to_long_string }}. See you next time.',
    );

    const run = await twoBuilds(post);

    expect(run.first).toBe(
      'Pi Day Meetup for Test Meetups: Ada <aside>hi</aside> 14 March 2026. See you next time.',
    );
    expect(run.keptAfterFirst).toBe(1);
    expect(run.again).toBe(run.first);
    expect(run.keptAfterSecond).toBe(1);
  });

  it('serves a kept body without rendering it again', async () => {
    const post = entry('{{ page.title }}');
    const { memo, store } = mapMemo();
    await createJekyllLiquid({ ...site([post]), memo }).render(post);
    const [key] = [...store.keys()].filter((k) => k.startsWith('liquid\0'));
    store.set(key as string, 'kept');

    expect(await createJekyllLiquid({ ...site([post]), memo }).render(post)).toBe('kept');
  });

  it.each([
    ['the body', { post: entry('{{ page.title }}!') }],
    ['front matter', { post: entry('{{ page.title }} {{ page.venue }}', { data: { venue: 'Hall B' } }) }],
    ['the title', { post: entry('{{ page.title }} {{ page.venue }}', { title: 'Tau Day' }) }],
    [
      'an include',
      { extra: { files: memorySiteFiles({ '_includes/note.html': '<p>{{ include.text }}</p>' }) } },
    ],
    ['site data', { extra: { data: { speakers: [{ name: 'Grace' }] } } }],
    ['the config', { extra: { config: { title: 'Club', tagline: 'Renamed' } } }],
    ['the site url', { extra: { site: makeSite({ url: 'https://other.test', baseurl: '/blog' }) } }],
    ['the environment', { extra: { environment: 'development' } }],
  ])('renders again when %s changes', async (_what, change) => {
    const post = entry(
      '{{ page.title }} {{ page.venue }} {{ site.tagline }} {{ site.data.speakers[0].name }} {% include note.html text="x" %} {{ page.url | absolute_url }} {{ jekyll.environment }}',
      { data: { venue: 'Hall A' } },
    );

    const run = await twoBuilds(post, change);

    expect(run.again).toBe(run.uncached);
    expect(run.again).not.toBe(run.first);
  });

  it('keeps the Liquid part when only the text around it changes, and outputs the new text', async () => {
    const post = entry('Intro.\n\nBy {{ page.author }} for {{ site.title }}.\n\nOutro.', {
      data: { author: 'Ada' },
    });
    const edited = entry('New intro.\n\nBy {{ page.author }} for {{ site.title }}.\n\nNew outro.', {
      data: { author: 'Ada' },
    });

    const run = await twoBuilds(post, { post: edited });

    expect(run.again).toBe('New intro.\n\nBy Ada for Test Meetups.\n\nNew outro.');
    expect(run.again).toBe(run.uncached);
    expect(run.keptAfterSecond).toBe(1);
  });

  it.each([
    ['page.content', '{{ page.content | number_of_words }}'],
    ['page.excerpt', '{{ page.excerpt | strip_html | strip }}'],
    ['page whole', '{{ page | jsonify | size }}'],
    ['an include that reads page.content', '{% include words.html %}'],
  ])('renders again when the text around Liquid that reads %s changes', async (_what, liquid) => {
    const both = {
      files: memorySiteFiles({ '_includes/words.html': '{{ page.content | number_of_words }}' }),
    };
    const post = entry(`One two.\n\n${liquid}\n\nThree.`);
    const edited = entry(`One two three four five.\n\n${liquid}\n\nThree.`);

    const run = await twoBuilds(post, { post: edited, both });

    expect(run.again).toBe(run.uncached);
    expect(run.again).not.toBe(run.first);
    expect(run.keptAfterSecond).toBe(2);
  });

  it('renders link and post_url again when another post moves, and keeps them otherwise', async () => {
    const post = entry('Last time: {% post_url 2026-01-02-new-year %}');
    const moved = { ...older, post: { ...older.post, path: '/news/new-year/' } };

    const same = await twoBuilds(post);
    const run = await twoBuilds(post, { others: [moved] });

    expect(same.keptAfterSecond).toBe(1);
    expect(run.first).toBe('Last time: /blog/2026/01/02/new-year.html');
    expect(run.again).toBe('Last time: /blog/news/new-year/');
  });

  it.each([
    ['site.posts', '{% for p in site.posts %}{{ p.title }};{% endfor %}'],
    ['site.tags', '{{ site.tags | size }}'],
    ['page.previous', '{{ page.previous.title }}'],
    ['site.time', '{{ site.time | date: "%Y" }}'],
    ['site whole', '{{ site | jsonify | size }}'],
    ['"now"', '{{ "now" | date: "%Y-%m-%d" }}'],
    ['include_relative', '{% include_relative snippet.txt %}'],
    [
      'site.posts in a where_exp expression',
      '{{ site.data.speakers | where_exp: "s", "site.posts.size > 1" | size }}',
    ],
    ['page.next in an if', '{% if page.next %}Newer{% endif %}'],
    ['page[name]', '{% assign n = "previous" %}{{ page[n].title }}'],
    ['an include that reads site.posts', '{% include list.html %}'],
  ])('never keeps a post whose Liquid reads %s', async (_what, body) => {
    const files = memorySiteFiles({
      '_includes/list.html': '{{ site.posts | size }}',
      '_posts/snippet.txt': 'snippet',
    });
    const post = entry(body, { date: new Date('2026-03-14T18:00:00Z') });

    const run = await twoBuilds(post, { both: { files } });

    expect(run.keptAfterSecond).toBe(0);
    expect(run.again).toBe(run.uncached);
  });

  it('never keeps a post whose front matter or site data holds "now"', async () => {
    const post = entry('{{ page.when | date: "%Y" }}', { data: { when: 'now' } });
    const data = entry('{{ site.data.when | date: "%Y" }}');

    expect((await twoBuilds(post)).keptAfterSecond).toBe(0);
    expect((await twoBuilds(data, { both: { data: { when: 'today' } } })).keptAfterSecond).toBe(0);
  });

  describe("with the front matter's text, as the loader gives it", () => {
    const withText = (venue: string, extra: Partial<Post> = {}) => ({
      ...entry('{{ page.title }} at {{ page.venue }}', { data: { venue }, ...extra }),
      frontMatter: `---\ntitle: Pi Day Meetup\nvenue: ${venue}\n---\n`,
    });

    it('keeps a post whose front matter is unchanged', async () => {
      const run = await twoBuilds(withText('Hall A'));

      expect(run.first).toBe('Pi Day Meetup at Hall A');
      expect(run.keptAfterSecond).toBe(1);
      expect(run.again).toBe(run.first);
    });

    it('renders again when the front matter changes', async () => {
      const run = await twoBuilds(withText('Hall A'), { post: withText('Hall B') });

      expect(run.again).toBe('Pi Day Meetup at Hall B');
      expect(run.again).toBe(run.uncached);
    });

    it('never keeps a post whose front matter holds "now"', async () => {
      const post = {
        ...entry('{{ page.when | date: "%Y" }}', { data: { when: 'now' } }),
        frontMatter: '---\nwhen: now\n---\n',
      };

      expect((await twoBuilds(post)).keptAfterSecond).toBe(0);
    });
  });

  it('keeps nothing for a Liquid error, which still names the file and line', async () => {
    const post = entry('Fine\n{% plugin_tag %}');
    const { memo, store } = mapMemo();

    const error = await createJekyllLiquid({ ...site([post]), memo })
      .render(post)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ContentError);
    expect((error as ContentError).problems[0]).toMatchObject({
      file: post.post.sourcePath,
      line: post.post.bodyLine + 1,
    });
    expect([...store.keys()].filter((k) => k.startsWith('liquid\0'))).toEqual([]);
  });
});
