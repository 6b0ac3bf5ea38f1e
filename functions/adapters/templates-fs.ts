import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Mustache from 'mustache';
import type { SiteTemplates } from '../core/build-site.ts';

/** A site template is missing or is not valid Mustache. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** File name of each template inside the site templates folder. */
export const SITE_TEMPLATE_FILES: Readonly<Record<keyof SiteTemplates, string>> = {
  layout: 'layout.html',
  index: 'index.html',
  post: 'post.html',
  tag: 'tag.html',
  tags: 'tags.html',
  subscribe: 'subscribe.html',
  notFound: '404.html',
  style: 'style.css',
  subscribeScript: 'subscribe.js',
};

const STATIC_FILES = new Set<keyof SiteTemplates>(['style', 'subscribeScript']);

/**
 * Reads the site templates from `dir` (usually `templates/site/`) and checks the Mustache ones
 * parse, so a typo in a user-edited template fails the build naming the file, not mid-render.
 *
 * @throws TemplateError naming the file that is missing or malformed.
 */
export async function loadSiteTemplates(dir: string): Promise<SiteTemplates> {
  const entries = await Promise.all(
    (Object.entries(SITE_TEMPLATE_FILES) as [keyof SiteTemplates, string][]).map(async ([key, name]) => {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new TemplateError(file, 'cannot read the site template', { cause: error });
      }
      if (!STATIC_FILES.has(key)) {
        try {
          Mustache.parse(text);
        } catch (error) {
          throw new TemplateError(file, `not a valid Mustache template: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
      return [key, text] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as SiteTemplates;
}
