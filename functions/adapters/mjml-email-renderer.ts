/**
 * Renders a post into the newsletter email with the user's MJML template: Mustache fills the
 * template, MJML compiles it to client-safe HTML (CSS inlined), html-to-text derives the text part.
 *
 * MJML runs once per template shape, not once per post: the template is filled with stand-in
 * tokens and compiled up to the step before CSS inlining; each post then only swaps its values in
 * and runs that last step (juice, what mjml itself calls) and mjml's final clean-up. The result is
 * byte for byte what compiling the filled template gives, at a fraction of the cost.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import Mustache from 'mustache';
import type { EmailRenderer } from '../app/ports.ts';
import {
  buildEmailData,
  DEFAULT_EXCERPT_CHARS,
  type EmailTemplateData,
  emailHtmlToText,
} from '../core/email-content.ts';
import { escapeHtml } from '../core/escape-html.ts';
import type { RenderedPost, SiteConfig } from '../core/model.ts';
import { EmailTemplateError } from './email-template-error.ts';

export { EmailTemplateError };

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
  /**
   * Folder to keep compiled template shapes in between runs (the CLI uses one under
   * node_modules/.cache): a build whose templates did not change then never loads mjml, only juice.
   */
  cacheDir?: string;
}

interface Templates {
  path: string;
  main: string;
  partials: Record<string, string>;
}

/** `mjml` is CommonJS with `export =`; its type is the function that `import()` returns as default. */
type Mjml2Html = typeof import('mjml');
type Juice = typeof import('juice');

/** mjml and its document skeleton: needed only to compile a template shape. */
interface MjmlTools {
  mjml2html: Mjml2Html;
  skeleton: typeof import('mjml-core/lib/helpers/skeleton.js').default;
}

/** The last steps of mjml's pipeline, run per post. */
interface InlineTools {
  juice: Juice;
  mergeOutlookConditionnals: typeof import('mjml-core/lib/helpers/mergeOutlookConditionnals.js').default;
}

/** A template compiled with stand-in tokens: the document before CSS inlining, and that CSS. */
interface CompiledShape {
  html: string;
  inlineCss: string;
}

/** Options given to mjml; the per-post inlining below repeats mjml's own juice call with them. */
const MJML_OPTIONS = {
  validationLevel: 'soft',
  keepComments: false,
  // No web fonts: they load from a third party and most clients block them anyway.
  fonts: {},
  // juice would turn `height: auto` into `height="auto"`, which Outlook reads as a pixel height.
  juiceOptions: { applyHeightAttributes: false },
} as const;

/** CommonJS modules compiled by Babel nest their export one level deeper under Node's ESM loader. */
function defaultExport<T>(module: { default: T | { default: T } }): T {
  const value = module.default as T | { default: T };
  return typeof value === 'function' ? value : (value as { default: T }).default;
}

/**
 * Starts loading mjml (about half a second) ahead of the first template shape to compile: for a build
 * that will find no compiled shape in its cache. Loaded modules are shared by every renderer.
 */
export function preloadMjml(): void {
  void loadMjmlTools().catch(() => undefined);
}

async function loadMjmlTools(): Promise<MjmlTools> {
  const [mjml, skeleton] = await Promise.all([import('mjml'), import('mjml-core/lib/helpers/skeleton.js')]);
  return { mjml2html: mjml.default, skeleton: defaultExport(skeleton) };
}

async function loadInlineTools(): Promise<InlineTools> {
  // juice's client entry is the same function without juiceResources, whose web-resource-inliner
  // is a third of juice's load time.
  const [juice, merge] = await Promise.all([
    import('juice/client.js'),
    import('mjml-core/lib/helpers/mergeOutlookConditionnals.js'),
  ]);
  return { juice: juice.default, mergeOutlookConditionnals: defaultExport(merge) };
}

/** Stand-in token prefix; a slot is `<prefix><index>R` (raw) or `<prefix><index>E` (escaped). */
const SLOT_TOKEN = 'HERALDSLOTQ7ZX';

/** Bump when the cached shape's format or the way it is made changes. */
const SHAPE_CACHE_FORMAT = 1;

async function mjmlVersion(): Promise<string> {
  const file = createRequire(import.meta.url).resolve('mjml-core/package.json');
  return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
}

/** A file per shape, named by everything the compiled shape depends on. */
async function shapeCacheFile(dir: string, t: Templates, shapeKey: string): Promise<string> {
  const key = JSON.stringify([SHAPE_CACHE_FORMAT, await mjmlVersion(), MJML_OPTIONS, t, shapeKey]);
  return join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
}

async function readCachedShape(file: string): Promise<CompiledShape | undefined> {
  try {
    const shape = JSON.parse(await readFile(file, 'utf8')) as Partial<CompiledShape>;
    if (typeof shape.html === 'string' && typeof shape.inlineCss === 'string') {
      return { html: shape.html, inlineCss: shape.inlineCss };
    }
  } catch {
    // Not cached yet (or unreadable): compile it.
  }
  return undefined;
}

async function writeCachedShape(file: string, shape: CompiledShape): Promise<void> {
  try {
    await mkdir(join(file, '..'), { recursive: true });
    const staging = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(staging, JSON.stringify(shape));
    await rename(staging, file);
  } catch {
    // A read-only install only loses the speed-up.
  }
}

/**
 * Stand-in values for one template shape. Every non-empty string value becomes a token that no
 * step changes (letters and digits), keeping the value's leading and trailing whitespace so mjml
 * trims around it exactly as it would around the value; empty strings and other values stay as
 * they are, so Mustache sections open and close as they would for the real data. Posts whose
 * data has the same shape share one compiled template.
 */
function tokenize(data: EmailTemplateData, nonce: string) {
  const tokens: Record<string, unknown> = {};
  const keys: string[] = [];
  const shape: unknown[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'string' && value !== '') {
      const lead = /^\s*/.exec(value)?.[0] ?? '';
      const trail = value.length > lead.length ? (/\s*$/.exec(value)?.[0] ?? '') : '';
      tokens[key] = `${lead}${nonce}${keys.length}R${trail}`;
      shape.push(key, lead, trail);
      keys.push(key);
    } else {
      tokens[key] = value;
      shape.push(key, value);
    }
  }
  return { tokens, keys, shapeKey: JSON.stringify(shape) };
}

/**
 * Creates a renderer that reads the templates once (on first use) and imports mjml lazily, since
 * loading it costs about a quarter of a second that most Lambda invocations never need.
 */
export function createEmailRenderer(options: EmailRendererOptions): EmailRenderer {
  const maxHtmlBytes = options.maxHtmlBytes ?? MAX_EMAIL_HTML_BYTES;
  const excerptChars = options.excerptChars ?? DEFAULT_EXCERPT_CHARS;
  let templates: Promise<Templates> | undefined;
  let tools: Promise<MjmlTools> | undefined;
  let inlineTools: Promise<InlineTools> | undefined;
  const shapes = new Map<string, Promise<CompiledShape>>();
  // Fixed, so cached shapes stay valid; only template text is scanned for it, never a post's
  // values, and no template says this by accident.
  const nonce = SLOT_TOKEN;
  const tokenPattern = new RegExp(`${nonce}(\\d+)([RE])`, 'g');
  const mjmlTools = () => {
    tools ??= loadMjmlTools();
    return tools;
  };
  const inliner = () => {
    inlineTools ??= loadInlineTools();
    return inlineTools;
  };

  async function runMjml(t: Templates, source: string, mjml: MjmlTools, skeleton?: MjmlTools['skeleton']) {
    try {
      // `soft` still returns HTML, so template mistakes surface as one clear error below.
      return await mjml.mjml2html(source, {
        ...MJML_OPTIONS,
        ...(skeleton ? { skeleton: skeleton as () => string } : {}),
      });
    } catch (error) {
      throw new EmailTemplateError(t.path, `MJML failed: ${(error as Error).message}`, { cause: error });
    }
  }

  function fill(t: Templates, data: Record<string, unknown>): string {
    // Mustache's `{{x}}` escapes a value and `{{{x}}}` does not; the token records which it was.
    const escapeValue = (value: unknown) => escapeHtml(value).replace(tokenPattern, `${nonce}$1E`);
    return Mustache.render(t.main, data, t.partials, { escape: escapeValue });
  }

  /** Compiles the filled template the plain way; only to report its MJML errors as they are. */
  async function compileErrors(t: Templates, data: EmailTemplateData, mjml: MjmlTools): Promise<never> {
    const result = await runMjml(t, fill(t, { ...data }), mjml);
    const problems = result.errors.map((e) => `line ${e.line} <${e.tagName}>: ${e.message}`).join('; ');
    throw new EmailTemplateError(t.path, `MJML errors (lines of the filled template): ${problems}`, {
      cause: result.errors,
    });
  }

  async function compileShape(
    t: Templates,
    tokens: Record<string, unknown>,
    data: EmailTemplateData,
    shapeKey: string,
  ): Promise<CompiledShape> {
    const cacheFile = options.cacheDir ? await shapeCacheFile(options.cacheDir, t, shapeKey) : undefined;
    const cached = cacheFile ? await readCachedShape(cacheFile) : undefined;
    if (cached) return cached;
    const mjml = await mjmlTools();
    let captured: CompiledShape | undefined;
    const result = await runMjml(t, fill(t, tokens), mjml, (skeletonOptions) => {
      const html = mjml.skeleton(skeletonOptions);
      captured = { html, inlineCss: skeletonOptions.inlineStyle.join('') };
      return html;
    });
    if (result.errors.length > 0) return compileErrors(t, data, mjml);
    if (!captured) throw new EmailTemplateError(t.path, 'MJML produced no document');
    if (cacheFile) await writeCachedShape(cacheFile, captured);
    return captured;
  }

  async function compile(rendered: RenderedPost, site: SiteConfig, excerpt: boolean) {
    templates ??= loadTemplates(options.templatesDir);
    const t = await templates;
    const data = buildEmailData(rendered, site, { excerpt, excerptChars });
    const { tokens, keys, shapeKey } = tokenize(data, nonce);
    let shape = shapes.get(shapeKey);
    if (!shape) {
      shape = compileShape(t, tokens, data, shapeKey);
      shapes.set(shapeKey, shape);
      shape.catch(() => shapes.delete(shapeKey));
    }
    const [{ html: skeleton, inlineCss }, mjml] = await Promise.all([shape, inliner()]);
    const values = keys.map((key) => String(data[key as keyof EmailTemplateData]).trim());
    const filled = skeleton.replace(tokenPattern, (_, index: string, kind: string) => {
      const value = values[Number(index)] ?? '';
      return kind === 'E' ? escapeHtml(value) : value;
    });
    // The last two steps of mjml2html, with the options it passes to juice.
    const inlined = inlineCss
      ? mjml.juice(filled, {
          applyStyleTags: false,
          extraCss: inlineCss,
          insertPreservedExtraCss: false,
          removeStyleTags: false,
          ...MJML_OPTIONS.juiceOptions,
        })
      : filled;
    const html = mjml.mergeOutlookConditionnals(inlined);
    return { data, html, htmlBytes: Buffer.byteLength(html, 'utf8') };
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
