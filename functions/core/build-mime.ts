/**
 * Builds the raw MIME message handed to SES `SendRawEmail`. Pure apart from the random MIME
 * boundaries; date and Message-ID come in as arguments.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

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
    const targets = [`<${list.url}>`];
    if (list.mailto) targets.push(`<${mailtoUrl(list.mailto)}>`);
    headers['List-Unsubscribe'] = targets.join(', ');
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

function mailtoUrl(mailto: string): string {
  return /^mailto:/i.test(mailto) ? mailto : `mailto:${mailto}?subject=unsubscribe`;
}

function checkMessage(message: OutgoingMessage): void {
  noLineBreaks('from.name', message.from.name);
  address('from.address', message.from.address);
  address('to', message.to);
  if (message.replyTo !== undefined) address('replyTo', message.replyTo);
  noLineBreaks('subject', message.subject);
  noLineBreaks('messageId', message.messageId);
  if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(message.messageId)) {
    throw new MimeHeaderError(
      'messageId',
      `must look like <id@host>, got ${JSON.stringify(message.messageId)}`,
    );
  }
  if (Number.isNaN(message.date.getTime())) throw new MimeHeaderError('date', 'is not a valid date');
  const list = message.listUnsubscribe;
  if (list) {
    listTarget('listUnsubscribe.url', list.url);
    if (!/^https?:\/\//i.test(list.url)) {
      throw new MimeHeaderError(
        'listUnsubscribe.url',
        `must be an http(s) URL, got ${JSON.stringify(list.url)}`,
      );
    }
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
