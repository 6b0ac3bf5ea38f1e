import sanitizeHtml from 'sanitize-html';
import { stripXmlInvalid } from './xml-safe.ts';

/** Thrown when the page or site URL given to {@link toPortableHtml} is not absolute. */
export class PortableHtmlError extends Error {
  override name = 'PortableHtmlError';
}

/** The text that replaces an iframe, embed, object, video or audio: mail clients and readers drop them. */
const EMBED_LINK_TEXT = 'View the embedded content';

const ALLOWED_TAGS = (
  'a abbr b blockquote br caption cite code col colgroup dd del div dl dt em figcaption figure ' +
  'h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub sup ' +
  'table tbody td tfoot th thead tr u ul'
).split(' ');

const TABLE_CELL_ATTRIBUTES = ['align', 'colspan', 'rowspan', 'width', 'height'];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  abbr: ['title'],
  ol: ['start'],
  p: ['align', 'class'],
  div: ['align'],
  h1: ['align'],
  h2: ['align'],
  h3: ['align'],
  h4: ['align'],
  h5: ['align'],
  h6: ['align'],
  table: ['width'],
  col: ['span', 'width'],
  colgroup: ['span', 'width'],
  th: TABLE_CELL_ATTRIBUTES,
  td: TABLE_CELL_ATTRIBUTES,
  // Classes survive only from the allow-list below, so an email template can style alerts and code.
  blockquote: ['class'],
  code: ['class'],
  pre: ['class'],
};

const ALLOWED_CLASSES: Record<string, string[]> = {
  blockquote: ['markdown-alert', 'markdown-alert-*'],
  p: ['markdown-alert-title'],
  code: ['language-*'],
  pre: ['language-*'],
};

/**
 * Makes site HTML safe and self-contained for places outside the site: newsletter email and feeds.
 *
 * - Allow-list sanitising (sanitize-html): text, headings, lists, tables, code, quotes, images,
 *   links, figures. Scripts, styles, frames, forms, SVG/MathML, `<meta>`, `<base>`, event handler
 *   and `style` attributes, `srcset` are all dropped.
 * - `<picture>`/`<source>` are unwrapped to their `<img>` (Outlook understands only plain images);
 *   images get `alt=""` when they have none; `width`/`height` survive only as numbers or percent.
 * - An `iframe`/`embed`/`object`/`video`/`audio` with an http(s) source becomes a link
 *   "View the embedded content"; without one it disappears with its fallback content.
 * - Task-list checkboxes become ☑ / ☐ characters; GFM alerts become
 *   `<blockquote class="markdown-alert markdown-alert-tip">` so they read as quotes anywhere.
 * - URLs become absolute: `/x` against `siteRoot` (origin + baseurl; a path already under the
 *   baseurl is not prefixed twice), `x` and `?q` against `pageUrl`, `#a` to `pageUrl#a`. Only
 *   `http`, `https` and `mailto` links and `http(s)` images survive; an image without one goes.
 * - Characters XML 1.0 forbids are removed, so the result can go into a feed as is.
 *
 * @param html Site HTML, e.g. from {@link renderMarkdown}.
 * @param pageUrl Absolute URL of the page the HTML belongs to.
 * @param siteRoot Absolute URL of the site root including baseurl, without trailing slash.
 */
export function toPortableHtml(html: string, pageUrl: string, siteRoot: string): string {
  const resolver = new UrlResolver(pageUrl, siteRoot);
  const dropped = new WeakSet<object>();
  const drop = (): sanitizeHtml.Tag => {
    const attribs = {};
    dropped.add(attribs);
    return { tagName: 'span', attribs };
  };
  const embedLink = (source: string | undefined): sanitizeHtml.Tag => {
    const href = resolver.image(source);
    return href === undefined ? drop() : { tagName: 'a', attribs: { href }, text: EMBED_LINK_TEXT };
  };
  const clean = sanitizeHtml(stripXmlInvalid(html), {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedClasses: ALLOWED_CLASSES,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: [
      'script',
      'style',
      'textarea',
      'option',
      'select',
      'button',
      'noscript',
      'template',
      'title',
      'head',
      'svg',
      'math',
      'noembed',
      'noframes',
      'frameset',
      'applet',
    ],
    // Removes, with their content, the elements the transforms below marked (by attribute object identity:
    // transforming to a disallowed tag name instead trips a sanitize-html bug that corrupts closing tags).
    exclusiveFilter: (frame) => dropped.has(frame.attribs),
    transformTags: {
      a: (_tag, attribs) => ({
        tagName: 'a',
        attribs: withUrl(attribs, 'href', resolver.link(attribs.href)),
      }),
      img: (_tag, attribs) => {
        const src = resolver.image(attribs.src);
        if (src === undefined) return drop();
        return { tagName: 'img', attribs: imageAttributes(attribs, src) };
      },
      iframe: (_tag, attribs) => embedLink(attribs.src),
      frame: (_tag, attribs) => embedLink(attribs.src),
      embed: (_tag, attribs) => embedLink(attribs.src),
      object: (_tag, attribs) => embedLink(attribs.data),
      video: (_tag, attribs) => embedLink(attribs.src),
      audio: (_tag, attribs) => embedLink(attribs.src),
      input: (_tag, attribs) => {
        if ((attribs.type ?? '').toLowerCase() !== 'checkbox') return drop();
        return { tagName: 'span', attribs: {}, text: attribs.checked === undefined ? '☐' : '☑' };
      },
      div: (_tag, attribs) => {
        const classes = (attribs.class ?? '').split(/\s+/);
        if (classes.includes('markdown-alert'))
          return { tagName: 'blockquote', attribs: { class: attribs.class ?? '' } };
        return { tagName: 'div', attribs: withNumericSize(attribs) };
      },
      details: () => ({ tagName: 'div', attribs: {} }),
      summary: () => ({ tagName: 'p', attribs: {} }),
      table: (_tag, attribs) => ({ tagName: 'table', attribs: withNumericSize(attribs) }),
      td: (_tag, attribs) => ({ tagName: 'td', attribs: withNumericSize(attribs) }),
      th: (_tag, attribs) => ({ tagName: 'th', attribs: withNumericSize(attribs) }),
      col: (_tag, attribs) => ({ tagName: 'col', attribs: withNumericSize(attribs) }),
      colgroup: (_tag, attribs) => ({ tagName: 'colgroup', attribs: withNumericSize(attribs) }),
    },
  });
  // Entities such as `&#1;` are decoded by the parser and written back raw: strip once more.
  return stripXmlInvalid(clean);
}

type Attributes = Record<string, string>;

function absolute(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch (error) {
    throw new PortableHtmlError(`toPortableHtml: ${name}: "${value}" is not an absolute URL`, {
      cause: error,
    });
  }
}

function withUrl(attribs: Attributes, name: string, url: string | undefined): Attributes {
  const { [name]: _old, ...rest } = attribs;
  return url === undefined ? rest : { ...rest, [name]: url };
}

function imageAttributes(attribs: Attributes, src: string): Attributes {
  const out: Attributes = { src, alt: attribs.alt ?? '' };
  if (attribs.title !== undefined) out.title = attribs.title;
  const width = numericSize(attribs.width);
  const height = numericSize(attribs.height);
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  return out;
}

function withNumericSize(attribs: Attributes): Attributes {
  const { width, height, ...rest } = attribs;
  const out: Attributes = { ...rest };
  const w = numericSize(width);
  const h = numericSize(height);
  if (w !== undefined) out.width = w;
  if (h !== undefined) out.height = h;
  return out;
}

/** `600`, `600px` → `600`; `100%` stays; anything else (`calc(…)`, `auto`, `expression(…)`) goes. */
function numericSize(value: string | undefined): string | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(px|%)?\s*$/i.exec(value ?? '');
  if (!match) return undefined;
  return match[2] === '%' ? `${match[1]}%` : match[1];
}

/** Resolves URLs the way a browser on the page would, then keeps only schemes that are safe off-site. */
class UrlResolver {
  private readonly page: URL;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(pageUrl: string, siteRoot: string) {
    this.page = absolute('pageUrl', pageUrl);
    const root = absolute('siteRoot', siteRoot);
    this.origin = root.origin;
    this.basePath = root.pathname.replace(/\/+$/, '');
  }

  /** Link target: http(s) or mailto, absolute; undefined when it must go. */
  link(value: string | undefined): string | undefined {
    const url = this.resolve(value);
    if (!url) return undefined;
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : undefined;
  }

  /** Image or embed source: http(s) only, absolute; undefined when it must go. */
  image(value: string | undefined): string | undefined {
    const url = this.resolve(value);
    if (!url) return undefined;
    return ['http:', 'https:'].includes(url.protocol) ? url.href : undefined;
  }

  private resolve(value: string | undefined): URL | undefined {
    if (value === undefined) return undefined;
    // The WHATWG parser ignores leading/trailing controls and spaces and inner tabs/newlines, exactly as
    // browsers do, so `java\tscript:` is recognised as the scheme it is rather than as a relative path.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point here.
    const trimmed = value.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
    try {
      if (trimmed.startsWith('/') && !trimmed.startsWith('//') && !trimmed.startsWith('/\\')) {
        const underBase =
          this.basePath === '' || trimmed === this.basePath || trimmed.startsWith(`${this.basePath}/`);
        return new URL(underBase ? trimmed : `${this.basePath}${trimmed}`, this.origin);
      }
      if (trimmed.startsWith('#')) {
        const url = new URL(this.page.href);
        url.hash = trimmed.slice(1);
        return url;
      }
      return new URL(trimmed, this.page);
    } catch {
      return undefined;
    }
  }
}
