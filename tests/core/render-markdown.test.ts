import { readdirSync, readFileSync } from 'node:fs';
import { Marked } from 'marked';
import markedAlert from 'marked-alert';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../functions/core/render-markdown.ts';

describe('renderMarkdown', () => {
  it('renders GFM tables with column alignment', () => {
    const markdown = '| Scheduler | p50 |\n| --- | ---: |\n| static | 410 ms |\n';

    const html = renderMarkdown(markdown);

    expect(html).toContain('<table>');
    expect(html).toContain('<th align="right">p50</th>');
    expect(html).toContain('<td align="right">410 ms</td>');
  });

  it('marks fenced code with its language class', () => {
    const html = renderMarkdown('```bash\nserve --model ./weights\n```\n');

    expect(html).toContain('<pre><code class="language-bash">serve --model ./weights\n</code></pre>');
  });

  it('renders task lists, strikethrough and bare URLs', () => {
    const html = renderMarkdown(
      '- [x] slides\n- [ ] video\n\n~~Tuesday~~ https://recaps.test/x and www.example.org\n',
    );

    expect(html).toContain('<input checked="" disabled="" type="checkbox"> slides');
    expect(html).toContain('<input disabled="" type="checkbox"> video');
    expect(html).toContain('<del>Tuesday</del>');
    expect(html).toContain('<a href="https://recaps.test/x">https://recaps.test/x</a>');
    expect(html).toContain('<a href="http://www.example.org">www.example.org</a>');
  });

  it.each([
    ['NOTE', 'note'],
    ['TIP', 'tip'],
    ['IMPORTANT', 'important'],
    ['WARNING', 'warning'],
    ['CAUTION', 'caution'],
  ])('renders a GFM %s alert', (marker, variant) => {
    const html = renderMarkdown(`> [!${marker}]\n> Measure with real prompts.\n`);

    expect(html).toContain(`<div class="markdown-alert markdown-alert-${variant}">`);
    expect(html).toContain('<p>Measure with real prompts.</p>');
    expect(html).not.toContain('<blockquote>');
  });

  it('keeps raw HTML blocks exactly as written', () => {
    const block =
      '<p align="center">\n<picture>\n<img src="/assets/recaps/stage.png" width="100%">\n</picture><br>\n</p>';

    const html = renderMarkdown(`${block}\n\nAfter the picture.\n`);

    expect(html).toContain(block);
    expect(html).toContain('<p>After the picture.</p>');
  });

  it('gives headings GitHub-style ids, numbering repeats', () => {
    const markdown = '## Next time\n\n## Q&amp;A: *KV* caches!\n\n## Next time\n\n## Next time\n';

    const html = renderMarkdown(markdown);

    expect(html).toContain('<h2 id="next-time">Next time</h2>');
    expect(html).toContain('<h2 id="qa-kv-caches">Q&amp;A: <em>KV</em> caches!</h2>');
    expect(html).toContain('<h2 id="next-time-1">Next time</h2>');
    expect(html).toContain('<h2 id="next-time-2">Next time</h2>');
  });

  it('keeps non-Latin heading text in ids and falls back for symbol-only headings', () => {
    const html = renderMarkdown('# Café Über\n\n# 🎉\n');

    expect(html).toContain('<h1 id="café-über">Café Über</h1>');
    expect(html).toContain('<h1 id="section">🎉</h1>');
  });

  it('does not carry heading ids from one call to the next', () => {
    const first = renderMarkdown('## Talks\n');

    const second = renderMarkdown('## Talks\n');

    expect(first).toBe('<h2 id="talks">Talks</h2>\n');
    expect(second).toBe(first);
  });

  it('drops scriptable URLs from Markdown links and images but keeps their text', () => {
    const html = renderMarkdown(
      '[slides](javascript:alert(1)) and ![stage](data:image/png;base64,AAAA) [ok](/a.html)\n',
    );

    expect(html).toBe('<p>slides and stage <a href="/a.html">ok</a></p>\n');
  });

  it('keeps root-relative and relative links as the author wrote them', () => {
    const html = renderMarkdown('[event](/2026/09/24/berlin.html) ![stage](img/stage.png)\n');

    expect(html).toContain('<a href="/2026/09/24/berlin.html">event</a>');
    expect(html).toContain('<img src="img/stage.png" alt="stage">');
  });
});

describe('renderMarkdown finds alerts without walking every token', () => {
  // The reference: marked with marked-alert's own walk over every token. Herald's renderer adds heading
  // ids and cuts page-hijacking tags; the documents below have none of the latter, and the ids are removed.
  const reference = new Marked({ gfm: true }, markedAlert());
  const withoutIds = (html: string) => html.replace(/<h([1-6]) id="[^"]*">/g, '<h$1>');
  const fixtures = readdirSync(new URL('../fixtures/', import.meta.url), { recursive: true })
    .map(String)
    .filter((p) => p.endsWith('.md'))
    .map((p) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8'))
    .filter((text) => !/<(?:meta|base)\b/i.test(text));
  const documents = [
    '> [!NOTE]\n> At the top.\n',
    '> [!TIP] Inline title text\n> and more.\n',
    '> [!WARNING]\n',
    '> [NOTE]\n> Not an alert: no `!`.\n',
    '> [!note]\n> Lower case.\n',
    '> quoted\n>\n> > [!CAUTION]\n> > nested in a quote\n',
    '- item\n\n  > [!IMPORTANT]\n  > in a list item\n\n- tight\n  > [!TIP]\n  > tight item\n',
    '1. one\n   - two\n     > [!NOTE]\n     > deep\n',
    '> [!NOTE]\n> > [!TIP]\n> > an alert in an alert\n',
    '| a | b |\n| - | - |\n| `[!NOTE]` | *y* |\n',
    '```md\n> [!NOTE]\n> in code\n```\n\n    > [!TIP] indented code\n',
    '# Title\n\nText with [a link](/x) and ![img](/y.png) and <span>html</span>.\n',
    ...fixtures,
  ];

  it.each(documents.map((d, i) => [i, d]))(
    'renders document %i as marked with marked-alert',
    (_, markdown) => {
      expect(withoutIds(renderMarkdown(markdown))).toBe(reference.parse(markdown, { async: false }));
    },
  );
});
