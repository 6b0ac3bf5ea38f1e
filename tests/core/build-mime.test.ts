import { type ParsedMail, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  buildMime,
  compileMimeTemplate,
  type MessageTemplate,
  MimeHeaderError,
  type OutgoingMessage,
  type RecipientParts,
} from '../../functions/core/build-mime.ts';

function makeMessage(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { name: 'Test Meetups', address: 'news@recaps.test' },
    to: 'ada@example.com',
    subject: 'Pi Day Meetup',
    html: '<p>Hello <strong>Ada</strong></p>',
    text: 'Hello Ada',
    messageId: '<campaign.pi-day.1@recaps.test>',
    date: new Date('2026-03-14T12:00:00Z'),
    ...overrides,
  };
}

/** A raw header line, unfolded: mailparser turns List-* headers into objects, which hides their text. */
function headerLine(parsed: ParsedMail, key: string): string | undefined {
  return parsed.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n[ \t]+/g, ' ');
}

describe('buildMime', () => {
  it('writes a multipart/alternative message with text first, then HTML, and the given headers', async () => {
    const message = makeMessage({
      replyTo: 'organisers@recaps.test',
      headers: { 'X-Herald-Post': '2026-03-14-pi-day-meetup', 'X-Herald-Test': 'true' },
    });

    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    const source = raw.toString('utf8');
    expect(parsed.from?.value).toEqual([{ name: 'Test Meetups', address: 'news@recaps.test' }]);
    expect(parsed.replyTo?.value[0]?.address).toBe('organisers@recaps.test');
    expect(parsed.subject).toBe('Pi Day Meetup');
    expect(parsed.messageId).toBe('<campaign.pi-day.1@recaps.test>');
    expect(parsed.date?.toISOString()).toBe('2026-03-14T12:00:00.000Z');
    expect(parsed.headers.get('x-herald-post')).toBe('2026-03-14-pi-day-meetup');
    expect(parsed.headers.get('x-herald-test')).toBe('true');
    expect(parsed.headers.has('list-unsubscribe')).toBe(false);
    expect(parsed.text?.trim()).toBe('Hello Ada');
    expect(parsed.html).toBe('<p>Hello <strong>Ada</strong></p>');
    expect(source).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(source.indexOf('Content-Type: text/plain; charset=utf-8')).toBeGreaterThan(0);
    expect(source.indexOf('Content-Type: text/plain')).toBeLessThan(
      source.indexOf('Content-Type: text/html'),
    );
    expect(source).toContain('Content-Type: text/html; charset=utf-8');
  });

  it('adds List-Unsubscribe with https and mailto targets plus RFC 8058 one-click', async () => {
    const url = `https://recaps.test/api/unsubscribe?token=${'t'.repeat(120)}`;
    const message = makeMessage({ listUnsubscribe: { url, mailto: 'unsubscribe@recaps.test' } });

    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    const header = headerLine(parsed, 'list-unsubscribe');
    expect(header).toBe(`List-Unsubscribe: <${url}>, <mailto:unsubscribe@recaps.test?subject=unsubscribe>`);
    expect(headerLine(parsed, 'list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
  });

  it('keeps a mailto given as a URL as it is', async () => {
    const message = makeMessage({
      listUnsubscribe: { url: 'https://recaps.test/u', mailto: 'mailto:u@recaps.test?subject=stop' },
    });

    const parsed = await simpleParser(await buildMime(message));

    const header = headerLine(parsed, 'list-unsubscribe');
    expect(header).toBe('List-Unsubscribe: <https://recaps.test/u>, <mailto:u@recaps.test?subject=stop>');
  });

  it('encodes non-ASCII subjects, names and bodies as UTF-8', async () => {
    const message = makeMessage({
      from: { name: 'Treffen Köln', address: 'news@recaps.test' },
      subject: 'Grüße aus Lisboa — 東京 🎉',
      text: 'Olá, café ☕',
      html: '<p>Olá, café ☕</p>',
    });

    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    expect([...raw].every((byte) => byte < 0x80)).toBe(true);
    expect(parsed.subject).toBe('Grüße aus Lisboa — 東京 🎉');
    expect(parsed.from?.value[0]?.name).toBe('Treffen Köln');
    expect(parsed.text?.trim()).toBe('Olá, café ☕');
    expect(parsed.html).toBe('<p>Olá, café ☕</p>');
  });

  it.each([
    ['subject', { subject: 'Hi\r\nBcc: victim@example.com' }],
    ['to', { to: 'ada@example.com\nBcc: victim@example.com' }],
    ['to', { to: 'ada@example.com, victim@example.com' }],
    ['from.name', { from: { name: 'News\r\nX-Evil: 1', address: 'news@recaps.test' } }],
    ['from.address', { from: { name: 'News', address: 'news@recaps.test\r\n' } }],
    ['replyTo', { replyTo: 'a@recaps.test\nX: y' }],
    ['messageId', { messageId: '<a@b>\r\nX: y' }],
    ['headers.X-Herald-Post', { headers: { 'X-Herald-Post': 'a\r\nBcc: victim@example.com' } }],
    ['headers.X-Bad:Name', { headers: { 'X-Bad:Name': 'v' } }],
    ['headers.Bcc', { headers: { Bcc: 'victim@example.com' } }],
    ['listUnsubscribe.url', { listUnsubscribe: { url: 'https://recaps.test/u\r\nBcc: v@example.com' } }],
    ['listUnsubscribe.url', { listUnsubscribe: { url: 'https://recaps.test/u>, <https://evil.test' } }],
    ['listUnsubscribe.url', { listUnsubscribe: { url: 'javascript:alert(1)' } }],
    ['listUnsubscribe.mailto', { listUnsubscribe: { url: 'https://recaps.test/u', mailto: 'a@b\nX: y' } }],
  ] as [string, Partial<OutgoingMessage>][])('rejects an unsafe %s', async (field, overrides) => {
    const message = makeMessage(overrides);

    const result = buildMime(message);

    await expect(result).rejects.toBeInstanceOf(MimeHeaderError);
    await expect(result).rejects.toMatchObject({ name: 'MimeHeaderError', field });
  });
});

describe('compileMimeTemplate', () => {
  const longUrl = `https://recaps.test/api/unsubscribe?token=k1.${'dGVzdC10b2tlbi'.repeat(12)}.sig_-`;

  function makeTemplate(overrides: Partial<MessageTemplate> = {}): MessageTemplate {
    return {
      from: { name: 'Tëst Meetups — Berlin', address: 'news@recaps.test' },
      replyTo: 'organisers@recaps.test',
      subject: 'Pi Day: Modelle, Quantisierung & Größen 🚀',
      html: '<p>%%HERALD_GREETING%%</p><p>Grüße</p><a href="%%HERALD_UNSUBSCRIBE_URL%%">x</a>',
      text: '%%HERALD_GREETING%%\n\nGrüße\nUnsubscribe: %%HERALD_UNSUBSCRIBE_URL%%\n',
      listUnsubscribeMailto: 'unsubscribe@recaps.test',
      headers: { 'X-Herald-Post': '2026-03-14-pi-day' },
      ...overrides,
    };
  }

  /** The same recipient through the compiled template and through a full MailComposer run. */
  async function bothWays(template: MessageTemplate, parts: RecipientParts) {
    const fill = await compileMimeTemplate(template);
    const fast = await fill(parts);
    const reference = await buildMime({
      from: template.from,
      to: parts.to,
      ...(template.replyTo ? { replyTo: template.replyTo } : {}),
      subject: template.subject,
      html: parts.html,
      text: parts.text,
      messageId: parts.messageId,
      date: parts.date,
      listUnsubscribe: {
        url: parts.listUnsubscribeUrl,
        ...(template.listUnsubscribeMailto ? { mailto: template.listUnsubscribeMailto } : {}),
      },
      ...(template.headers ? { headers: template.headers } : {}),
    });
    return { fast, parsedFast: await simpleParser(fast), parsedReference: await simpleParser(reference) };
  }

  function comparable(parsed: ParsedMail) {
    return {
      from: parsed.from?.value,
      to: Array.isArray(parsed.to) ? undefined : parsed.to?.value,
      replyTo: parsed.replyTo?.value,
      subject: parsed.subject,
      messageId: parsed.messageId,
      date: parsed.date?.toISOString(),
      post: parsed.headers.get('x-herald-post'),
      listUnsubscribe: headerLine(parsed, 'list-unsubscribe'),
      listUnsubscribePost: headerLine(parsed, 'list-unsubscribe-post'),
      text: parsed.text,
      html: parsed.html,
    };
  }

  it('fills a recipient into a message mailparser reads exactly like the MailComposer one (long URLs, non-ASCII)', async () => {
    // The body carries the long URL on one line so quoted-printable must soft-break it.
    const html = `<p>Hi Zoë Ångström,</p>${'<p>Grüße aus Berlin — wir sprachen über Quantisierung.</p>'.repeat(30)}<a href="${longUrl}">Abmelden</a>`;
    const text = `Hi Zoë Ångström,\n\n${'Grüße aus Berlin — wir sprachen über Quantisierung. '.repeat(10)}\nAbmelden: ${longUrl}\n`;
    const parts: RecipientParts = {
      to: 'Zoe.Angstrom@Example.org',
      messageId: '<2026-03-14-pi-day.sub_123@recaps.test>',
      date: new Date('2026-03-14T12:00:00Z'),
      html,
      text,
      listUnsubscribeUrl: longUrl,
    };

    const { fast, parsedFast, parsedReference } = await bothWays(makeTemplate(), parts);

    expect(comparable(parsedFast)).toEqual(comparable(parsedReference));
    expect(parsedFast.text).toBe(text);
    expect(parsedFast.html).toBe(html);
    expect(headerLine(parsedFast, 'list-unsubscribe')).toBe(
      `List-Unsubscribe: <${longUrl}>, <mailto:unsubscribe@recaps.test?subject=unsubscribe>`,
    );
    expect(headerLine(parsedFast, 'list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    const source = fast.toString('utf8');
    // Every line within the RFC 5322 limit, soft breaks included.
    expect(Math.max(...source.split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(998);
    expect(source).toContain('Content-Transfer-Encoding: quoted-printable');
  });

  it('uses base64 for mostly non-Latin text, as MailComposer would, and still reads back the same', async () => {
    const html = `<p>こんにちは、皆さん。</p>${'<p>円周率の日のミートアップでは、モデルの量子化について話しました。</p>'.repeat(20)}<a href="${longUrl}">配信停止</a>`;
    const text = `${'円周率の日のミートアップでは、モデルの量子化について話しました。\n'.repeat(20)}配信停止: ${longUrl}\n`;
    const template = makeTemplate({ html, text, subject: '円周率の日' });
    const parts: RecipientParts = {
      to: 'hanako@example.jp',
      messageId: '<pi.sub_9@recaps.test>',
      date: new Date('2026-03-14T12:00:00Z'),
      html,
      text,
      listUnsubscribeUrl: longUrl,
    };

    const { fast, parsedFast, parsedReference } = await bothWays(template, parts);

    expect(comparable(parsedFast)).toEqual(comparable(parsedReference));
    expect(fast.toString('utf8')).toContain('Content-Transfer-Encoding: base64');
  });

  it('keeps plain 7-bit templates working when a recipient value is not ASCII', async () => {
    // An ASCII template (MailComposer would pick 7bit) and a non-ASCII greeting per recipient.
    const template = makeTemplate({
      html: '<p>%%HERALD_GREETING%%</p>',
      text: '%%HERALD_GREETING%%\n',
      subject: 'Pi',
    });
    const parts: RecipientParts = {
      to: 'zoe@example.org',
      messageId: '<pi.z@recaps.test>',
      date: new Date('2026-03-14T12:00:00Z'),
      html: '<p>Hi Zoë,</p>',
      text: 'Hi Zoë,\n',
      listUnsubscribeUrl: 'https://recaps.test/api/unsubscribe?token=k1.a.b',
    };

    const { parsedFast, parsedReference } = await bothWays(template, parts);

    expect(comparable(parsedFast)).toEqual(comparable(parsedReference));
    expect(parsedFast.text).toBe('Hi Zoë,\n');
  });

  it('falls back to a full MailComposer run when a body contains the campaign boundary', async () => {
    // Learn the boundary from one message, then put it into the next recipient's body.
    const fill = await compileMimeTemplate(makeTemplate());
    const parts: RecipientParts = {
      to: 'ada@example.com',
      messageId: '<pi.a@recaps.test>',
      date: new Date('2026-03-14T12:00:00Z'),
      html: '<p>Hi</p>',
      text: 'Hi\n',
      listUnsubscribeUrl: 'https://recaps.test/api/unsubscribe?token=k1.a.b',
    };
    const boundary = /boundary="([^"]+)"/.exec((await fill(parts)).toString('utf8'))?.[1] as string;
    const hostile = `Hi\n--${boundary}\nContent-Type: text/html\n\n<script>x</script>\n`;

    const raw = await fill({ ...parts, text: hostile });
    const parsed = await simpleParser(raw);

    expect(raw.toString('utf8')).not.toContain(`boundary="${boundary}"`);
    expect(parsed.text).toBe(hostile);
    expect(parsed.html).toBe('<p>Hi</p>');
  });

  it('applies the header-injection checks to every recipient value', async () => {
    const fill = await compileMimeTemplate(makeTemplate());
    const parts: RecipientParts = {
      to: 'ada@example.com',
      messageId: '<pi.a@recaps.test>',
      date: new Date('2026-03-14T12:00:00Z'),
      html: '<p>Hi</p>',
      text: 'Hi\n',
      listUnsubscribeUrl: 'https://recaps.test/api/unsubscribe?token=k1.a.b',
    };

    await expect(fill({ ...parts, to: 'ada@example.com\r\nBcc: eve@example.com' })).rejects.toThrow(
      MimeHeaderError,
    );
    await expect(fill({ ...parts, to: 'Ada <ada@example.com>' })).rejects.toThrow(MimeHeaderError);
    await expect(fill({ ...parts, messageId: '<a@b>\r\nX-Evil: 1' })).rejects.toThrow(MimeHeaderError);
    await expect(
      fill({ ...parts, listUnsubscribeUrl: 'https://x.test/a>, <https://evil.test' }),
    ).rejects.toThrow(MimeHeaderError);
    await expect(fill({ ...parts, listUnsubscribeUrl: 'javascript:alert(1)' })).rejects.toThrow(
      MimeHeaderError,
    );
    await expect(
      compileMimeTemplate(makeTemplate({ subject: 'Hi\r\nBcc: eve@example.com' })),
    ).rejects.toThrow(MimeHeaderError);
    await expect(
      compileMimeTemplate(makeTemplate({ headers: { 'List-Unsubscribe': '<x>' } })),
    ).rejects.toThrow(MimeHeaderError);
  });
});
