/**
 * Text from content (titles, keys, file names, tags, error messages quoting them) made safe to
 * print on the operator's terminal: C0 and C1 control characters and DEL are removed, so an ESC
 * sequence in a post title cannot recolour, move the cursor, retitle the window or hide lines.
 * Tabs and line breaks become one space, keeping each printed record on its line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing controls is the point.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const BREAKS = /[\t\n\r]+/g;

/** `text` without control characters; tabs and line breaks as single spaces. */
export function printable(text: string): string {
  return text.replace(BREAKS, ' ').replace(CONTROLS, '');
}

/** {@link printable} for multi-line output: line feeds stay, every other control goes. */
export function printableLines(text: string): string {
  return text.split(/\r?\n/).map(printable).join('\n');
}
