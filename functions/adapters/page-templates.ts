/**
 * The small HTML pages the subscription API answers with (`templates/pages/*.html`): Mustache,
 * each rendered inside `layout.html` as the `content` partial. Read once, parsed once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Mustache from 'mustache';
import { escapeHtml } from '../core/escape-html.ts';

/** Every page the subscription handlers can return. */
export const PAGE_NAMES = [
  'confirm',
  'confirmed',
  'expired',
  'unsubscribe',
  'unsubscribed',
  'preferences',
  'subscribe-result',
  'error',
] as const;

/** One of {@link PAGE_NAMES}. */
export type PageName = (typeof PAGE_NAMES)[number];

/** Renders a page into the layout. Values are HTML-escaped by Mustache. */
export type PageRenderer = (name: PageName, view: Record<string, unknown>) => string;

/** A page template is missing or is not valid Mustache. */
export class PageTemplateError extends Error {
  override name = 'PageTemplateError';
}

async function readTemplate(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PageTemplateError(`${file}: cannot read the page template`, { cause: error });
  }
  try {
    Mustache.parse(text);
  } catch (error) {
    throw new PageTemplateError(`${file}: not valid Mustache: ${(error as Error).message}`, { cause: error });
  }
  return text;
}

/** Loads `layout.html` and every page from `dir` (usually `templates/pages`). */
export async function loadPageTemplates(dir: string): Promise<PageRenderer> {
  const layout = await readTemplate(join(dir, 'layout.html'));
  const pages = new Map<PageName, string>();
  await Promise.all(
    PAGE_NAMES.map(async (name) => {
      pages.set(name, await readTemplate(join(dir, `${name}.html`)));
    }),
  );
  return (name, view) =>
    Mustache.render(layout, view, { content: pages.get(name) ?? '' }, { escape: escapeHtml });
}
