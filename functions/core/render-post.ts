import type { Post, RenderedPost, SiteConfig } from './model.ts';
import { toPortableHtml } from './portable-html.ts';
import { renderMarkdown } from './render-markdown.ts';

/**
 * Renders a post's Markdown body twice over: `html` for its own page on the site (raw HTML blocks
 * and links as written) and `portableHtml` for email and feeds (sanitised, absolute URLs resolved
 * against the post's URL and the site root `site.url + site.baseurl`).
 */
export function renderPost(post: Post, site: SiteConfig): RenderedPost {
  const html = renderMarkdown(post.body);
  const portableHtml = toPortableHtml(html, post.url, site.url + site.baseurl);
  return { post, html, portableHtml };
}
