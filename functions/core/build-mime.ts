/**
 * Builds the raw MIME message handed to SES `SendRawEmail`. Pure apart from the random MIME
 * boundaries; date and Message-ID come in as arguments.
 *
 * Two ways to the same bytes: {@link buildMime} runs nodemailer's MailComposer for one message
 * (previews, tests, the odd recipient the fast path cannot take), and {@link compileMimeTemplate}
 * runs MailComposer ONCE per campaign and fills each recipient into that skeleton with nodemailer's
 * own encoders (header encoding and folding from `mime-node`/`mime-funcs`, bodies from `qp`/`base64`).
 * A whole MailComposer run costs ~0.5 ms per message; the fill costs a few tens of µs.
 */
import { encode as base64Encode, wrap as base64Wrap } from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import { foldLines, hasLongerLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/** One email to one recipient, ready to be serialised. */
export interface OutgoingMessage {
  from: { name: string; address: string };
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  /** Full Message-ID including angle brackets, e.g. `<campaign.123@recaps.example.org>`. */
  messageId: string;
  date: Date;
  /**
   * `url` (https) becomes the RFC 8058 one-click target; `mailto` is an address or a `mailto:` URL.
   * → `List-Unsubscribe: <url>, <mailto:...>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
   */
  listUnsubscribe?: { url: string; mailto?: string };
  /** Extra headers, e.g. `X-Herald-Post`, `X-Herald-Test`. */
  headers?: Record<string, string>;
}

/** Thrown when a header name, value or address could smuggle in extra headers or is malformed. */
export class MimeHeaderError extends Error {
  override name = 'MimeHeaderError';
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/** Headers MailComposer writes itself; setting them again through `headers` would duplicate them. */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-unsubscribe',
  'list-unsubscribe-post',
]);

/**
 * Serialises a message as `multipart/alternative` (text first, then HTML, both UTF-8) with
 * nodemailer's MailComposer. Rejects CR/LF in every header value and address.
 */
export async function buildMime(message: OutgoingMessage): Promise<Buffer> {
  checkMessage(message);
  const headers: Record<string, string> = { ...message.headers };
  const list = message.listUnsubscribe;
  if (list) {
    headers['List-Unsubscribe'] = listUnsubscribeValue(list.url, list.mailto);
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const composer = new MailComposer({
    from: { name: message.from.name, address: message.from.address },
    to: message.to,
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    date: message.date,
    headers,
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, buffer) => {
      if (error)
        reject(new MimeHeaderError('message', `could not build MIME: ${error.message}`, { cause: error }));
      else resolve(buffer);
    });
  });
}

function listUnsubscribeValue(url: string, mailto: string | undefined): string {
  return mailto ? `<${url}>, <${mailtoUrl(mailto)}>` : `<${url}>`;
}

/** The parts of a newsletter that are the same for every recipient of a campaign. */
export interface MessageTemplate {
  from: { name: string; address: string };
  replyTo?: string;
  subject: string;
  /**
   * The bodies as rendered once, placeholders unfilled. Only used to choose each part's transfer
   * encoding (as MailComposer would for that content); the filled bodies come per recipient.
   */
  html: string;
  text: string;
  /** `mailto` target of `List-Unsubscribe` (an address or a `mailto:` URL); the https one is per recipient. */
  listUnsubscribeMailto?: string;
  /** Extra headers, e.g. `X-Herald-Post`. */
  headers?: Record<string, string>;
}

/** What differs per recipient. `listUnsubscribeUrl` is required: RFC 8058 headers go on every message. */
export interface RecipientParts {
  to: string;
  messageId: string;
  date: Date;
  html: string;
  text: string;
  listUnsubscribeUrl: string;
}

/** Fills one recipient into a compiled template; see {@link compileMimeTemplate}. */
export type MimeTemplate = (parts: RecipientParts) => Promise<Buffer>;

/** `MimeNode#encodeHeaderValue` is public in nodemailer but missing from @types/nodemailer. */
interface HeaderEncoder {
  encodeHeaderValue(key: string, value: string | Date): string;
}

type Slot = 'to' | 'messageId' | 'date' | 'listUnsubscribe' | 'text' | 'html';

/**
 * Compiles the campaign's message once: MailComposer builds the full MIME tree with sentinel values
 * for everything per-recipient, and the output is split around them. Filling a recipient then
 * renders exactly what MailComposer would have written in those places:
 *
 * - header lines (`To`, `Message-ID`, `Date`, `List-Unsubscribe`) through nodemailer's own
 *   `encodeHeaderValue` and `foldLines(…, 76)`, as `MimeNode#buildHeaders` does;
 * - each body encoded whole, per recipient, with nodemailer's `qp`/`base64` encoders and wrapped at
 *   76. Encoding the filled body (never splicing values into an encoded body) is what keeps
 *   quoted-printable soft line breaks from splitting a URL or a placeholder.
 *
 * Both parts carry an explicit `Content-Transfer-Encoding`: quoted-printable, or base64 where
 * MailComposer would pick it for the template (mostly non-Latin text). A template that is plain
 * 7-bit still gets quoted-printable, since a recipient's name may not be.
 *
 * Every recipient value passes the same header-injection checks as {@link buildMime}. A recipient
 * whose body contains the campaign's MIME boundary (it is random, so only by malice) gets a fresh
 * MailComposer run with its own boundary instead.
 */
export async function compileMimeTemplate(template: MessageTemplate): Promise<MimeTemplate> {
  const nonce = Math.random().toString(36).slice(2, 10).toUpperCase();
  const sentinel = (slot: Slot) => `HERALD${slot.toUpperCase()}${nonce}`;
  const encodings = {
    text: transferEncodingFor(template.text),
    html: transferEncodingFor(template.html),
  };
  const skeletonMessage: OutgoingMessage = {
    from: template.from,
    to: `${sentinel('to').toLowerCase()}@herald.invalid`,
    ...(template.replyTo !== undefined ? { replyTo: template.replyTo } : {}),
    subject: template.subject,
    html: '',
    text: '',
    messageId: `<${sentinel('messageId')}@herald.invalid>`,
    date: new Date(0),
    listUnsubscribe: {
      url: 'https://herald.invalid/',
      ...(template.listUnsubscribeMailto !== undefined ? { mailto: template.listUnsubscribeMailto } : {}),
    },
    ...(template.headers ? { headers: template.headers } : {}),
  };
  // The static fields get exactly buildMime's checks, once.
  checkMessage(skeletonMessage);
  const headers: Record<string, string> = {
    ...template.headers,
    'List-Unsubscribe': sentinel('listUnsubscribe'),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
  const part = (slot: 'text' | 'html', contentType: string) => ({
    content: sentinel(slot),
    contentType,
    contentTransferEncoding: encodings[slot],
  });
  const skeleton = await new Promise<string>((resolve, reject) => {
    new MailComposer({
      from: { name: template.from.name, address: template.from.address },
      to: skeletonMessage.to,
      ...(template.replyTo ? { replyTo: template.replyTo } : {}),
      subject: template.subject,
      // MailComposer takes part objects with their own content type and encoding; its typings only
      // know strings.
      text: part('text', 'text/plain; charset=utf-8') as unknown as string,
      html: part('html', 'text/html; charset=utf-8') as unknown as string,
      messageId: skeletonMessage.messageId,
      date: sentinel('date') as unknown as Date,
      headers,
    })
      .compile()
      .build((error, buffer) => {
        if (error)
          reject(new MimeHeaderError('message', `could not build MIME: ${error.message}`, { cause: error }));
        else resolve(buffer.toString('utf8'));
      });
  });
  return fromSkeleton(skeleton);

  function fromSkeleton(source: string): MimeTemplate {
    const boundary = /boundary="([^"]+)"/.exec(source)?.[1];
    if (!boundary) throw new MimeHeaderError('message', 'no multipart boundary in the compiled message');
    // Literal pieces between the slots, in order of appearance.
    const markers: { slot: Slot; at: number; end: number }[] = [];
    const headerLine = (slot: Slot, value: string) => {
      const at = source.indexOf(value);
      if (at < 0) throw new MimeHeaderError(slot, 'sentinel missing from the compiled message');
      const lineStart = source.lastIndexOf('\r\n', at) + 2;
      markers.push({ slot, at: lineStart, end: at + value.length });
    };
    headerLine('to', skeletonMessage.to);
    headerLine('messageId', skeletonMessage.messageId);
    headerLine('date', sentinel('date'));
    headerLine('listUnsubscribe', sentinel('listUnsubscribe'));
    for (const slot of ['text', 'html'] as const) {
      const value = encodings[slot] === 'base64' ? base64Encode(sentinel(slot)) : sentinel(slot);
      const at = source.indexOf(value);
      if (at < 0) throw new MimeHeaderError(slot, 'body sentinel missing from the compiled message');
      markers.push({ slot, at, end: at + value.length });
    }
    markers.sort((a, b) => a.at - b.at);
    const literals: string[] = [];
    let last = 0;
    for (const marker of markers) {
      literals.push(source.slice(last, marker.at));
      last = marker.end;
    }
    literals.push(source.slice(last));
    const slots = markers.map((m) => m.slot);
    const encoder = new MimeNode() as unknown as HeaderEncoder;
    const header = (key: string, value: string | Date) =>
      foldLines(`${key}: ${encoder.encodeHeaderValue(key, value)}`, 76);

    return async (parts) => {
      checkRecipient(parts);
      if (parts.html.includes(boundary) || parts.text.includes(boundary)) {
        return buildMime({
          ...skeletonMessage,
          to: parts.to,
          html: parts.html,
          text: parts.text,
          messageId: parts.messageId,
          date: parts.date,
          listUnsubscribe: { ...skeletonMessage.listUnsubscribe, url: parts.listUnsubscribeUrl },
        });
      }
      const values: Record<Slot, string> = {
        to: header('To', parts.to),
        messageId: header('Message-ID', parts.messageId),
        date: header('Date', parts.date),
        listUnsubscribe: header(
          'List-Unsubscribe',
          listUnsubscribeValue(parts.listUnsubscribeUrl, template.listUnsubscribeMailto),
        ),
        text: encodeBody(parts.text, encodings.text),
        html: encodeBody(parts.html, encodings.html),
      };
      let out = literals[0] as string;
      for (let i = 0; i < slots.length; i++) out += values[slots[i] as Slot] + (literals[i + 1] as string);
      return Buffer.from(out, 'utf8');
    };
  }
}

/** The transfer encoding MailComposer would choose for this text, except that 7bit becomes QP. */
function transferEncodingFor(content: string): 'quoted-printable' | 'base64' {
  if (isPlainText(content) && !hasLongerLines(content, 76)) return 'quoted-printable';
  // MimeNode#_getTextEncoding: more Latin letters than 8-bit and control characters → Q, else B.
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < content.length; i++) {
    const code = content.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80)
      nonLatin++;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
  }
  return nonLatin < latin ? 'quoted-printable' : 'base64';
}

function encodeBody(content: string, encoding: 'quoted-printable' | 'base64'): string {
  const bytes = Buffer.from(content, 'utf8');
  return encoding === 'base64' ? base64Wrap(base64Encode(bytes), 76) : qpWrap(qpEncode(bytes), 76);
}

function checkRecipient(parts: RecipientParts): void {
  address('to', parts.to);
  messageId(parts.messageId);
  if (Number.isNaN(parts.date.getTime())) throw new MimeHeaderError('date', 'is not a valid date');
  unsubscribeUrlCheck(parts.listUnsubscribeUrl);
}

function mailtoUrl(mailto: string): string {
  return /^mailto:/i.test(mailto) ? mailto : `mailto:${mailto}?subject=unsubscribe`;
}

function checkMessage(message: OutgoingMessage): void {
  noLineBreaks('from.name', message.from.name);
  address('from.address', message.from.address);
  address('to', message.to);
  if (message.replyTo !== undefined) address('replyTo', message.replyTo);
  noLineBreaks('subject', message.subject);
  messageId(message.messageId);
  if (Number.isNaN(message.date.getTime())) throw new MimeHeaderError('date', 'is not a valid date');
  const list = message.listUnsubscribe;
  if (list) {
    unsubscribeUrlCheck(list.url);
    if (list.mailto !== undefined) listTarget('listUnsubscribe.mailto', list.mailto);
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    // RFC 5322 field names: printable ASCII except the colon.
    if (!/^[!-9;-~]+$/.test(name)) {
      throw new MimeHeaderError(`headers.${name}`, `invalid header name ${JSON.stringify(name)}`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new MimeHeaderError(`headers.${name}`, 'is set from the message fields, not from headers');
    }
    noLineBreaks(`headers.${name}`, value);
  }
}

function messageId(value: string): void {
  noLineBreaks('messageId', value);
  if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(value)) {
    throw new MimeHeaderError('messageId', `must look like <id@host>, got ${JSON.stringify(value)}`);
  }
}

function unsubscribeUrlCheck(url: string): void {
  listTarget('listUnsubscribe.url', url);
  if (!/^https?:\/\//i.test(url)) {
    throw new MimeHeaderError('listUnsubscribe.url', `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
}

function noLineBreaks(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new MimeHeaderError(field, `contains a line break or NUL: ${JSON.stringify(value)}`);
  }
}

function address(field: string, value: string): void {
  noLineBreaks(field, value);
  // A bare address only: display names and lists here would let input add recipients.
  if (!/^[^\s<>(),;:"@]+@[^\s<>(),;:"@]+$/.test(value)) {
    throw new MimeHeaderError(field, `not a plain email address: ${JSON.stringify(value)}`);
  }
}

function listTarget(field: string, value: string): void {
  noLineBreaks(field, value);
  if (/[\s<>,]/.test(value)) {
    throw new MimeHeaderError(field, `must not contain spaces, <, > or commas: ${JSON.stringify(value)}`);
  }
}
