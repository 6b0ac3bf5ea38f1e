import { Liquid, Parser } from 'liquidjs';
import { describe, expect, it, vi } from 'vitest';
import { ContentError } from '../../functions/core/errors.ts';
import {
  createJekyllLiquid,
  hasLiquid,
  LIQUID_LIMITS,
  type LiquidSite,
  liquidSpan,
  liquidStart,
} from '../../functions/core/liquid/render-liquid.ts';
import { memorySiteFiles } from '../../functions/core/liquid/site-files.ts';
import type { Post } from '../../functions/core/model.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

const NOW = new Date('2026-12-01T10:00:00Z');

function siteWith(
  posts: { post: Post; relativePath: string }[],
  extra: Partial<LiquidSite> = {},
): LiquidSite {
  return {
    site: makeSite({ url: 'https://club.test', baseurl: '/blog', timezone: 'America/Los_Angeles' }),
    config: { title: 'Club', repository: 'club/site', custom: { nested: 'yes' } },
    data: {},
    posts,
    files: memorySiteFiles({}),
    time: NOW,
    ...extra,
  };
}

function post(body: string, overrides: Partial<Post> = {}) {
  const p = makePost({
    body,
    sourcePath: 'blog/_posts/2026-03-14-pi-day-meetup.md',
    bodyLine: 5,
    ...overrides,
  });
  return { post: p, relativePath: `_posts/${p.id}.md` };
}

/** A second post, dated after {@link post}'s, for tests of what two posts share. */
function laterPost(body: string, overrides: Partial<Post> = {}) {
  return post(body, {
    id: '2026-04-01-later',
    slug: 'later',
    sourcePath: 'blog/_posts/2026-04-01-later.md',
    ...overrides,
  });
}

/** The first problem of the ContentError rendering `entry` throws, if any. */
function problemRendering(liquid: ReturnType<typeof createJekyllLiquid>, entry: ReturnType<typeof post>) {
  return liquid.render(entry).then(
    () => undefined,
    (error: unknown) => (error instanceof ContentError ? error.problems[0] : undefined),
  );
}

async function render(body: string, extra: Partial<LiquidSite> = {}, others: ReturnType<typeof post>[] = []) {
  const entry = post(body);
  const liquid = createJekyllLiquid(siteWith([entry, ...others], extra));
  return liquid.render(entry);
}

async function problemOf(body: string, extra: Partial<LiquidSite> = {}) {
  try {
    await render(body, extra);
  } catch (error) {
    if (error instanceof ContentError) return error.problems[0];
    throw error;
  }
  throw new Error('expected a ContentError');
}

describe('createJekyllLiquid', () => {
  it('exposes site config keys, page fields and jekyll.environment', async () => {
    const out = await render(
      '{{ site.repository }} {{ site.custom.nested }} {{ page.title }} {{ page.url }} {{ page.id }} {{ jekyll.environment }}',
    );

    expect(out).toBe(
      'club/site yes Pi Day Meetup /2026/03/14/pi-day-meetup.html /2026/03/14/pi-day-meetup production',
    );
  });

  it('prints dates as Ruby does in the site zone and formats them with the date filters', async () => {
    const out = await render(
      '{{ page.date }}|{{ page.date | date_to_xmlschema }}|{{ page.date | date_to_rfc822 }}|{{ page.date | date_to_string }}|{{ page.date | date_to_long_string: "ordinal", "US" }}|{{ page.date | date: "%Y-%m-%d %H:%M" }}',
    );

    expect(out).toBe(
      '2026-03-14 05:00:00 -0700|2026-03-14T05:00:00-07:00|Sat, 14 Mar 2026 05:00:00 -0700|14 Mar 2026|March 14th, 2026|2026-03-14 05:00',
    );
  });

  it('reads site.data, filters it with where and first as Jekyll does', async () => {
    const data = {
      releases: [
        { version: '3.4.0', sha256: 'abc' },
        { version: 3.5, sha256: 'def' },
      ],
    };

    const out = await render(
      '{% assign r = site.data.releases | where: "version", "3.4.0" | first %}{{ r.sha256 }} {% assign s = site.data.releases | where: "version", "3.5" | first %}{{ s.sha256 }}',
      { data },
    );

    expect(out).toBe('abc def');
  });

  it('renders highlight as pre/code with the language, escaped, and keeps raw text raw', async () => {
    const out = await render(
      '{% highlight ruby linenos %}\nputs "<hi>"\nx = 1\n{% endhighlight %}\n{% raw %}{{ not }}{% endraw %}',
    );

    expect(out).toBe(
      '<pre class="highlight linenos"><code class="language-ruby" data-lang="ruby"><span class="line">puts &quot;&lt;hi&gt;&quot;</span>\n<span class="line">x = 1</span></code></pre>\n{{ not }}',
    );
  });

  it('resolves link and post_url to URLs with the baseurl', async () => {
    const other = post('', {
      id: '2026-01-02-new-year',
      slug: 'new-year',
      path: '/2026/01/02/new-year.html',
    });

    const out = await render(
      '{% link _posts/2026-01-02-new-year.md %} {% post_url 2026-01-02-new-year %} {% link about.md %}',
      { links: [{ relativePath: 'about.md', url: '/about/' }] },
      [other],
    );

    expect(out).toBe('/blog/2026/01/02/new-year.html /blog/2026/01/02/new-year.html /blog/about/');
  });

  it('passes include parameters as include.x and reads files next to the post for include_relative', async () => {
    const files = memorySiteFiles({
      '_includes/note.html': '<aside>{{ include.text }} {{ page.title }}</aside>',
      '_posts/snippet.txt': 'snippet {{ include.n }}',
    });

    const out = await render('{% include note.html text="Hello" %} {% include_relative snippet.txt n=2 %}', {
      files,
    });

    expect(out).toBe('<aside>Hello Pi Day Meetup</aside> snippet 2');
  });

  it('lists site.posts newest first with their urls, ids and jsonify', async () => {
    const other = post('', {
      id: '2026-01-02-new-year',
      slug: 'new-year',
      path: '/2026/01/02/new-year.html',
      date: new Date('2026-01-02T00:00:00Z'),
      title: 'New "Year"',
    });

    const out = await render(
      '{% for p in site.posts %}{{ p.url }}={{ p.title | jsonify }};{% endfor %}',
      {},
      [other],
    );

    expect(out).toBe(
      '/2026/03/14/pi-day-meetup.html="Pi Day Meetup";/2026/01/02/new-year.html="New \\"Year\\"";',
    );
  });

  it("gives page its front matter first, Jekyll's fields, excerpt, neighbours, and jsonify without content", async () => {
    const data = JSON.parse(
      '{"speaker":"Rita","title":"Ignored","__proto__":{"polluted":true},"excerpt":"x"}',
    );
    const entry = post(
      'Intro.\n\n{{ page | jsonify }}|{{ page.previous.title }}|{{ page.next }}|{{ page.polluted }}',
      {
        data,
      },
    );
    const older = post('Older.', {
      id: '2026-01-02-older',
      slug: 'older',
      title: 'Older one',
      date: new Date('2026-01-02T00:00:00Z'),
    });

    const out = await createJekyllLiquid(siteWith([entry, older])).render(entry);
    const [json, previous, next, polluted] = out.slice('Intro.\n\n'.length).split('|');

    const page = JSON.parse(json ?? '');
    expect(Object.keys(page).slice(0, 6)).toEqual(['speaker', 'title', '__proto__', 'excerpt', 'url', 'id']);
    expect(page).toMatchObject({ speaker: 'Rita', title: 'Pi Day Meetup', excerpt: '<p>Intro.</p>\n' });
    expect(Object.getOwnPropertyDescriptor(page, '__proto__')?.value).toEqual({ polluted: true });
    expect(page).not.toHaveProperty('content');
    expect([previous, next, polluted]).toEqual(['Older one', '', '']);
  });

  it('applies the text and escaping filters as Jekyll defines them', async () => {
    const out = await render(
      `{{ "The _config.yml file?! É" | slugify: "pretty" }}|{{ "a&b<c>\\"d\\"'e" | xml_escape }}|{{ "foo,bar;baz? é~*" | cgi_escape }}|{{ "foo, bar \\\\baz? é" | uri_escape }}|{{ "  a \n b " | normalize_whitespace }}|{{ "one two  three" | number_of_words }}|{{ site.tagsx | default: "x,y,z" | split: "," | array_to_sentence_string }}|{{ "He said \\"it's\\" -- ok..." | smartify }}|{{ "/x y" | absolute_url }}`,
    );

    expect(out).toBe(
      'the-_config.yml-file-!-é|a&amp;b&lt;c&gt;&quot;d&quot;&apos;e|foo%2Cbar%3Bbaz%3F+%C3%A9~%2A|foo,%20bar%20%5Cbaz?%20%C3%A9|a b|3|x, y, and z|He said “it’s” – ok…|https://club.test/blog/x%20y',
    );
  });

  it('keeps whitespace control working at the edges of the Liquid part', async () => {
    const out = await render('a\n\n  {%- if true -%}\n  b  {%- endif -%}  \n\nc');

    expect(out).toBe('abc');
  });

  it('counts lines of the text before the first tag in error lines', async () => {
    const problem = await problemOf('one\ntwo\nthree {{ "x" | nope }}');

    expect(problem?.line).toBe(7);
    expect(problem?.message).toContain("Unknown filter 'nope'");
  });

  it('honours render_with_liquid: false', async () => {
    const entry = post('{{ page.title }}', { data: { render_with_liquid: false } });

    const out = await createJekyllLiquid(siteWith([entry])).render(entry);

    expect(out).toBe('{{ page.title }}');
  });

  it('reports an unknown tag with the file and line', async () => {
    const problem = await problemOf('line one\n\n{% youtube abc %}');

    expect(problem).toMatchObject({ file: 'blog/_posts/2026-03-14-pi-day-meetup.md', line: 7 });
    expect(problem?.message).toContain("Unknown tag 'youtube'");
  });

  it('reports a syntax error, a missing post_url target and a missing link target', async () => {
    expect((await problemOf('{% if %}x{% endif %}'))?.line).toBe(5);
    expect((await problemOf('a\n{% post_url 2020-01-01-gone %}'))?.message).toContain(
      'Could not find post "2020-01-01-gone" in tag \'post_url\'',
    );
    expect((await problemOf('{% link _posts/nope.md %}'))?.message).toContain(
      "Could not find document '_posts/nope.md' in tag 'link'",
    );
  });

  it('names the file and line of a render error in a fragment another post used first', async () => {
    const first = post('Held on {{ page.when | date_to_string }}.', { data: { when: '2026-03-14' } });
    const second = laterPost('Intro\n\nHeld on {{ page.when | date_to_string }}.', {
      data: { when: 'some day' },
    });
    const liquid = createJekyllLiquid(siteWith([first, second]));
    await liquid.render(first);

    const problem = await problemRendering(liquid, second);

    expect(problem).toMatchObject({ file: 'blog/_posts/2026-04-01-later.md', line: 7 });
    expect(problem?.message).toContain('Invalid Date');
  });

  it("renders a block written the same in several posts with each post's own values", async () => {
    const block =
      '{% for t in page.tags %}[{{ t | upcase }}]{% if page.tags.size > 1 %}{% if forloop.last %}!{% endif %}{% endif %}{% endfor %}' +
      '{% highlight js %}\nlet slug = "{{ page.slug }}";\n{% endhighlight %}';
    const first = post(`A ${block} end`, { tags: ['js', 'ts'] });
    const second = laterPost(`B\n\n${block}\n\nend`, { tags: ['go'] });
    const liquid = createJekyllLiquid(siteWith([first, second]));

    expect(await liquid.render(first)).toBe(
      'A [JS][TS]!<pre class="highlight"><code class="language-js" data-lang="js">let slug = &quot;pi-day-meetup&quot;;</code></pre> end',
    );
    expect(await liquid.render(second)).toBe(
      'B\n\n[GO]<pre class="highlight"><code class="language-js" data-lang="js">let slug = &quot;later&quot;;</code></pre>\n\nend',
    );
  });

  it('renders markup another post parsed first as liquidjs renders the whole post', async () => {
    const bodies = [
      'A {% assign x = "q" %}{{ x | upcase }} b {{ x | append: "!" }}',
      '{% for i in (1..3) %}{{ i }}{% if i == 2 %}!{% endif %}{% endfor %} end {% for i in (1..3) %}{{ i }}{% endfor %}',
      '{%- assign y = 1 -%} x {{- y | plus: 1 -}} y {{ y }}',
      '{% for i in (1..2) %}{% raw %}{{ not }} {% endfor %}{% endraw %}{% endfor %} {{ "after" }}',
      '{% comment %}{{ x }}{% if %}{% endcomment %}{{ "shown" }}',
      `{{ "}}" | append: "%}" }} {{ '{{' }} {% assign q = "%}" %}{{ q }}`,
      '{% for i in (1..2) %}{% for j in (1..2) %}{{ i }}{{ j }}{% endfor %}|{% endfor %}',
      '{% capture c %}{{ "cap" }}{% endcapture %}{{ c | size }}{{ c }}',
      '{% case 2 %}{% when 1 %}one{% when 2 %}two{% else %}other{% endcase %}',
      '{% for i in (1..3) %}{% cycle "a", "b" %}{% increment n %}{% endfor %}{{ n }}',
      '{% unless false %}u{% endunless %}{% tablerow i in (1..2) %}{{ i }}{% endtablerow %}',
      '{% if true %}{% liquid echo "x" %}{% endif %}{% if true %}{% echo "y" %}{% endif %}',
      '{%# a comment %}{{ "z" }}{% if true %}{%# inside %}i{% endif %}',
      '{% if true %}{% if false %}no{% else %}{% if true %}deep{% endif %}{% endif %}{% endif %}',
    ];
    const reference = new Liquid();
    for (const body of bodies) {
      const first = post(`Intro ${body}`);
      const second = laterPost(`Other ${body} outro`);
      const liquid = createJekyllLiquid(siteWith([first, second]));
      for (const entry of [first, second]) {
        expect(await liquid.render(entry), body).toBe(reference.parseAndRenderSync(entry.post.body, {}));
      }
    }
  });

  it('names the line of a render error inside a block another post rendered first', async () => {
    const block =
      '{% for i in (1..2) %}{% if page.broken %}{% post_url 2020-01-01-gone %}{% endif %}{% endfor %}';
    const first = post(block);
    const second = laterPost(`Intro\n\n\n${block}`, { data: { broken: true } });
    const liquid = createJekyllLiquid(siteWith([first, second]));
    expect(await liquid.render(first)).toBe('');

    const problem = await problemRendering(liquid, second);

    expect(problem).toMatchObject({ file: 'blog/_posts/2026-04-01-later.md', line: 8 });
    expect(problem?.message).toContain('Could not find post "2020-01-01-gone"');
  });

  it('does not share a block holding a tag that depends on its file', async () => {
    const files = memorySiteFiles({
      'blog/_posts/note.md': 'from posts',
      'blog/_posts/2026/note.md': 'from 2026',
    });
    const body = '{% if true %}{% include_relative note.md %}{% endif %}';
    const first = { ...post(body), relativePath: 'blog/_posts/2026-03-14-pi-day-meetup.md' };
    const second = {
      ...post(body, {
        id: '2026-04-01-later',
        slug: 'later',
        sourcePath: 'blog/_posts/2026/2026-04-01-later.md',
      }),
      relativePath: 'blog/_posts/2026/2026-04-01-later.md',
    };
    const liquid = createJekyllLiquid(siteWith([first, second], { files }));

    expect(await liquid.render(first)).toBe('from posts');
    expect(await liquid.render(second)).toBe('from 2026');
  });

  it('tells which posts read what other posts change (site.posts, tags, categories, neighbours)', async () => {
    const files = memorySiteFiles({
      '_includes/archive.html': '{% for t in site.tags %}{{ t[0] }}{% endfor %}',
      '_includes/plain.html': '{{ include.x }}',
    });
    const bodies = {
      loop: '{% for p in site.posts limit: 3 %}{{ p.title }}{% endfor %}',
      include: 'See {% include archive.html %}',
      highlight: '{% highlight liquid %}{{ site.categories | size }}{% endhighlight %}',
      neighbour: 'Next: {{ page.next.title }}',
      whole: '{{ site | jsonify }}',
      own: '{{ page.title }} on {{ site.title }} with {{ site.data.x }} {% include plain.html x=1 %}',
      none: 'No Liquid here.',
    };

    const answers: Record<string, boolean> = {};
    for (const [name, body] of Object.entries(bodies)) {
      const entry = post(body);
      answers[name] = await createJekyllLiquid(siteWith([entry], { files })).listsPosts(entry);
    }

    expect(answers).toEqual({
      loop: true,
      include: true,
      highlight: true,
      neighbour: true,
      whole: true,
      own: false,
      none: false,
    });
  });

  it('refuses includes outside _includes', async () => {
    const files = memorySiteFiles({ '_config.yml': 'secret: 1' });

    const problem = await problemOf('{% include ../_config.yml %}', { files });

    expect(problem?.message).toContain('Invalid syntax for include tag');
  });

  it('stops a runaway loop', async () => {
    const problem = await problemOf('{% for i in (1..100000000) %}{{ i }}{% endfor %}');

    expect(problem?.message).toMatch(/memory|limit|exceed/i);
  });

  it('bounds the Liquid each post may hand the parser, not the whole build', async () => {
    const markup = (chars: number) => `{{ page.title }}${'x'.repeat(chars)}{{ page.slug }}`;
    const under = Math.floor(LIQUID_LIMITS.parseLimit * 0.6);
    const first = post(markup(under));
    const second = laterPost(markup(under));
    const over = laterPost(markup(LIQUID_LIMITS.parseLimit), { id: '2026-05-01-over', slug: 'over' });
    const liquid = createJekyllLiquid(siteWith([first, second, over]));
    // A shared parse that fails is done again on its own (for the error's position): count those.
    const parsedAgain = vi.spyOn(Parser.prototype, 'parse');

    try {
      expect((await liquid.render(first)).length).toBeGreaterThan(under);
      expect((await liquid.render(second)).length).toBeGreaterThan(under);
      expect(parsedAgain).not.toHaveBeenCalled();
    } finally {
      parsedAgain.mockRestore();
    }
    expect((await problemRendering(liquid, over))?.message).toContain('parse length limit exceeded');
  });
});

describe('liquidStart and liquidSpan', () => {
  it('finds the first {{ or {% and nothing else', () => {
    for (const [text, at] of [
      ['', -1],
      ['no markup { here } {', -1],
      ['{', -1],
      ['a { b {{ c }}', 6],
      ['x {x {%y%}', 5],
      ['}}{{', 2],
      ['{{', 0],
    ] as const) {
      expect(liquidStart(text), text).toBe(at);
      expect(hasLiquid(text), text).toBe(at !== -1);
      expect(liquidStart(text), text).toBe(text.search(/\{[{%]/));
    }
  });

  it('hands liquidjs only the part from the first delimiter to the last, with the whitespace around it', () => {
    expect(liquidSpan('Intro {text}.\n\n{{ a }} and {% b %}\n\nOutro.')).toEqual({
      head: 'Intro {text}.',
      middle: '\n\n{{ a }} and {% b %}\n\n',
      tail: 'Outro.',
    });
    expect(liquidSpan('plain')).toEqual({ head: 'plain', middle: '', tail: '' });
  });
});
