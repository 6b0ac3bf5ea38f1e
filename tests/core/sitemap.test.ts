import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildSitemap } from '../../functions/core/sitemap.ts';

describe('buildSitemap', () => {
  it('writes a sitemaps.org urlset with escaped absolute URLs and ISO lastmod', () => {
    const entries = [
      { loc: 'https://recaps.test/blog/', lastmod: new Date('2026-09-30T08:00:00Z') },
      { loc: 'https://recaps.test/blog/search.html?q=a&b=c' },
    ];

    const xml = buildSitemap(entries);

    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        '  <url><loc>https://recaps.test/blog/</loc><lastmod>2026-09-30T08:00:00.000Z</lastmod></url>',
        '  <url><loc>https://recaps.test/blog/search.html?q=a&amp;b=c</loc></url>',
        '</urlset>',
        '',
      ].join('\n'),
    );
    expect(new XMLParser().parse(xml).urlset.url[1].loc).toBe('https://recaps.test/blog/search.html?q=a&b=c');
  });

  it('writes a repeated URL once, keeping the first entry', () => {
    const entries = [
      { loc: 'https://recaps.test/', lastmod: new Date('2026-01-01T00:00:00Z') },
      { loc: 'https://recaps.test/', lastmod: new Date('2026-02-01T00:00:00Z') },
    ];

    const xml = buildSitemap(entries);

    expect(xml.match(/<url>/g)).toHaveLength(1);
    expect(xml).toContain('2026-01-01T00:00:00.000Z');
  });

  it('refuses relative URLs, which search engines ignore', () => {
    const entries = [{ loc: '/2026/03/14/pi-day.html' }];

    const act = () => buildSitemap(entries);

    expect(act).toThrow('sitemap: loc must be an absolute http(s) URL, got "/2026/03/14/pi-day.html"');
  });

  it('writes an empty urlset for a site with no pages', () => {
    const xml = buildSitemap([]);

    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n</urlset>');
  });
});
