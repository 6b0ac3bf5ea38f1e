import { Lexer, Tokenizer } from 'marked';

/**
 * marked's GitHub-flavoured inline `text` rule: the run of plain text the inline lexer takes when no
 * other inline rule (emphasis, code, link, autolink, …) starts at the current character.
 */
const GFM_TEXT = Lexer.rules.inline.gfm.text;

/** Lets marked's own `inlineText` build the token for a run already measured (see plainTextTokenizer). */
const WHOLE_RUN = { inline: { text: /^[\s\S]+/ } };

/**
 * A marked tokenizer override that measures plain-text runs with {@link plainTextEnd} instead of the
 * GFM `text` regex, which tries a dozen lookaheads (email autolinks among them) at every character:
 * it was the single most expensive function of a 10,000-post build (1.4 s of 17). Where the scan cannot
 * vouch for the same answer (an `@`, `mailto:` or `xmpp:` nearby, or other options), marked's own
 * rule runs.
 */
export const plainTextTokenizer = {
  inlineText(this: Tokenizer, src: string) {
    if (this.rules.inline.text !== GFM_TEXT) return false;
    const end = plainTextEnd(src);
    if (end === undefined) return false;
    // marked's own inlineText makes the token (entity decoding, raw blocks) from the measured run.
    const measured = { rules: WHOLE_RUN, lexer: this.lexer } as unknown as Tokenizer;
    return Tokenizer.prototype.inlineText.call(measured, src.slice(0, end)) ?? false;
  },
};

const BACKTICK = 0x60;
const TILDE = 0x7e;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const AT = 0x40;

/** `\\ < ! [ ` * ~ _`: marked stops a text run before each (they may start another inline rule). */
const STOP = new Uint8Array(128);
for (const c of '\\<![`*~_') STOP[c.charCodeAt(0)] = 1;

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
 * (tests/core/markdown-text.test.ts compares them on generated text).
 *
 * The rule, unrolled: the first character (or a run of backticks or tildes), then up to the first
 * position that starts another inline rule (`\\ < ! [ ` * ~ _`, `http`, `ftp://`, `www.` after a blank
 * or `*_~(`, the end), or up to and including a non-blank followed by a hard line break (2+ blanks, newline).
 */
export function plainTextEnd(src: string): number | undefined {
  const length = src.length;
  if (length === 0) return undefined;
  const first = src.charCodeAt(0);
  let i = 1;
  if (first === BACKTICK || first === TILDE) {
    while (i < length && src.charCodeAt(i) === first) i++;
  }
  let end: number | undefined;
  if (i < length) {
    const c = src.charCodeAt(i);
    if (c === BACKTICK || c === TILDE || hardBreakAt(src, i)) end = i;
  }
  if (end === undefined) {
    for (let k = i; ; k++) {
      if (k === length || stopsBefore(src, k)) {
        end = k;
        break;
      }
      if (src.charCodeAt(k) !== SPACE && hardBreakAt(src, k + 1)) {
        end = k + 1;
        break;
      }
    }
  }
  // marked's rule would also stop at an email address or a `mailto:` / `xmpp:` link: an `@` in the run,
  // an `@` the run's last address characters lead to, or one of those schemes starting up to its end.
  for (let k = 0; k < end; k++) {
    const c = src.charCodeAt(k);
    if (c === AT || ((c === 0x6d || c === 0x78) && k > 0 && schemeAt(src, k))) return undefined;
  }
  if (end < length && schemeAt(src, end)) return undefined;
  let k = end;
  while (k < length && src.charCodeAt(k) < 128 && EMAIL[src.charCodeAt(k)] === 1) k++;
  if (k < length && src.charCodeAt(k) === AT) return undefined;
  return end;
}

/** ` {2,}\n` at `at`: a hard line break. */
function hardBreakAt(src: string, at: number): boolean {
  let k = at;
  while (k < src.length && src.charCodeAt(k) === SPACE) k++;
  return k - at >= 2 && k < src.length && src.charCodeAt(k) === NEWLINE;
}

/** Whether another inline rule may start at `k` (k ≥ 1), as the text rule's first lookahead judges. */
function stopsBefore(src: string, k: number): boolean {
  const c = src.charCodeAt(k);
  if (c < 128 && STOP[c] === 1) return true;
  switch (c | 0x20) {
    case 0x68: // h: `http`, any case
      return (
        (src.charCodeAt(k + 1) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 2) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 3) | 0x20) === 0x70
      );
    case 0x66: // f: `ftp://`, any case before the colon
      return (
        (src.charCodeAt(k + 1) | 0x20) === 0x74 &&
        (src.charCodeAt(k + 2) | 0x20) === 0x70 &&
        src.startsWith('://', k + 3)
      );
    case 0x77: // `www.` (lower case) after a blank or one of `*_~(`
      return c === 0x77 && src.startsWith('www.', k) && wwwMayFollow(src.charAt(k - 1));
    default:
      return false;
  }
}

function wwwMayFollow(previous: string): boolean {
  return (
    previous === '*' || previous === '_' || previous === '~' || previous === '(' || WHITESPACE.test(previous)
  );
}

/** `mailto:` or `xmpp:` at `k` (lower case, as marked matches them). */
function schemeAt(src: string, k: number): boolean {
  return src.startsWith('mailto:', k) || src.startsWith('xmpp:', k);
}
