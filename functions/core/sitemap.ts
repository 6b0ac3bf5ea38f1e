/** One page in the sitemap. */
export interface SitemapEntry {
  /** Absolute URL of the page. */
  loc: string;
  /** Last change of the page's content; omitted when unknown rather than guessed from a clock. */
  lastmod?: Date;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/**
 * Builds a sitemaps.org 0.9 `urlset`. Entries keep the caller's order so two builds of the same
 * content produce the same bytes; duplicate URLs are written once (first wins).
 *
 * @throws Error when a `loc` is not an absolute http(s) URL, because search engines ignore relative ones.
 */
export function buildSitemap(entries: readonly SitemapEntry[]): string {
  const seen = new Set<string>();
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
  ];
  for (const entry of entries) {
    if (!/^https?:\/\//.test(entry.loc)) {
      throw new Error(`sitemap: loc must be an absolute http(s) URL, got "${entry.loc}"`);
    }
    if (seen.has(entry.loc)) continue;
    seen.add(entry.loc);
    const lastmod = entry.lastmod ? `<lastmod>${entry.lastmod.toISOString()}</lastmod>` : '';
    lines.push(`  <url><loc>${escapeXml(entry.loc)}</loc>${lastmod}</url>`);
  }
  lines.push('</urlset>', '');
  return lines.join('\n');
}
