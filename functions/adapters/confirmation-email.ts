/**
 * Renders the double opt-in email from `templates/confirm.mjml`.
 *
 * mjml takes hundreds of milliseconds to load, so it is imported only when the first
 * confirmation is rendered, never at handler start. The MJML is compiled once per process with
 * its Mustache placeholders intact; each email then only costs a Mustache render.
 */
import { readFile } from 'node:fs/promises';
import Mustache from 'mustache';
import { escapeHtml } from '../core/http.ts';

/** A rendered confirmation email, ready for the mailer. */
export interface ConfirmationEmail {
  subject: string;
  html: string;
  text: string;
}

/** Renders confirmation emails for one site. */
export type ConfirmationEmailRenderer = (input: {
  email: string;
  confirmUrl: string;
}) => Promise<ConfirmationEmail>;

/** The template is missing or mjml rejects it. */
export class ConfirmationTemplateError extends Error {
  override name = 'ConfirmationTemplateError';
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
 * Compiles `confirm.mjml` to HTML with its Mustache placeholders intact, for bundling a Lambda
 * that never loads mjml (pass the written `.html` as `templatePath`).
 */
export async function compileConfirmationTemplate(mjmlPath: string): Promise<string> {
  let source: string;
  try {
    source = await readFile(mjmlPath, 'utf8');
  } catch (error) {
    throw new ConfirmationTemplateError(`${mjmlPath}: cannot read the confirmation template`, {
      cause: error,
    });
  }
  return compileMjml(source, mjmlPath);
}

/**
 * Builds the renderer; nothing is read or loaded until the first call. `templatePath` is the
 * MJML source, or HTML precompiled by {@link compileConfirmationTemplate}.
 */
export function createConfirmationEmailRenderer(options: {
  templatePath: string;
  siteTitle: string;
  siteUrl: string;
  validDays: number;
}): ConfirmationEmailRenderer {
  let compiled: Promise<string> | undefined;

  async function compile(): Promise<string> {
    let source: string;
    try {
      source = await readFile(options.templatePath, 'utf8');
    } catch (error) {
      throw new ConfirmationTemplateError(`${options.templatePath}: cannot read the confirmation template`, {
        cause: error,
      });
    }
    // A `.html` template was compiled ahead of time (see compileConfirmationTemplate): no mjml at all.
    return options.templatePath.endsWith('.html') ? source : compileMjml(source, options.templatePath);
  }

  return async ({ email, confirmUrl }) => {
    compiled ??= compile().catch((error: unknown) => {
      compiled = undefined; // let the next request retry instead of caching the failure
      throw error;
    });
    const template = await compiled;
    const view = {
      email,
      confirmUrl,
      siteTitle: options.siteTitle,
      siteUrl: options.siteUrl,
      siteHost: new URL(options.siteUrl).host,
      validDays: options.validDays,
    };
    const html = Mustache.render(template, view, {}, { escape: escapeHtml });
    const { convert } = await import('html-to-text');
    const text = convert(html, {
      wordwrap: 78,
      selectors: [
        { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
        { selector: 'img', format: 'skip' },
      ],
    });
    return { subject: `Confirm your subscription to ${options.siteTitle}`, html, text };
  };
}
