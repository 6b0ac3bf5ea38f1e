/**
 * Removes the raw-HTML tags that would take over the whole site page from a post body:
 * `<meta http-equiv>` (a `refresh` sends readers to another site; the CSP does not stop it) and
 * `<base>` (re-points every relative link and form on the page).
 *
 * The HTML is tokenised by parse5, the WHATWG parser browsers implement, so quoting tricks that
 * fool a regular expression cannot hide a tag; only the tags' own bytes are cut out, and the rest
 * of the author's HTML stays exactly as written. It is parsed twice, with scripting on and off,
 * because `<noscript>` content is markup only when scripting is off.
 */
import { type DefaultTreeAdapterMap, parseFragment } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];

// A cheap test first: tag names cannot be written with entities, so without this nothing can match.
const CANDIDATE = /<(?:base|meta)(?=[\s/>]|$)/i;

/** What {@link stripRedirectTags} returns: the cleaned HTML and the source of each removed tag. */
export interface StrippedHtml {
  html: string;
  removed: string[];
}

function isRedirectTag(node: Node): boolean {
  if (!('tagName' in node)) return false;
  if (node.tagName === 'base') return true;
  return node.tagName === 'meta' && node.attrs.some((a) => a.name === 'http-equiv');
}

function tagRanges(html: string, scriptingEnabled: boolean): [number, number][] {
  const ranges: [number, number][] = [];
  const pending: Node[] = [parseFragment(html, { sourceCodeLocationInfo: true, scriptingEnabled })];
  // An explicit stack: a post may nest elements thousands deep.
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (isRedirectTag(node) && 'tagName' in node) {
      const location = node.sourceCodeLocation;
      const tag = location?.startTag ?? location;
      if (tag) ranges.push([tag.startOffset, tag.endOffset]);
    }
    if ('childNodes' in node) pending.push(...node.childNodes);
    if ('content' in node) pending.push(node.content);
  }
  return ranges;
}

function stripOnce(html: string): StrippedHtml {
  const ranges = [...tagRanges(html, true), ...tagRanges(html, false)].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  const removed: string[] = [];
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    out += html.slice(at, from);
    removed.push(html.slice(from, end));
    at = end;
  }
  return { html: out + html.slice(at), removed };
}

/**
 * Cuts every `<meta http-equiv>` and `<base>` tag out of `html`, again until none is left: cutting
 * one can join its neighbours into a new tag (`<<base>meta http-equiv=refresh …>`).
 */
export function stripRedirectTags(html: string): StrippedHtml {
  const removed: string[] = [];
  let current = html;
  while (CANDIDATE.test(current)) {
    const pass = stripOnce(current);
    if (pass.removed.length === 0) break;
    removed.push(...pass.removed);
    current = pass.html;
  }
  return { html: current, removed };
}
