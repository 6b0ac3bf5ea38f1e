import { type ParsedMail, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDERS, type RenderedEmail } from '../../functions/core/personalize.ts';
import { buildPreviewMessage } from '../../functions/core/preview-message.ts';
import { makeSite } from '../helpers/fixtures.ts';

const P = PLACEHOLDERS;

function makeEmail(overrides: Partial<RenderedEmail> = {}): RenderedEmail {
  const html = `<p>${P.greeting}</p><a href="${P.viewUrl}">View</a> <a href="${P.unsubscribeUrl}">Unsubscribe</a> ${P.email}`;
  return {
    postId: '2026-03-14-pi-day-meetup',
    subject: 'Pi Day Meetup',
    preheader: 'We met.',
    html,
    text: `${P.greeting} View [${P.viewUrl}] Unsubscribe [${P.unsubscribeUrl}] ${P.email}`,
    excerpted: false,
    htmlBytes: html.length,
    postUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
    ...overrides,
  };
}

/** A raw header line, unfolded: mailparser turns List-* headers into objects, which hides their text. */
function headerLine(parsed: ParsedMail, key: string): string | undefined {
  return parsed.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n[ \t]+/g, ' ');
}

describe('buildPreviewMessage', () => {
  it('personalises for the sample reader and builds the full message', async () => {
    const site = makeSite({
      baseurl: '/blog',
      newsletter: {
        ...makeSite().newsletter,
        unsubscribeMailto: 'unsubscribe@recaps.test',
        replyTo: 'team@recaps.test',
      },
    });
    const date = new Date('2026-03-14T12:00:00Z');

    const preview = await buildPreviewMessage(makeEmail(), site, { date });
    const parsed = await simpleParser(preview.eml);

    const unsubscribe = 'https://recaps.test/blog/api/unsubscribe?token=sample-token';
    expect(preview.text).toBe(
      `Hi there, View [https://recaps.test/2026/03/14/pi-day-meetup.html] Unsubscribe [${unsubscribe}] reader@example.com`,
    );
    expect(preview.html).toContain(`<a href="${unsubscribe}">Unsubscribe</a>`);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe('reader@example.com');
    expect(parsed.from?.value).toEqual([{ name: 'Test Meetups', address: 'news@recaps.test' }]);
    expect(parsed.replyTo?.value[0]?.address).toBe('team@recaps.test');
    expect(parsed.messageId).toBe('<preview.2026-03-14-pi-day-meetup@recaps.test>');
    expect(parsed.date?.toISOString()).toBe('2026-03-14T12:00:00.000Z');
    expect(parsed.headers.get('x-herald-post')).toBe('2026-03-14-pi-day-meetup');
    const list = headerLine(parsed, 'list-unsubscribe');
    expect(list).toBe(
      `List-Unsubscribe: <${unsubscribe}>, <mailto:unsubscribe@recaps.test?subject=unsubscribe>`,
    );
    expect(headerLine(parsed, 'list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(parsed.html).toBe(preview.html);
    expect(parsed.text?.trim()).toBe(preview.text);
  });

  it('leaves out the mailto target when the site has no unsubscribe mailbox', async () => {
    const site = makeSite();

    const preview = await buildPreviewMessage(makeEmail(), site, { date: new Date('2026-03-14T12:00:00Z') });
    const parsed = await simpleParser(preview.eml);

    const list = headerLine(parsed, 'list-unsubscribe');
    expect(list).toBe('List-Unsubscribe: <https://recaps.test/api/unsubscribe?token=sample-token>');
  });
});
