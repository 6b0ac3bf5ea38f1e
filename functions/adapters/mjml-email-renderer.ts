/**
 * Renders a post into the newsletter email with the user's MJML template: Mustache fills the
 * template, MJML compiles it to client-safe HTML (CSS inlined), html-to-text derives the text part.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Mustache from 'mustache';
import type { EmailRenderer } from '../app/ports.ts';
import { buildEmailData, DEFAULT_EXCERPT_CHARS, emailHtmlToText } from '../core/email-content.ts';
import { escapeHtml } from '../core/escape-html.ts';
import type { RenderedPost, SiteConfig } from '../core/model.ts';

/** Thrown when the template cannot be read or MJML reports errors in it. */
export class EmailTemplateError extends Error {
  override name = 'EmailTemplateError';
  /** Path of the template file at fault. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** Gmail clips messages whose HTML passes about 102 KB; past this the email becomes an excerpt. */
export const MAX_EMAIL_HTML_BYTES = 102_400;

/** Options for {@link createEmailRenderer}. */
export interface EmailRendererOptions {
  /** Folder holding `newsletter.mjml` and optionally `partials/*.mjml`. */
  templatesDir: string;
  /** Size above which the email is re-rendered as an excerpt. Default {@link MAX_EMAIL_HTML_BYTES}. */
  maxHtmlBytes?: number;
  /** Target text length of that excerpt. Default 1500 characters. */
  excerptChars?: number;
}

interface Templates {
  path: string;
  main: string;
  partials: Record<string, string>;
}

/** `mjml` is CommonJS with `export =`; its type is the function that `import()` returns as default. */
type Mjml2Html = typeof import('mjml');

/**
 * Creates a renderer that reads the templates once (on first use) and imports mjml lazily, since
 * loading it costs about a quarter of a second that most Lambda invocations never need.
 */
export function createEmailRenderer(options: EmailRendererOptions): EmailRenderer {
  const maxHtmlBytes = options.maxHtmlBytes ?? MAX_EMAIL_HTML_BYTES;
  const excerptChars = options.excerptChars ?? DEFAULT_EXCERPT_CHARS;
  let templates: Promise<Templates> | undefined;
  let mjml: Promise<Mjml2Html> | undefined;

  async function compile(rendered: RenderedPost, site: SiteConfig, excerpt: boolean) {
    templates ??= loadTemplates(options.templatesDir);
    mjml ??= import('mjml').then((m) => m.default);
    const [t, mjml2html] = await Promise.all([templates, mjml]);
    const data = buildEmailData(rendered, site, { excerpt, excerptChars });
    const source = Mustache.render(t.main, data, t.partials, { escape: escapeHtml });
    let result: Awaited<ReturnType<Mjml2Html>>;
    try {
      // `soft` still returns HTML, so template mistakes surface as one clear error below.
      result = await mjml2html(source, {
        validationLevel: 'soft',
        keepComments: false,
        // No web fonts: they load from a third party and most clients block them anyway.
        fonts: {},
        // juice would turn `height: auto` into `height="auto"`, which Outlook reads as a pixel height.
        juiceOptions: { applyHeightAttributes: false },
      });
    } catch (error) {
      throw new EmailTemplateError(t.path, `MJML failed: ${(error as Error).message}`, { cause: error });
    }
    if (result.errors.length > 0) {
      const problems = result.errors.map((e) => `line ${e.line} <${e.tagName}>: ${e.message}`).join('; ');
      throw new EmailTemplateError(t.path, `MJML errors (lines of the filled template): ${problems}`, {
        cause: result.errors,
      });
    }
    return { data, html: result.html, htmlBytes: Buffer.byteLength(result.html, 'utf8') };
  }

  return {
    async render(rendered, site) {
      let out = await compile(rendered, site, false);
      if (out.htmlBytes > maxHtmlBytes) out = await compile(rendered, site, true);
      return {
        postId: rendered.post.id,
        subject: out.data.subject,
        preheader: out.data.preheader,
        html: out.html,
        text: emailHtmlToText(out.html),
        excerpted: out.data.excerpted,
        htmlBytes: out.htmlBytes,
        postUrl: rendered.post.url,
      };
    },
  };
}

async function loadTemplates(dir: string): Promise<Templates> {
  const path = join(dir, 'newsletter.mjml');
  let main: string;
  try {
    main = await readFile(path, 'utf8');
  } catch (error) {
    throw new EmailTemplateError(path, `cannot read the newsletter template: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const partials: Record<string, string> = {};
  const partialsDir = join(dir, 'partials');
  const names = await readdir(partialsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new EmailTemplateError(partialsDir, `cannot list partials: ${error.message}`, { cause: error });
  });
  for (const name of names.filter((n) => n.endsWith('.mjml')).sort()) {
    partials[basename(name, '.mjml')] = await readFile(join(partialsDir, name), 'utf8');
  }
  try {
    Mustache.parse(main);
    for (const partial of Object.values(partials)) Mustache.parse(partial);
  } catch (error) {
    throw new EmailTemplateError(path, `Mustache syntax: ${(error as Error).message}`, { cause: error });
  }
  return { path, main, partials };
}
