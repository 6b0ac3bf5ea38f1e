/**
 * Turns a rendered post into the values the newsletter template is filled with, and the final
 * email HTML into its plain-text part. Pure: no I/O, no clock.
 */
import { compile as compileHtmlToText } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';
import type { RenderedPost, SiteConfig } from './model.ts';
import { PLACEHOLDERS } from './personalize.ts';

/** Width in pixels of the email's content column; image widths are clamped to it for Outlook. */
export const EMAIL_CONTENT_WIDTH = 600;

/** Default length, in characters of text, of the excerpt sent when a full post is too big. */
export const DEFAULT_EXCERPT_CHARS = 1500;

/** Preheaders longer than this are cut at a word boundary; clients show about this much. */
const PREHEADER_CHARS = 140;

/** An excerpt stops growing past this much HTML even if its text is short (tables, images). */
const EXCERPT_MAX_HTML_CHARS = 40_000;

/** Class put on body tables so the text part formats them as data tables, not as layout. */
const DATA_TABLE_CLASS = 'herald-table';

/** Everything `templates/newsletter.mjml` can use. Mustache escapes each value except `body`. */
export interface EmailTemplateData {
  /** BCP 47 language tag for `<mjml lang>`. */
  lang: string;
  siteTitle: string;
  /** Home page URL, with baseurl and a trailing slash. */
  siteUrl: string;
  /** Host name of the site, for the "why you get this" line. */
  siteHost: string;
  /** Subject line: front matter `subject`, else the title, whitespace collapsed. */
  subject: string;
  /** Inbox preview text: `summary`, else the first paragraph's text, about 140 characters. */
  preheader: string;
  title: string;
  /** Author names as a list in the site's language, e.g. `Rita Santos and Meetup Organisers`. */
  authors: string;
  /** The post's date written out in the site's language and time zone, e.g. `March 14, 2026`. */
  date: string;
  /** The post's instant as ISO 8601, for `<time datetime>`. */
  dateIso: string;
  /** Absolute URL of the post on the site. */
  postUrl: string;
  /** The prepared, email-safe body HTML (or its excerpt); insert with `{{{body}}}`. */
  body: string;
  /** True when `body` is only the start of the post and a "Read the full recap" link is due. */
  excerpted: boolean;
  /** Sender's postal address, required in every commercial email. */
  postalAddress: string;
  /** Per-recipient placeholders, filled at send time by `compilePersonalizer`. */
  unsubscribeUrl: string;
  manageUrl: string;
  viewUrl: string;
  greeting: string;
  email: string;
}

/** Build-time choices for {@link buildEmailData}. */
export interface EmailDataOptions {
  /** Send only the first part of the post (used when the full email is too big to be clipped). */
  excerpt: boolean;
  /** Target length of the excerpt's text. Default {@link DEFAULT_EXCERPT_CHARS}. */
  excerptChars?: number;
}

/**
 * Prepares the template data for one post: escapes nothing itself (Mustache does), but makes the
 * body email-safe (second sanitising pass, Outlook-safe images, marked data tables) and, when
 * asked, cuts it to a deterministic excerpt.
 */
export function buildEmailData(
  rendered: RenderedPost,
  site: SiteConfig,
  options: EmailDataOptions,
): EmailTemplateData {
  const { post } = rendered;
  const fullBody = prepareEmailBody(rendered.portableHtml);
  const body = options.excerpt
    ? excerptHtml(fullBody, options.excerptChars ?? DEFAULT_EXCERPT_CHARS)
    : fullBody;
  const siteUrl = `${site.url}${site.baseurl}/`;
  return {
    lang: site.language,
    siteTitle: site.title,
    siteUrl,
    siteHost: new URL(site.url).host,
    subject: oneLine(post.subject ?? post.title),
    preheader: truncateWords(oneLine(post.summary ?? firstParagraphText(fullBody)), PREHEADER_CHARS),
    title: oneLine(post.title),
    authors: new Intl.ListFormat(site.language, { type: 'conjunction' }).format(
      post.authors.map((a) => a.name),
    ),
    date: new Intl.DateTimeFormat(site.language, { dateStyle: 'long', timeZone: site.timezone }).format(
      post.date,
    ),
    dateIso: post.date.toISOString(),
    postUrl: post.url,
    body,
    excerpted: options.excerpt,
    postalAddress: site.newsletter.postalAddress,
    ...PLACEHOLDERS,
  };
}

/**
 * Converts the final email HTML to the plain-text part: links as `text [url]`, headings upper
 * case, body tables as text tables, images as their alt text, the hidden preheader left out.
 */
export function emailHtmlToText(html: string): string {
  // MJML's nested layout blocks leave runs of blank lines; one blank line separates enough.
  return htmlToText(html)
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const htmlToText = compileHtmlToText({
  wordwrap: 78,
  // The preheader div sits outside MJML's `role="article"` wrapper, so starting there drops it.
  baseElements: { selectors: ['div[role=article]'], returnDomByDefault: true },
  formatters: {
    altText(elem, _walk, builder) {
      const alt = (elem.attribs?.alt ?? '').trim();
      if (alt) builder.addInline(alt);
    },
  },
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'altText' },
    { selector: `table.${DATA_TABLE_CLASS}`, format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/** Tags an email may carry: structure and text only; no scripts, frames, forms, media or SVG. */
const EMAIL_TAGS = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => !['nav', 'main'].includes(t)),
  'img',
  'del',
  'ins',
  'details',
  'summary',
];

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: EMAIL_TAGS,
  allowedAttributes: {
    // No `style` from content: only the image styles set below survive, plus the template's CSS.
    '*': ['class', 'align', 'title', 'dir', 'lang'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height', 'style'],
    td: ['colspan', 'rowspan', 'valign'],
    th: ['colspan', 'rowspan', 'valign', 'scope'],
    ol: ['start', 'reversed', 'type'],
    li: ['value'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: {
    img: (tagName, attribs) => ({ tagName, attribs: emailImageAttributes(attribs) }),
    table: (tagName, attribs) => ({ tagName, attribs: addClass(attribs, DATA_TABLE_CLASS) }),
  },
  // An image without a usable source (e.g. a `data:` URL) would only show a broken icon.
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
};

/**
 * Second line of defence and email shaping on top of the portable HTML: an allowlist without any
 * active content, images sized for Outlook, task-list checkboxes as glyphs.
 */
function prepareEmailBody(portableHtml: string): string {
  // A checkbox is a form control; keep what it said as a glyph rather than losing the task state.
  const withCheckboxes = portableHtml.replace(/<input\b[^>]*>/gi, (tag) =>
    /\btype\s*=\s*["']?checkbox/i.test(tag) ? (/\bchecked\b/i.test(tag) ? '☑' : '☐') : '',
  );
  return sanitizeHtml(withCheckboxes, sanitizeOptions);
}

/**
 * Outlook ignores CSS widths, so the `width` attribute must be a pixel number no wider than the
 * column; everyone else gets `max-width:100%;height:auto` so images shrink on phones.
 */
function emailImageAttributes(attribs: Record<string, string>): Record<string, string> {
  const { width: rawWidth, height: rawHeight, style: _style, ...rest } = attribs;
  const result: Record<string, string> = { ...rest, alt: attribs.alt ?? '' };
  const width = pixelWidth(rawWidth);
  if (width !== undefined) {
    const clamped = Math.min(width, EMAIL_CONTENT_WIDTH);
    result.width = String(clamped);
    const height =
      rawHeight && /^\d+(\.\d+)?(px)?$/.test(rawHeight.trim()) ? Number.parseFloat(rawHeight) : NaN;
    // Percent widths have no known pixel height; a stale height would distort the image.
    if (!Number.isNaN(height) && rawWidth && !rawWidth.includes('%')) {
      result.height = String(Math.round((height * clamped) / width));
    }
  }
  result.style = 'max-width:100%;height:auto;border:0;';
  return result;
}

function pixelWidth(raw: string | undefined): number | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent?.[1]) return Math.round((Number.parseFloat(percent[1]) / 100) * EMAIL_CONTENT_WIDTH);
  const pixels = /^(\d+(?:\.\d+)?)(?:px)?$/.exec(value);
  if (pixels?.[1]) return Math.round(Number.parseFloat(pixels[1]));
  return undefined;
}

function addClass(attribs: Record<string, string>, name: string): Record<string, string> {
  const classes = (attribs.class ?? '').split(/\s+/).filter(Boolean);
  if (!classes.includes(name)) classes.push(name);
  return { ...attribs, class: classes.join(' ') };
}

const VOID_TAGS = new Set(['area', 'br', 'col', 'hr', 'img', 'input', 'wbr']);

/**
 * Splits sanitised HTML into its top-level nodes. Safe with a regex only because the input has
 * been through sanitize-html: quoted attributes with `<`, `>` escaped, no comments or CDATA.
 */
function topLevelChunks(html: string): string[] {
  const chunks: string[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/g;
  let depth = 0;
  let start = 0;
  let match: RegExpExecArray | null = tag.exec(html);
  while (match !== null) {
    const [whole, closing, rawName = ''] = match;
    const name = rawName.toLowerCase();
    if (depth === 0 && match.index > start) {
      chunks.push(html.slice(start, match.index));
      start = match.index;
    }
    if (closing) depth = Math.max(0, depth - 1);
    else if (!VOID_TAGS.has(name) && !whole.endsWith('/>')) depth += 1;
    if (depth === 0) {
      chunks.push(html.slice(start, match.index + whole.length));
      start = match.index + whole.length;
    }
    match = tag.exec(html);
  }
  if (start < html.length) chunks.push(html.slice(start));
  return chunks.filter((c) => c.trim() !== '');
}

/**
 * The first top-level blocks whose text fits in `maxChars`, stopping before the second section
 * (`<h2>`). A first block that alone is too long becomes a cut paragraph of its text.
 */
function excerptHtml(html: string, maxChars: number): string {
  const taken: string[] = [];
  let chars = 0;
  let htmlChars = 0;
  for (const chunk of topLevelChunks(html)) {
    const length = textOf(chunk).length;
    if (taken.length > 0 && /^<h2\b/i.test(chunk)) break;
    if (chars + length > maxChars || htmlChars + chunk.length > EXCERPT_MAX_HTML_CHARS) {
      if (chars === 0) taken.push(`<p>${escapeText(truncateWords(oneLine(textOf(chunk)), maxChars))}</p>`);
      break;
    }
    taken.push(chunk);
    chars += length;
    htmlChars += chunk.length;
  }
  return taken.join('\n');
}

/** Text of the first paragraph that has any, for the preheader when there is no summary. */
function firstParagraphText(html: string): string {
  for (const chunk of topLevelChunks(html)) {
    if (!/^<p\b/i.test(chunk)) continue;
    const text = oneLine(textOf(chunk));
    if (text) return text;
  }
  return '';
}

function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''));
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts at the last word boundary that fits and marks the cut with an ellipsis. */
function truncateWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, '')}…`;
}
