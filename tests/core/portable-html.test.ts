import { describe, expect, it } from 'vitest';
import { PortableHtmlError, toPortableHtml } from '../../functions/core/portable-html.ts';
import { renderMarkdown } from '../../functions/core/render-markdown.ts';
import { findUnsafeHtml, xssVectors } from './xss-vectors.ts';

const PAGE = 'https://recaps.test/blog/2026/09/24/berlin.html';
const ROOT = 'https://recaps.test/blog';

function portable(html: string): string {
  return toPortableHtml(html, PAGE, ROOT);
}

describe('toPortableHtml', () => {
  it('unwraps <picture> to a plain absolute <img> with alt and numeric width', () => {
    const html =
      '<p align="center">\n<picture>\n<source srcset="/assets/a.webp" type="image/webp">\n<img src="/assets/a.png" width="100%">\n</picture><br>\n</p>';

    const out = portable(html);

    expect(out).toBe(
      '<p align="center">\n\n\n<img src="https://recaps.test/blog/assets/a.png" alt="" width="100%" />\n<br />\n</p>',
    );
  });

  it.each([
    ['/assets/x.png', 'https://recaps.test/blog/assets/x.png'],
    ['/blog/assets/x.png', 'https://recaps.test/blog/assets/x.png'],
    ['/blog', 'https://recaps.test/blog'],
    ['/blogroll/x.png', 'https://recaps.test/blog/blogroll/x.png'],
    ['img/x.png', 'https://recaps.test/blog/2026/09/24/img/x.png'],
    ['../x.png', 'https://recaps.test/blog/2026/09/x.png'],
    ['//cdn.example.org/x.png', 'https://cdn.example.org/x.png'],
    ['https://other.example/x.png', 'https://other.example/x.png'],
  ])('resolves image src %s to %s', (src, expected) => {
    const out = portable(`<img src="${src}" alt="x">`);

    expect(out).toBe(`<img src="${expected}" alt="x" />`);
  });

  it('does not double the baseurl and handles a site without one', () => {
    const out = toPortableHtml(
      '<a href="/2026/x.html">x</a>',
      'https://recaps.test/2026/x.html',
      'https://recaps.test',
    );

    expect(out).toBe('<a href="https://recaps.test/2026/x.html">x</a>');
  });

  it.each([
    ['#talks', `${PAGE}#talks`],
    ['?page=2', 'https://recaps.test/blog/2026/09/24/berlin.html?page=2'],
    ['mailto:hello@recaps.test', 'mailto:hello@recaps.test'],
    ['/2026/11/12/lisbon.html#q-a', 'https://recaps.test/blog/2026/11/12/lisbon.html#q-a'],
  ])('resolves link href %s to %s', (href, expected) => {
    const out = portable(`<a href="${href}" target="_blank" rel="noopener">go</a>`);

    expect(out).toBe(`<a href="${expected}">go</a>`);
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', 'vbscript:x', 'tel:+491234', 'ftp://files.example/x'])(
    'drops a link to %s but keeps its text',
    (href) => {
      const out = portable(`<a href="${href}">text</a>`);

      expect(out).toBe('<a>text</a>');
    },
  );

  it('drops images without an http(s) source, data: images included', () => {
    const out = portable('<p>a<img src="data:image/png;base64,AAAA" alt="d">b<img alt="none">c</p>');

    expect(out).toBe('<p>abc</p>');
  });

  it('keeps width/height only as numbers or percent and drops srcset, style and classes', () => {
    const out = portable(
      '<img src="/a.png" alt="A" width="600px" height="auto" srcset="/a2.png 2x" style="border:0" class="hero" title="T">',
    );

    expect(out).toBe('<img src="https://recaps.test/blog/a.png" alt="A" title="T" width="600" />');
  });

  it('turns embeds with an http(s) source into a link and drops the rest', () => {
    const html = [
      '<iframe src="https://video.example.org/embed/42" width="560">fallback</iframe>',
      '<video src="/media/talk.mp4" controls>Your browser cannot play this</video>',
      '<object data="https://slides.example.org/deck.pdf"></object>',
      '<embed src="https://slides.example.org/deck.swf">',
      '<iframe src="javascript:alert(1)">gone</iframe>',
      '<video><source src="/x.mp4">no source attribute</video>',
    ].join('\n');

    const out = portable(html);

    expect(out).toBe(
      [
        '<a href="https://video.example.org/embed/42">View the embedded content</a>',
        '<a href="https://recaps.test/blog/media/talk.mp4">View the embedded content</a>',
        '<a href="https://slides.example.org/deck.pdf">View the embedded content</a>',
        '<a href="https://slides.example.org/deck.swf">View the embedded content</a>',
        '',
        '',
      ].join('\n'),
    );
  });

  it('turns task-list checkboxes into ☑ / ☐ and drops other inputs, forms and buttons', () => {
    const html = renderMarkdown('- [x] slides\n- [ ] video\n');
    const form =
      '<form action="https://evil.example"><label>Name <input type="text"></label><button>Send</button></form>';

    const out = portable(html + form);

    expect(out).toBe('<ul>\n<li><span>☑</span> slides</li>\n<li><span>☐</span> video</li>\n</ul>\nName ');
  });

  it('turns GFM alerts into classed blockquotes without the SVG icon', () => {
    const html = renderMarkdown('> [!WARNING]\n> Bring a charger.\n');

    const out = portable(html);

    expect(out).toBe(
      '<blockquote class="markdown-alert markdown-alert-warning">\n<p class="markdown-alert-title">Warning</p>\n<p>Bring a charger.</p>\n</blockquote>\n',
    );
  });

  it('keeps GFM output that mail clients can show: tables, code, lists, headings without ids', () => {
    const html = renderMarkdown(
      '## Talks\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```ts\nlet x = 1 < 2;\n```\n\n~~old~~\n',
    );

    const out = portable(html);

    expect(out).toContain('<h2>Talks</h2>');
    expect(out).toContain('<th align="left">a</th>');
    expect(out).toContain('<pre><code class="language-ts">let x = 1 &lt; 2;\n</code></pre>');
    expect(out).toContain('<del>old</del>');
  });

  it('turns details/summary into always-visible blocks', () => {
    const out = portable('<details><summary>Slides</summary><p>Link list</p></details>');

    expect(out).toBe('<div><p>Slides</p><p>Link list</p></div>');
  });

  it('strips characters XML 1.0 forbids, raw or as entities', () => {
    const html = `<p>a\u0001b\u000Bc\uFFFEd\uD800e&#1;f&#xFFFF;g\tok\u00e9</p>`;

    const out = portable(html);

    expect(out).toBe('<p>abcdefg\toké</p>');
  });

  it('escapes ]]> in text so the HTML can sit in CDATA', () => {
    const out = portable('<p>a ]]> b ]]> c</p>');

    expect(out).toBe('<p>a ]]&gt; b ]]&gt; c</p>');
  });

  it.each(xssVectors)('neutralises XSS vector: $name', async ({ markdown }) => {
    const out = portable(renderMarkdown(markdown));

    expect(await findUnsafeHtml(out)).toEqual([]);
  });
});

describe('toPortableHtml arguments', () => {
  it('names a page URL that is not absolute', () => {
    const act = () => toPortableHtml('<p>x</p>', '/2026/x.html', ROOT);

    expect(act).toThrow(PortableHtmlError);
    expect(act).toThrow('toPortableHtml: pageUrl: "/2026/x.html" is not an absolute URL');
  });
});

describe('findUnsafeHtml (the checker the XSS tests rely on)', () => {
  it.each([
    ['<script>alert(1)</script>', 'element <script>'],
    ['<img src="https://ok.example/a.png" onerror="x()">', 'event handler onerror on <img>'],
    ['<a href="javascript:alert(1)">x</a>', 'href="javascript:alert(1)" on <a>'],
    ['<img src="/relative.png">', 'src="/relative.png" on <img>'],
    ['<p style="color:red">x</p>', 'style on <p>'],
    ['<iframe src="https://ok.example/"></iframe>', 'element <iframe>'],
  ])('flags %s', async (html, finding) => {
    const findings = await findUnsafeHtml(html);

    expect(findings).toContain(finding);
  });
});
