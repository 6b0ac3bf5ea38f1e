import { type ParsedMail, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildMime, MimeHeaderError, type OutgoingMessage } from '../../functions/core/build-mime.ts';

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
    // Prepare
    const message = makeMessage({
      replyTo: 'organisers@recaps.test',
      headers: { 'X-Herald-Post': '2026-03-14-pi-day-meetup', 'X-Herald-Test': 'true' },
    });

    // Act
    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    // Assert
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
    // Prepare
    const url = `https://recaps.test/api/unsubscribe?token=${'t'.repeat(120)}`;
    const message = makeMessage({ listUnsubscribe: { url, mailto: 'unsubscribe@recaps.test' } });

    // Act
    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    // Assert
    const header = headerLine(parsed, 'list-unsubscribe');
    expect(header).toBe(`List-Unsubscribe: <${url}>, <mailto:unsubscribe@recaps.test?subject=unsubscribe>`);
    expect(headerLine(parsed, 'list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
  });

  it('keeps a mailto given as a URL as it is', async () => {
    // Prepare
    const message = makeMessage({
      listUnsubscribe: { url: 'https://recaps.test/u', mailto: 'mailto:u@recaps.test?subject=stop' },
    });

    // Act
    const parsed = await simpleParser(await buildMime(message));

    // Assert
    const header = headerLine(parsed, 'list-unsubscribe');
    expect(header).toBe('List-Unsubscribe: <https://recaps.test/u>, <mailto:u@recaps.test?subject=stop>');
  });

  it('encodes non-ASCII subjects, names and bodies as UTF-8', async () => {
    // Prepare
    const message = makeMessage({
      from: { name: 'Treffen Köln', address: 'news@recaps.test' },
      subject: 'Grüße aus Lisboa — 東京 🎉',
      text: 'Olá, café ☕',
      html: '<p>Olá, café ☕</p>',
    });

    // Act
    const raw = await buildMime(message);
    const parsed = await simpleParser(raw);

    // Assert
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
    // Prepare
    const message = makeMessage(overrides);

    // Act
    const result = buildMime(message);

    // Assert
    await expect(result).rejects.toBeInstanceOf(MimeHeaderError);
    await expect(result).rejects.toMatchObject({ name: 'MimeHeaderError', field });
  });
});
