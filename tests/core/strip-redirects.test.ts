import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderMarkdownReport } from '../../functions/core/render-markdown.ts';
import { stripRedirectTags } from '../../functions/core/strip-redirects.ts';

const REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example">';

describe('stripRedirectTags', () => {
  it.each([
    ['a meta refresh', REFRESH],
    [
      'upper case, unquoted, slash-separated',
      '<META/HTTP-EQUIV=Refresh/CONTENT="0;url=https://evil.example">',
    ],
    [
      'a quoted ">" before the attribute',
      `<meta content='x>' http-equiv="refresh" data-u="0;url=https://evil.example">`,
    ],
    ['a base tag', '<base href="https://evil.example/">'],
    ['inside noscript', `<noscript>${REFRESH}</noscript>`],
    ['noscript closed inside an attribute', `<noscript><p title="</noscript>${REFRESH}">x</p></noscript>`],
    [
      'a tag joined by removing another',
      '<<base>meta http-equiv=refresh content="0;url=https://evil.example">',
    ],
    ['inside a template', `<template>${REFRESH}</template>`],
  ])('removes %s', (_label, html) => {
    const out = stripRedirectTags(`<p>before</p>${html}<p>after</p>`);

    expect(out.html).not.toMatch(/<(meta|base)[\s/>]/i);
    expect(out.html).toContain('<p>after</p>');
    expect(out.removed.length).toBeGreaterThan(0);
  });

  it('leaves everything else byte for byte, including harmless meta and text about tags', () => {
    const html =
      '<p align="center"><picture><img src="/assets/a.png" width="100%"></picture></p>\n<meta name="x" content="y">\n<p>Use &lt;base href&gt; with care</p><code>&lt;meta http-equiv="refresh"&gt;</code>';

    expect(stripRedirectTags(html)).toEqual({ html, removed: [] });
  });

  it('strips them from rendered post bodies and reports what it removed', () => {
    const markdown = `Hello.\n\n${REFRESH}\n\nInline <base href="https://evil.example/"> here, and \`<base href>\` in code.\n`;

    const report = renderMarkdownReport(markdown);

    expect(report.removed).toEqual([REFRESH, '<base href="https://evil.example/">']);
    expect(report.html).not.toContain('evil.example');
    expect(report.html).toContain('<code>&lt;base href&gt;</code>');
    expect(renderMarkdown(markdown)).toBe(report.html);
  });
});
