import { ContentError } from './errors.ts';
import type { Post, RenderedPost, SiteConfig } from './model.ts';
import { toPortableHtml } from './portable-html.ts';
import { renderMarkdown } from './render-markdown.ts';

/**
 * Renders a post's Markdown body twice over: `html` for its own page on the site (raw HTML blocks
 * and links as written) and `portableHtml` for email and feeds (sanitised, absolute URLs resolved
 * against the post's URL and the site root `site.url + site.baseurl`).
 */
export function renderPost(post: Post, site: SiteConfig): RenderedPost {
  let html: string;
  try {
    html = renderMarkdown(post.body);
  } catch (error) {
    // parsePost bounds block nesting; anything else that exhausts the stack is still the post's fault.
    if (!(error instanceof RangeError)) throw error;
    throw new ContentError(
      [{ file: post.sourcePath, message: 'the Markdown is nested too deeply to render; flatten it' }],
      { cause: error },
    );
  }
  const portableHtml = toPortableHtml(html, post.url, site.url + site.baseurl);
  return { post, html, portableHtml };
}
