import { describe, expect, it } from 'vitest';
import { buildEmailData, EMAIL_CONTENT_WIDTH, emailHtmlToText } from '../../functions/core/email-content.ts';
import type { RenderedPost } from '../../functions/core/model.ts';
import { PLACEHOLDERS } from '../../functions/core/personalize.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

/** A rendered post whose portable HTML is given directly, so each test controls the body exactly. */
function renderedWith(portableHtml: string, overrides: Parameters<typeof makePost>[0] = {}): RenderedPost {
  return { post: makePost(overrides), html: portableHtml, portableHtml };
}

describe('buildEmailData', () => {
  it('takes the subject from front matter subject, else the title, on one line', () => {
    const site = makeSite();
    const withSubject = renderedWith('<p>Hi</p>', { subject: 'Recap:\n  Pi Day' });
    const withoutSubject = renderedWith('<p>Hi</p>', { title: 'Pi Day Meetup' });

    const a = buildEmailData(withSubject, site, { excerpt: false });
    const b = buildEmailData(withoutSubject, site, { excerpt: false });

    expect(a.subject).toBe('Recap: Pi Day');
    expect(b.subject).toBe('Pi Day Meetup');
  });

  it('uses the summary as preheader when there is one', () => {
    const rendered = renderedWith('<p>Body text.</p>', { summary: 'A short summary.' });

    const data = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(data.preheader).toBe('A short summary.');
  });

  it('falls back to the first paragraph with text, cut near 140 characters at a word boundary', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const rendered = renderedWith(
      `<p align="center"><img src="https://recaps.test/a.png" alt="" /></p>\n<p>Fish &amp; chips ${words}</p>`,
      { summary: undefined },
    );

    const data = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(data.preheader.startsWith('Fish & chips word0 word1')).toBe(true);
    expect(data.preheader.endsWith('…')).toBe(true);
    expect(data.preheader.length).toBeLessThanOrEqual(141);
    expect(data.preheader).toMatch(/word\d+…$/);
  });

  it('writes authors as a list and the date in the site time zone', () => {
    const site = makeSite({ timezone: 'Asia/Tokyo' });
    const rendered = renderedWith('<p>x</p>', {
      authors: [{ name: 'Rita Santos' }, { name: 'Meetup Organisers' }],
      date: new Date('2026-03-14T20:00:00Z'),
    });

    const data = buildEmailData(rendered, site, { excerpt: false });

    expect(data.authors).toBe('Rita Santos and Meetup Organisers');
    expect(data.date).toBe('March 15, 2026');
    expect(data.dateIso).toBe('2026-03-14T20:00:00.000Z');
  });

  it('carries the site facts, the post URL and the per-recipient placeholders', () => {
    const site = makeSite({ url: 'https://example.org', baseurl: '/blog' });
    const rendered = renderedWith('<p>x</p>');

    const data = buildEmailData(rendered, site, { excerpt: false });

    expect(data).toMatchObject({
      lang: 'en',
      siteTitle: 'Test Meetups',
      siteUrl: 'https://example.org/blog/',
      siteHost: 'example.org',
      postUrl: rendered.post.url,
      postalAddress: 'Test Street 1, 12345 Testtown',
      unsubscribeUrl: PLACEHOLDERS.unsubscribeUrl,
      viewUrl: PLACEHOLDERS.viewUrl,
      greeting: PLACEHOLDERS.greeting,
      email: PLACEHOLDERS.email,
      excerpted: false,
    });
  });

  it('gives images numeric pixel widths no wider than the column, and fluid inline styles', () => {
    const rendered = renderedWith(
      [
        '<p><img src="https://recaps.test/full.png" width="100%" alt="Full" /></p>',
        '<p><img src="https://recaps.test/half.png" width="50%" /></p>',
        '<p><img src="https://recaps.test/big.png" width="1200" height="800" alt="Big" /></p>',
        '<p><img src="https://recaps.test/small.png" width="120px" height="40" alt="Small" /></p>',
      ].join('\n'),
    );

    const { body } = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(EMAIL_CONTENT_WIDTH).toBe(600);
    expect(body).toContain('src="https://recaps.test/full.png" alt="Full" width="600"');
    expect(body).toContain('src="https://recaps.test/half.png" alt="" width="300"');
    expect(body).toContain('alt="Big" width="600" height="400"');
    expect(body).toContain('alt="Small" width="120" height="40"');
    expect(body.match(/style="max-width:100%;height:auto;border:0"/g)).toHaveLength(4);
    expect(body).not.toMatch(/width="[^"]*%"/);
  });

  it('marks body tables as data tables and keeps their cell alignment', () => {
    const rendered = renderedWith(
      '<table><thead><tr><th>Scheduler</th><th align="right">p50</th></tr></thead><tbody><tr><td>static</td><td align="right">410 ms</td></tr></tbody></table>',
    );

    const { body } = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(body).toContain('<table class="herald-table">');
    expect(body).toContain('<td align="right">410 ms</td>');
  });

  it('drops active content even if it reached the portable HTML', () => {
    const rendered = renderedWith(
      [
        '<p onclick="x()">Hello<script>alert(1)</script></p>',
        '<iframe src="https://evil.test"></iframe>',
        '<form action="https://evil.test"><input name="q" /><button>Go</button></form>',
        '<p><a href="javascript:alert(1)">bad</a> <img src="x" onerror="alert(1)" /></p>',
        '<svg><script>alert(2)</script></svg><style>p{}</style>',
        '<p style="background:url(javascript:alert(3))">styled</p>',
      ].join('\n'),
    );

    const { body } = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(body).not.toMatch(/<script|<iframe|<form|<input|<button|<svg|<style|onclick|onerror|javascript:/i);
    expect(body).toContain('<p>styled</p>');
    expect(body).toContain('Hello');
    expect(body).toContain('<a>bad</a>');
  });

  it('turns task-list checkboxes into glyphs', () => {
    const rendered = renderedWith(
      '<ul><li><input type="checkbox" checked="" disabled="" /> done</li><li><input type="checkbox" disabled="" /> todo</li></ul>',
    );

    const { body } = buildEmailData(rendered, makeSite(), { excerpt: false });

    expect(body).toBe('<ul><li>☑ done</li><li>☐ todo</li></ul>');
  });

  describe('excerpt', () => {
    it('keeps the opening blocks and stops before the second section', () => {
      const rendered = renderedWith(
        '<h2>Intro</h2>\n<p>One.</p>\n<p>Two.</p>\n<h2>Talks</h2>\n<p>Three.</p>',
      );

      const data = buildEmailData(rendered, makeSite(), { excerpt: true });

      expect(data.excerpted).toBe(true);
      expect(data.body).toBe('<h2>Intro</h2>\n<p>One.</p>\n<p>Two.</p>');
    });

    it('stops before the block that would pass the character budget', () => {
      const paragraph = (n: number) => `<p>${String(n).repeat(100)}</p>`;
      const rendered = renderedWith([1, 2, 3, 4, 5].map(paragraph).join('\n'));

      const data = buildEmailData(rendered, makeSite(), { excerpt: true, excerptChars: 250 });

      expect(data.body).toBe([paragraph(1), paragraph(2)].join('\n'));
    });

    it('cuts a first block that alone is too long into a paragraph of its text', () => {
      const long = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
      const rendered = renderedWith(`<div><p>Start &amp; <strong>${long}</strong></p></div><p>Later</p>`);

      const data = buildEmailData(rendered, makeSite(), { excerpt: true, excerptChars: 100 });

      expect(data.body).toMatch(/^<p>Start &amp; w0 w1 .*…<\/p>$/);
      expect(data.body.length).toBeLessThan(120);
    });

    it('leaves nested blocks whole', () => {
      const rendered = renderedWith(
        '<blockquote class="markdown-alert markdown-alert-tip"><p>Tip</p><p>Measure.</p></blockquote>\n<p>After</p>',
      );

      const data = buildEmailData(rendered, makeSite(), { excerpt: true, excerptChars: 12 });

      expect(data.body).toBe(
        '<blockquote class="markdown-alert markdown-alert-tip"><p>Tip</p><p>Measure.</p></blockquote>',
      );
    });
  });
});

describe('emailHtmlToText', () => {
  it('writes links as text [url], headings upper case, images as alt text and tables as text', () => {
    const html = [
      '<html><body>',
      '<div style="display:none">Hidden preheader</div>',
      '<div role="article">',
      '<h2>Talks</h2>',
      '<p>See <a href="https://recaps.test/x">the slides</a> or <a href="https://recaps.test/">https://recaps.test/</a>.</p>',
      '<p><img src="https://recaps.test/a.png" alt="The stage" /></p>',
      '<table class="herald-table"><tr><th>Scheduler</th><th>p50</th></tr><tr><td>static</td><td>410 ms</td></tr></table>',
      `<p><a href="${PLACEHOLDERS.unsubscribeUrl}">Unsubscribe</a></p>`,
      '</div></body></html>',
    ].join('');

    const text = emailHtmlToText(html);

    expect(text).not.toContain('Hidden preheader');
    expect(text).toContain('TALKS');
    expect(text).toContain('See the slides [https://recaps.test/x] or https://recaps.test/.');
    expect(text).toContain('The stage');
    expect(text).not.toContain('a.png');
    expect(text).toMatch(/Scheduler +p50\nstatic +410 ms/);
    expect(text).toContain(`Unsubscribe [${PLACEHOLDERS.unsubscribeUrl}]`);
    expect(text).not.toMatch(/\n{3}/);
  });
});
