/**
 * Per-recipient filling of an email rendered once per post. Pure and fast: the email is split on
 * its placeholders once, then each recipient costs one join.
 */
import { escapeHtml } from './escape-html.ts';

/**
 * Placeholder tokens left in the compiled email and filled per recipient at send time.
 * Upper-case ASCII between `%%`: MJML and juice pass them through, html-to-text's upper-casing of
 * headings leaves them as they are, and HTML escaping has nothing to escape in them.
 */
export const PLACEHOLDERS = {
  unsubscribeUrl: '%%HERALD_UNSUBSCRIBE_URL%%',
  manageUrl: '%%HERALD_MANAGE_URL%%',
  viewUrl: '%%HERALD_VIEW_URL%%',
  greeting: '%%HERALD_GREETING%%',
  email: '%%HERALD_EMAIL%%',
} as const satisfies {
  readonly unsubscribeUrl: string;
  readonly manageUrl: string;
  readonly viewUrl: string;
  readonly greeting: string;
  readonly email: string;
};

/** An email rendered once per post, placeholders still in it. */
export interface RenderedEmail {
  postId: string;
  subject: string;
  preheader: string;
  /** Complete HTML document with {@link PLACEHOLDERS} tokens. */
  html: string;
  /** Plain-text part with {@link PLACEHOLDERS} tokens. */
  text: string;
  /** True when the post was too big and only its start was rendered. */
  excerpted: boolean;
  /** UTF-8 size of `html`, placeholders unfilled. */
  htmlBytes: number;
  /** Absolute URL of the post (the "view in browser" page). Optional so hand-built values stay valid. */
  postUrl?: string;
}

/** One subscriber, as the send step knows them. */
export interface Recipient {
  email: string;
  name?: string;
  unsubscribeUrl: string;
  /** The preference page ("Manage your subscription"); defaults to `unsubscribeUrl`. */
  manageUrl?: string;
  viewUrl: string;
}

/** The email one recipient receives. */
export interface PersonalEmail {
  subject: string;
  html: string;
  text: string;
}

/** Thrown when a recipient's values cannot safely go into an email. */
export class PersonalizeError extends Error {
  override name = 'PersonalizeError';
}

type PlaceholderKey = keyof typeof PLACEHOLDERS;

/** A template split into literal text (strings) and the placeholder keys between them. */
type Segments = (string | PlaceholderKey)[];

const KEY_BY_TOKEN = new Map<string, PlaceholderKey>(
  (Object.entries(PLACEHOLDERS) as [PlaceholderKey, string][]).map(([key, token]) => [token, key]),
);

const TOKEN_PATTERN = new RegExp(
  Object.values(PLACEHOLDERS)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'g',
);

/**
 * Compiles once (splits on placeholders), returns a fast per-recipient filler. Values are
 * HTML-escaped in the HTML part and inserted raw in the text part; the subject is not personalised.
 */
export function compilePersonalizer(email: RenderedEmail): (recipient: Recipient) => PersonalEmail {
  const html = split(email.html);
  const text = split(email.text);
  return (recipient) => {
    const values = valuesFor(recipient);
    const escaped: Record<PlaceholderKey, string> = {
      unsubscribeUrl: escapeHtml(values.unsubscribeUrl),
      manageUrl: escapeHtml(values.manageUrl),
      viewUrl: escapeHtml(values.viewUrl),
      greeting: escapeHtml(values.greeting),
      email: escapeHtml(values.email),
    };
    return { subject: email.subject, html: fill(html, escaped), text: fill(text, values) };
  };
}

function split(source: string): Segments {
  const segments: Segments = [];
  let last = 0;
  for (const match of source.matchAll(TOKEN_PATTERN)) {
    const key = KEY_BY_TOKEN.get(match[0]);
    if (key === undefined) continue;
    segments.push(source.slice(last, match.index), key);
    last = match.index + match[0].length;
  }
  segments.push(source.slice(last));
  return segments;
}

function fill(segments: Segments, values: Record<PlaceholderKey, string>): string {
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    // Even positions are literal text, odd positions are placeholder keys.
    out += i % 2 === 0 ? segment : values[segment as PlaceholderKey];
  }
  return out;
}

function valuesFor(recipient: Recipient): Record<PlaceholderKey, string> {
  const manageUrl = recipient.manageUrl ?? recipient.unsubscribeUrl;
  for (const [field, value] of [
    ['unsubscribeUrl', recipient.unsubscribeUrl],
    ['manageUrl', manageUrl],
    ['viewUrl', recipient.viewUrl],
  ] as const) {
    if (!/^https?:\/\/[^\s<>"]+$/i.test(value)) {
      throw new PersonalizeError(`recipient ${field} must be an http(s) URL, got ${JSON.stringify(value)}`);
    }
  }
  if (/[\r\n]/.test(recipient.email)) {
    throw new PersonalizeError(`recipient email contains a line break: ${JSON.stringify(recipient.email)}`);
  }
  const name = recipient.name?.replace(/\s+/g, ' ').trim();
  return {
    unsubscribeUrl: recipient.unsubscribeUrl,
    manageUrl,
    viewUrl: recipient.viewUrl,
    greeting: name ? `Hi ${name},` : 'Hi there,',
    email: recipient.email,
  };
}
