import { Marked, type Token, type Tokens } from 'marked';
import markedAlert from 'marked-alert';
import { scanningTokenizer } from './markdown-scan.ts';
import { type StrippedHtml, stripRedirectTags } from './strip-redirects.ts';

/**
 * Deepest nesting of block containers (`>` quotes and list items) a post may use. Real posts stay
 * under five; marked recurses once per level, so 20,000 `>` overflow the stack.
 */
export const MAX_MARKDOWN_NESTING = 50;

/**
 * One container marker — `>`, or a list bullet / number followed by a blank — after any indentation
 * (nested lists indent by about two columns a level), matched where the previous one ended (sticky).
 */
const CONTAINER_MARKER = /([ \t]*)(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))/y;

/** Characters a line holding a container marker can start with: blanks, `>`, `-`, `*`, `+`, digits. */
const MAY_NEST = new Uint8Array(128);
for (const c of ' \t>-*+0123456789') MAY_NEST[c.charCodeAt(0)] = 1;

/**
 * The first line (1-based in `markdown`) whose block containers nest deeper than
 * {@link MAX_MARKDOWN_NESTING}, with its depth; undefined if none does. Lines are walked in place (no
 * split), and a line that cannot start with a marker is skipped: most of a post's lines are text.
 */
export function tooDeeplyNested(markdown: string): { line: number; depth: number } | undefined {
  for (let start = 0, line = 1; start <= markdown.length; line++) {
    const newline = markdown.indexOf('\n', start);
    const end = newline === -1 ? markdown.length : newline;
    if (MAY_NEST[markdown.charCodeAt(start)] === 1) {
      let depth = 0;
      CONTAINER_MARKER.lastIndex = start;
      // No part of the pattern matches a line break, so matching stops at the end of the line.
      for (let match = CONTAINER_MARKER.exec(markdown); match; match = CONTAINER_MARKER.exec(markdown)) {
        depth += 1 + Math.floor((match[1] ?? '').replace(/\t/g, '    ').length / 2);
      }
      if (depth > MAX_MARKDOWN_NESTING) return { line, depth };
    }
    start = end + 1;
  }
  return undefined;
}

/** Schemes that run code or smuggle documents when a reader clicks a link the author wrote in Markdown. */
const SCRIPTABLE_URL = /^(?:javascript|vbscript|data):/i;

/**
 * Renders a post body (GitHub-flavoured Markdown) to the HTML of its page on the site.
 *
 * GFM tables, task lists, strikethrough, autolinks and fenced code (`class="language-xxx"`) come
 * from marked; GFM alerts (`> [!NOTE]` … `> [!CAUTION]`) from marked-alert. Raw HTML blocks are
 * kept exactly as written: authors rely on them for centred `<picture>` images, and the site is
 * their own page. Headings get GitHub-style ids (`## Next time` → `id="next-time"`, repeats get
 * `-1`, `-2` …) so anchors written for GitHub previews keep working.
 *
 * Markdown links and images whose URL is `javascript:`, `vbscript:` or `data:` lose their URL
 * (the text stays); nothing else is sanitised here: HTML that leaves the site goes through
 * {@link toPortableHtml}.
 *
 * Pure: one marked instance serves every call (building one per post cost about 23 µs, a quarter
 * second over 10,000 posts), but each call counts its heading ids afresh, so ids never leak between posts.
 */
export function renderMarkdown(markdown: string): string {
  return renderMarkdownReport(markdown).html;
}

/**
 * {@link renderMarkdown}, also saying which page-hijacking tags (`<meta http-equiv>`, `<base>`)
 * were cut from the author's raw HTML (`core/strip-redirects.ts`), for `herald check` to warn.
 */
export function renderMarkdownReport(markdown: string): StrippedHtml {
  const outer = headingSlugs;
  headingSlugs = new HeadingSlugs();
  try {
    return stripRedirectTags(marked.parse(markdown, { async: false }));
  } finally {
    headingSlugs = outer;
  }
}

function isScriptable(href: string): boolean {
  // Browsers ignore ASCII whitespace and controls inside a scheme (`java\tscript:`), so must we.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point here.
  return SCRIPTABLE_URL.test(href.replace(/[\u0000-\u0020\u007F]+/g, ''));
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** GitHub's heading-anchor rules (as in github-slugger), scoped to one document. */
class HeadingSlugs {
  private readonly seen = new Map<string, number>();

  next(headingText: string): string {
    const base = slugify(headingText) || 'section';
    let slug = base;
    let count = this.seen.get(base) ?? 0;
    while (this.seen.has(slug)) {
      count += 1;
      slug = `${base}-${count}`;
    }
    this.seen.set(base, count);
    this.seen.set(slug, 0);
    return slug;
  }
}

function slugify(text: string): string {
  // Most headings are plain words: no tag to strip, no entity to decode (each a few regex passes).
  const plain =
    text.includes('<') || text.includes('&') ? decodeBasicEntities(text.replace(/<[^>]*>/g, '')) : text;
  return plain
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The entities marked leaves in heading text; enough for slugs, which drop punctuation anyway. */
function decodeBasicEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, dec: string) => safeCodePoint(Number.parseInt(dec, 10)))
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => safeCodePoint(Number.parseInt(hex, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function safeCodePoint(code: number): string {
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/** The heading ids of the document being rendered (renders are synchronous; see renderMarkdownReport). */
let headingSlugs = new HeadingSlugs();

const alerts = markedAlert();
const findAlert = alerts.walkTokens;

/**
 * marked-alert finds GFM alerts in a walk over every token of a document, which marked makes with an array
 * per token (about a tenth of what a cold build of 10,000 posts allocated). An alert is a blockquote, and
 * blockquotes lie only at the top level and inside blockquotes and list items: those are walked, in the
 * same order, with marked-alert's own test.
 */
function markAlerts(tokens: Token[]): void {
  for (const token of tokens) {
    findAlert?.(token);
    if (token.type === 'list') markAlerts((token as Tokens.List).items);
    else if (token.type === 'blockquote' || token.type === 'alert' || token.type === 'list_item') {
      markAlerts((token as Tokens.Generic).tokens ?? []);
    }
  }
}

const marked = new Marked(
  {
    gfm: true,
    breaks: false,
    tokenizer: scanningTokenizer,
    renderer: {
      heading({ tokens, depth }) {
        const plain = this.parser.parseInline(tokens, this.parser.textRenderer);
        const id = headingSlugs.next(plain);
        return `<h${depth} id="${id}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
      link(token: Tokens.Link) {
        if (isScriptable(token.href)) return this.parser.parseInline(token.tokens);
        return false;
      },
      image(token: Tokens.Image) {
        if (isScriptable(token.href)) return escapeText(token.text);
        return false;
      },
    },
    hooks: {
      processAllTokens(tokens) {
        markAlerts(tokens as Token[]);
        return tokens;
      },
    },
  },
  { extensions: alerts.extensions ?? null },
);
