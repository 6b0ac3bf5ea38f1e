/**
 * Renders the double opt-in email from `templates/confirm.mjml`.
 *
 * The email has an HTML part (mjml) and a text part (html-to-text over that HTML). Both are
 * compiled with their Mustache placeholders intact, so each email only costs two Mustache
 * renders. Lambdas get both parts precompiled at bundling time (`confirm.html` and its sibling
 * `confirm.txt`, see infra/scripts/compile-confirmation.ts) and load neither mjml nor
 * html-to-text. From the `.mjml` source (local runtime, tests) both parts are compiled once per
 * process, loading mjml and html-to-text on the first render, never at handler start.
 */
import { readFile } from 'node:fs/promises';
import type { HtmlToTextOptions } from 'html-to-text';
import Mustache from 'mustache';
import type { ConfirmationEmail, ConfirmationEmailRenderer } from '../app/ports.ts';
import { escapeHtml } from '../core/escape-html.ts';

export type { ConfirmationEmail, ConfirmationEmailRenderer };

/** Both parts of the confirmation email, placeholders intact. */
export interface ConfirmationTemplates {
  html: string;
  /** Unwrapped: lines are wrapped after the values are filled in, as html-to-text would. */
  text: string;
}

/** The template is missing, mjml rejects it, or its text part cannot be precompiled. */
export class ConfirmationTemplateError extends Error {
  override name = 'ConfirmationTemplateError';
}

/** Width the text part is wrapped to. */
const TEXT_WIDTH = 78;

/**
 * The template is converted without wrapping: where lines break depends on the values, so the
 * renderer wraps after filling them in (see {@link wrapLine}).
 */
const TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
  ],
};

/** Mustache tags, `{{name}}` and `{{{name}}}`; also matches a tag mangled inside its braces. */
const TAG = /\{\{\{?[^{}]*\}?\}\}/g;

/** The path of the text part that goes with a precompiled `.html` template. */
export function textTemplatePath(htmlPath: string): string {
  return `${htmlPath.replace(/\.html$/, '')}.txt`;
}

type HtmlToText = typeof import('html-to-text');

/**
 * Imports html-to-text by a specifier esbuild cannot follow, so Lambda bundles leave it out (as
 * they leave out mjml): only the `.mjml` path needs it, and Lambdas take the precompiled one.
 */
function loadHtmlToText(specifier = 'html-to-text'): Promise<HtmlToText> {
  return import(/* @vite-ignore */ specifier) as Promise<HtmlToText>;
}

async function readTemplate(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfirmationTemplateError(`${path}: cannot read ${what}`, { cause: error });
  }
}

async function compileMjml(source: string, file: string): Promise<string> {
  const { default: mjml2html } = await import('mjml');
  try {
    return (await mjml2html(source, { validationLevel: 'strict', filePath: file })).html;
  } catch (error) {
    throw new ConfirmationTemplateError(`${file}: mjml rejected the template`, { cause: error });
  }
}

/**
 * Compiles `confirm.mjml` to its HTML and text parts with the Mustache placeholders intact, for
 * bundling a Lambda that loads neither mjml nor html-to-text: write `html` to `<name>.html` and
 * `text` to {@link textTemplatePath}, and pass the `.html` as `templatePath`.
 *
 * Fails with a {@link ConfirmationTemplateError} naming the file when html-to-text would mangle a
 * placeholder (headings are upper-cased: `{{SITETITLE}}`), or when the text part rendered from the
 * precompiled template would differ from converting the rendered HTML.
 */
export async function compileConfirmationTemplate(mjmlPath: string): Promise<ConfirmationTemplates> {
  const html = await compileMjml(await readTemplate(mjmlPath, 'the confirmation template'), mjmlPath);
  const { convert } = await loadHtmlToText();
  const text = convert(html, TEXT_OPTIONS);
  checkPlaceholders(html, text, mjmlPath, convert);
  checkRendering(html, text, mjmlPath, convert);
  return { html, text };
}

/**
 * Every placeholder html-to-text keeps from the HTML must reach the text part unchanged and in
 * order. Converting a copy whose placeholders are swapped for markers that no transformation
 * touches tells which placeholders, in which order, the text part should hold.
 */
function checkPlaceholders(html: string, text: string, file: string, convert: HtmlToText['convert']): void {
  const tags: string[] = [];
  const marked = html.replace(TAG, (tag) => {
    const index = tags.indexOf(tag);
    return `\uE000${index >= 0 ? index : tags.push(tag) - 1}\uE001`;
  });
  const expected = Array.from(
    convert(marked, TEXT_OPTIONS).matchAll(/\uE000(\d+)\uE001/g),
    (m) => tags[Number(m[1])],
  );
  const actual = text.match(TAG) ?? [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i += 1) {
    const want = expected[i];
    const got = actual[i];
    if (want === got) continue;
    const problem =
      want === undefined
        ? `holds ${JSON.stringify(got)}, which is not a placeholder of the HTML`
        : got === undefined
          ? `loses the placeholder ${want}`
          : `turns the placeholder ${want} into ${JSON.stringify(got)}`;
    const hint =
      want !== undefined && got?.toUpperCase() === want.toUpperCase()
        ? '; html-to-text upper-cases headings, so keep placeholders out of them'
        : '';
    throw new ConfirmationTemplateError(`${file}: the text part ${problem}${hint}`);
  }
}

/**
 * The renderer fills the text part in, then wraps it; that must match html-to-text run over the
 * filled-in HTML, which it does unless the template indents wrapped lines (lists, blockquotes,
 * tables). Tried with short, medium and over-long values.
 */
function checkRendering(html: string, text: string, file: string, convert: HtmlToText['convert']): void {
  const names = tagNames(Mustache.parse(html));
  for (const length of [4, 40, 100]) {
    const view = Object.fromEntries(names.map((name, i) => [name, `v${i}`.padEnd(length, 'x')]));
    const want = convert(Mustache.render(html, view, {}, { escape: escapeHtml }), {
      ...TEXT_OPTIONS,
      wordwrap: TEXT_WIDTH,
    }).split('\n');
    const got = renderText(text, view).split('\n');
    const line = want.findIndex((wanted, i) => wanted !== got[i]);
    if (line >= 0 || got.length !== want.length) {
      const at = line >= 0 ? line : want.length;
      throw new ConfirmationTemplateError(
        `${file}: the text part cannot be precompiled: with ${length}-character values its line ${at + 1} ` +
          `would read ${JSON.stringify(got[at] ?? '')} instead of ${JSON.stringify(want[at] ?? '')}`,
      );
    }
  }
}

/** Names of the variables and sections a parsed template looks up. */
function tagNames(tokens: ReturnType<typeof Mustache.parse>): string[] {
  const names = new Set<string>();
  const visit = (spans: ReturnType<typeof Mustache.parse>): void => {
    for (const [type, value, , , children] of spans) {
      if (type === 'name' || type === '&' || type === '#') names.add(value);
      if (Array.isArray(children)) visit(children);
    }
  };
  visit(tokens);
  return [...names];
}

/**
 * Fills in the text part (no HTML escaping) and wraps it. Values get the whitespace folding
 * html-to-text applies to text.
 */
function renderText(template: string, view: Record<string, unknown>): string {
  const folded = Object.fromEntries(
    Object.entries(view).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/[ \t\r\n\f\u200b]+/g, ' ').trim() : value,
    ]),
  );
  return Mustache.render(template, folded, {}, { escape: String }).split('\n').map(wrapLine).join('\n');
}

/**
 * Wraps one line the way html-to-text wraps a paragraph: greedily between words, a word longer
 * than the width alone on its line and never split.
 */
function wrapLine(line: string): string {
  if (line.length <= TEXT_WIDTH) return line;
  const lines: string[] = [];
  let words: string[] = [];
  let available = TEXT_WIDTH;
  for (const word of line.split(' ')) {
    if (available <= 0 || (words.length > 0 && word.length + 1 > available)) {
      lines.push(words.join(' '));
      words = [];
      available = TEXT_WIDTH;
    }
    available -= word.length + (words.length > 0 ? 1 : 0);
    words.push(word);
  }
  lines.push(words.join(' '));
  return lines.join('\n');
}

/** Reads a precompiled `.html` and its text part, or compiles both from the `.mjml` source. */
async function loadTemplates(templatePath: string): Promise<ConfirmationTemplates> {
  if (!templatePath.endsWith('.html')) return compileConfirmationTemplate(templatePath);
  // Our bundling script writes both files: a missing text part is a broken bundle, not a reason
  // to load html-to-text in a Lambda.
  const textPath = textTemplatePath(templatePath);
  const [html, text] = await Promise.all([
    readTemplate(templatePath, 'the confirmation template'),
    readTemplate(textPath, `the text part of the precompiled confirmation template ${templatePath}`),
  ]);
  return { html, text };
}

/**
 * Builds the renderer; nothing is read or loaded until the first call. `templatePath` is the
 * MJML source, or the `.html` precompiled by {@link compileConfirmationTemplate} with its `.txt`
 * sibling.
 */
export function createConfirmationEmailRenderer(options: {
  templatePath: string;
  siteTitle: string;
  siteUrl: string;
  validDays: number;
}): ConfirmationEmailRenderer {
  let templates: Promise<ConfirmationTemplates> | undefined;

  return async ({ email, confirmUrl, topics }) => {
    templates ??= loadTemplates(options.templatePath).catch((error: unknown) => {
      templates = undefined; // let the next request retry instead of caching the failure
      throw error;
    });
    const { html, text } = await templates;
    const view = {
      email,
      confirmUrl,
      siteTitle: options.siteTitle,
      siteUrl: options.siteUrl,
      siteHost: new URL(options.siteUrl).host,
      validDays: options.validDays,
      // One plain value, not a section: the precompiled text part supports only plain values.
      chosen: topics === undefined ? '' : ` You chose: ${topics}.`,
    };
    return {
      subject: `Confirm your subscription to ${options.siteTitle}`,
      html: Mustache.render(html, view, {}, { escape: escapeHtml }),
      text: renderText(text, view),
    };
  };
}
