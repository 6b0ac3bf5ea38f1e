/**
 * Characters XML 1.0 forbids anywhere in a document, even escaped: C0 controls other than tab, LF
 * and CR, the non-characters U+FFFE/U+FFFF, and UTF-16 surrogates that are not part of a pair.
 * One of them in a post is enough to make a feed reader reject the whole feed.
 */
const XML_FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to remove.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Removes every character XML 1.0 does not allow, keeping everything else as it is.
 *
 * Removal (rather than replacement with U+FFFD) keeps invisible junk such as a vertical tab pasted
 * from a slide deck from turning into visible replacement glyphs in readers' inboxes.
 */
export function stripXmlInvalid(text: string): string {
  // Scanning for one character class is several times faster than the full pattern, and almost
  // no text has any candidate (surrogates are only candidates: emoji are valid pairs).
  return MAYBE_FORBIDDEN.test(text) ? text.replace(XML_FORBIDDEN, '') : text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: every character XML_FORBIDDEN may remove.
const MAYBE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
