/**
 * The one HTML escaper: pages, emails, feeds and the preview server all use it.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML content and quoted attributes. Unlike Mustache's default it leaves `/`,
 * `=` and backticks alone, so URLs in pages and emails stay readable (and copyable from the source)
 * at no loss of safety inside quoted attributes and text.
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
