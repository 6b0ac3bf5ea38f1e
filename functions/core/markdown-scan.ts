import { Lexer, Tokenizer } from 'marked';

/**
 * marked's GitHub-flavoured inline `text` rule: the run of plain text the inline lexer takes when no
 * other inline rule (emphasis, code, link, autolink, …) starts at the current character.
 */
const GFM_TEXT = Lexer.rules.inline.gfm.text;
/** marked's GitHub-flavoured `table` block rule. */
const GFM_TABLE = Lexer.rules.block.gfm.table;
/** marked's GitHub-flavoured `lheading` block rule (a setext heading: text underlined with `===` or `---`). */
const GFM_LHEADING = Lexer.rules.block.gfm.lheading;

/** Lets marked's own `inlineText` build the token for a run already measured (see scanningTokenizer). */
const WHOLE_RUN = { inline: { text: /^[\s\S]+/ } };

/**
 * marked tokenizer overrides that answer two of marked's most often tried rules with a plain scan, and
 * hand every case they cannot vouch for back to marked (by returning `false`). tests/core/markdown-scan.test.ts
 * compares the tokens with marked's own on generated documents.
 */
export const scanningTokenizer = {
  /**
   * Plain-text runs are measured with {@link plainTextEnd} instead of the GFM `text` regex, which tries
   * a dozen lookaheads (email autolinks among them) at every character: it was the single most expensive
   * function of a 10,000-post build (1.4 s of 17). Where the scan cannot vouch for the same answer (an
   * `@`, `mailto:` or `xmpp:` nearby, or other options), marked's own rule runs.
   */
  inlineText(this: Tokenizer, src: string) {
    if (this.rules.inline.text !== GFM_TEXT) return false;
    const end = plainTextEnd(src);
    if (end === undefined) return false;
    // marked's own inlineText makes the token (entity decoding, raw blocks) from the measured run.
    const measured = { rules: WHOLE_RUN, lexer: this.lexer } as unknown as Tokenizer;
    return Tokenizer.prototype.inlineText.call(measured, src.slice(0, end)) ?? false;
  },
  /**
   * marked tries its table regex at the start of every paragraph. A table needs a delimiter row (`---|---`)
   * as its second line, so where that line has no `-` there is no table (`undefined`: no token, and
   * marked's regex does not run); anywhere else marked decides.
   */
  table(this: Tokenizer, src: string) {
    if (this.rules.block.table !== GFM_TABLE) return false;
    return secondLineHasDash(src) ? false : undefined;
  },
  /**
   * marked tries its setext-heading regex at the start of every paragraph, and it walks the paragraph
   * character by character with a lazy repetition and a dozen lookaheads at each line break (490 ms of a
   * 13 s cold build of 10,000 posts). A setext heading needs an underline: a line of up to three blanks
   * then `=` or `-`, before the paragraph's first blank line. Where no line has that start there is no
   * heading (`undefined`: no token, and marked's regex does not run); anywhere else marked decides.
   */
  lheading(this: Tokenizer, src: string) {
    if (this.rules.block.lheading !== GFM_LHEADING) return false;
    return mayBeUnderlined(src) ? false : undefined;
  },
};

/** A line holding only JavaScript whitespace (`\s`), ended by a newline. */
const BLANK_LINE = /[^\S\n]*\n/y;

/**
 * Whether a line after the first of `src`, before the first blank line, starts with up to three blanks
 * then `=` or `-`: where marked's setext-heading rule could find an underline. (The rule's text cannot
 * run past a blank line: its line breaks are followed by `(?!\s*?\n…)`, and an underline is not blank.)
 */
export function mayBeUnderlined(src: string): boolean {
  let newline = src.indexOf('\n');
  while (newline !== -1) {
    const start = newline + 1;
    BLANK_LINE.lastIndex = start;
    if (BLANK_LINE.test(src)) return false;
    let k = start;
    while (k < start + 3 && src.charCodeAt(k) === SPACE) k++;
    const c = src.charCodeAt(k);
    if (c === EQUALS || c === DASH) return true;
    newline = src.indexOf('\n', start);
  }
  return false;
}

/** Whether the line after the first line break of `src` holds a `-`. */
export function secondLineHasDash(src: string): boolean {
  const first = src.indexOf('\n');
  if (first === -1) return false;
  for (let k = first + 1; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c === DASH) return true;
    if (c === NEWLINE) return false;
  }
  return false;
}

const BACKTICK = 0x60;
const TILDE = 0x7e;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const AT = 0x40;
const EQUALS = 0x3d;
const DASH = 0x2d;

/** What an ASCII character may start, as far as the text rule cares. */
const PLAIN = 0;
/** `\\ < ! [ ` * ~ _`: marked stops a text run before each (they may start another inline rule). */
const STOPS = 1;
/** `h`/`H` (`http`), `f`/`F` (`ftp://`), `w` (`www.`). */
const LINK = 2;
/** `@`, and the `m` of `mailto:` / `x` of `xmpp:`: an email address or a link this scan leaves to marked. */
const EMAILISH = 3;
/**
 * Where another inline rule may start, as the scan below classifies characters: a stop character or `@`,
 * `http` (any case), `ftp://` (any case before the colon), `www.`, `mailto:` or `xmpp:`.
 */
const SPECIAL = /[\\<![`*~_@]|[hH][tT][tT][pP]|[fF][tT][pP]:\/\/|www\.|mailto:|xmpp:/g;
const CLASS = new Uint8Array(128);
for (const c of '\\<![`*~_') CLASS[c.charCodeAt(0)] = STOPS;
for (const c of 'hHfFw') CLASS[c.charCodeAt(0)] = LINK;
for (const c of '@mx') CLASS[c.charCodeAt(0)] = EMAILISH;

/** The characters of an email address's local part, in marked's GFM rules. */
const EMAIL = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?_`{|}~-") {
  EMAIL[c.charCodeAt(0)] = 1;
}

/** JavaScript's `\s`. */
const WHITESPACE = /\s/;

/**
 * The length of the text run marked's GFM inline `text` rule matches at the start of `src`, or undefined
 * when this scan cannot be sure of it: `src` is empty, or an `@` (an email autolink), `mailto:` or
 * `xmpp:` lies where the rule's lookaheads would see it. Where it answers, the answer equals the regex's
 * (tests/core/markdown-scan.test.ts compares them on generated text).
 *
 * The rule, unrolled: the first character (or a run of backticks or tildes), then up to the first
 * position that starts another inline rule (`\\ < ! [ ` * ~ _`, `http`, `ftp://`, `www.` after a blank
 * or `*_~(`, the end), or up to and including a non-blank followed by a hard line break (2+ blanks, newline).
 */
export function plainTextEnd(src: string): number | undefined {
  const length = src.length;
  if (length === 0) return undefined;
  const first = src.charCodeAt(0);
  if (first === AT) return undefined;
  let i = 1;
  if (first === BACKTICK || first === TILDE) {
    while (i < length && src.charCodeAt(i) === first) i++;
  }
  let end = length;
  if (i < length) {
    const c = src.charCodeAt(i);
    if (c === BACKTICK || c === TILDE || hardBreakAt(src, i)) end = i;
  }
  // The run is searched, not walked: SPECIAL finds the next place another inline rule may start, and
  // indexOf the next double blank (where a hard break may follow a non-blank). Reading every character in
  // a loop was 2.5 times slower (7 ns a character here, the largest self time of a 10,000-post build).
  let beforeBlanks = src.indexOf('  ', i + 1) - 1;
  let k = i;
  while (k < end) {
    SPECIAL.lastIndex = k;
    const found = SPECIAL.exec(src);
    const at = found === null || found.index >= end ? end : found.index;
    while (beforeBlanks >= 0 && beforeBlanks < at) {
      if (breaksAfter(src, beforeBlanks)) {
        return emailAfter(src, beforeBlanks + 1) ? undefined : beforeBlanks + 1;
      }
      beforeBlanks = src.indexOf('  ', beforeBlanks + 2) - 1;
    }
    if (at === end) break;
    const c = src.charCodeAt(at);
    const kind = c < 128 ? CLASS[c] : PLAIN;
    if (kind === STOPS || (kind === LINK && linkAt(src, at, c))) return emailAfter(src, at) ? undefined : at;
    // marked's rule would stop at an email address or a `mailto:` / `xmpp:` link: leave those to it.
    if (kind === EMAILISH) return undefined;
    // (A double blank after `at` is looked at on the next turn, before the next place found.)
    k = at + 1;
  }
  return emailAfter(src, end) ? undefined : end;
}

/**
 * Address characters read after a run before the scan gives up and lets marked decide. marked's own
 * lookahead reads the whole run at every call, so text like `a_a_a_…` costs it time quadratic in the
 * run's length; the scan must not add a second such pass.
 */
const EMAIL_RUN_LIMIT = 64;

/**
 * Whether marked's rule might have stopped earlier than `end` for an email address or link: `mailto:` or
 * `xmpp:` starts at `end`, or the address characters from `end` on lead to an `@` (an `@` before `end`
 * was already seen by the scan), or run on too long to tell.
 */
function emailAfter(src: string, end: number): boolean {
  if (schemeAt(src, end)) return true;
  const stop = Math.min(src.length, end + EMAIL_RUN_LIMIT);
  for (let k = end; k < stop; k++) {
    const c = src.charCodeAt(k);
    if (c >= 128 || EMAIL[c] !== 1) return c === AT;
  }
  return stop < src.length;
}

/** A non-blank at `k`, then a hard line break. */
function breaksAfter(src: string, k: number): boolean {
  return src.charCodeAt(k) !== SPACE && hardBreakAt(src, k + 1);
}

/** ` {2,}\n` at `at`: a hard line break. */
function hardBreakAt(src: string, at: number): boolean {
  let k = at;
  while (k < src.length && src.charCodeAt(k) === SPACE) k++;
  return k - at >= 2 && k < src.length && src.charCodeAt(k) === NEWLINE;
}

/** `http` (any case), `ftp://` (any case before the colon), or `www.` after a blank or one of `*_~(`, at `k` ≥ 1. */
function linkAt(src: string, k: number, c: number): boolean {
  switch (c | 0x20) {
    case 0x68:
      return (
        k + 3 < src.length &&
        (src.charCodeAt(k + 1) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 2) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 3) | 0x20) === 0x70
      );
    case 0x66:
      return (
        k + 5 < src.length &&
        (src.charCodeAt(k + 1) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 2) | 0x20) === 0x70 &&
        src.startsWith('://', k + 3)
      );
    default:
      return (
        k + 1 < src.length &&
        src.charCodeAt(k + 1) === 0x77 &&
        src.startsWith('www.', k) &&
        wwwMayFollow(src.charAt(k - 1))
      );
  }
}

function wwwMayFollow(previous: string): boolean {
  return (
    previous === '*' || previous === '_' || previous === '~' || previous === '(' || WHITESPACE.test(previous)
  );
}

/** `mailto:` or `xmpp:` at `k` (lower case, as marked matches them). */
function schemeAt(src: string, k: number): boolean {
  // The second letter first: `m` and `x` start many words, `ma`/`xm` few (a builtin call costs more).
  if (k + 1 >= src.length) return false;
  const next = src.charCodeAt(k + 1);
  return (next === 0x61 && src.startsWith('mailto:', k)) || (next === 0x6d && src.startsWith('xmpp:', k));
}
