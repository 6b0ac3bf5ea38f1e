import { convert } from 'html-to-text';
import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';
import {
  compilePersonalizer,
  PersonalizeError,
  PLACEHOLDERS,
  type Recipient,
  type RenderedEmail,
} from '../../functions/core/personalize.ts';

const P = PLACEHOLDERS;

function makeEmail(overrides: Partial<RenderedEmail> = {}): RenderedEmail {
  const html = [
    `<p>${P.greeting}</p>`,
    `<p><a href="${P.viewUrl}">View in browser</a></p>`,
    `<p>Sent to ${P.email}. <a href="${P.unsubscribeUrl}">Unsubscribe</a></p>`,
  ].join('\n');
  const text = `${P.greeting}\n\nView in browser [${P.viewUrl}]\n\nSent to ${P.email}. Unsubscribe [${P.unsubscribeUrl}]`;
  return {
    postId: '2026-03-14-pi-day-meetup',
    subject: 'Pi Day Meetup',
    preheader: 'We met on Pi Day.',
    html,
    text,
    excerpted: false,
    htmlBytes: Buffer.byteLength(html),
    ...overrides,
  };
}

function makeRecipient(overrides: Partial<Recipient> = {}): Recipient {
  return {
    email: 'ada@example.com',
    name: 'Ada',
    unsubscribeUrl: 'https://recaps.test/api/unsubscribe?token=abc&x=1',
    viewUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
    ...overrides,
  };
}

describe('PLACEHOLDERS', () => {
  it('are tokens that HTML escaping, Mustache and upper-casing leave untouched', () => {
    const tokens = Object.values(P);

    const escaped = tokens.map((t) => Mustache.render('{{t}}', { t }));
    const upper = tokens.map((t) => t.toUpperCase());
    const asText = tokens.map((t) => convert(`<h1>${t}</h1>`, { wordwrap: 20 }));

    expect(new Set(tokens).size).toBe(5);
    expect(escaped).toEqual(tokens);
    expect(upper).toEqual(tokens);
    expect(asText).toEqual(tokens);
  });
});

describe('compilePersonalizer', () => {
  it('fills every placeholder: HTML-escaped in the HTML part, raw in the text part', () => {
    const personalize = compilePersonalizer(makeEmail());
    const recipient = makeRecipient({ name: 'Ada <b>&</b>', email: "o'hara@example.com" });

    const out = personalize(recipient);

    expect(out.html).toContain('<p>Hi Ada &lt;b&gt;&amp;&lt;/b&gt;,</p>');
    expect(out.html).toContain('href="https://recaps.test/api/unsubscribe?token=abc&amp;x=1"');
    expect(out.html).toContain('href="https://recaps.test/2026/03/14/pi-day-meetup.html"');
    expect(out.html).toContain('Sent to o&#39;hara@example.com.');
    expect(out.text).toBe(
      "Hi Ada <b>&</b>,\n\nView in browser [https://recaps.test/2026/03/14/pi-day-meetup.html]\n\nSent to o'hara@example.com. Unsubscribe [https://recaps.test/api/unsubscribe?token=abc&x=1]",
    );
    expect(out.subject).toBe('Pi Day Meetup');
    for (const token of Object.values(P)) {
      expect(out.html).not.toContain(token);
      expect(out.text).not.toContain(token);
    }
  });

  it('greets without a name when the recipient has none', () => {
    const personalize = compilePersonalizer(makeEmail());

    const out = personalize(makeRecipient({ name: undefined }));
    const blank = personalize(makeRecipient({ name: '   ' }));

    expect(out.text.startsWith('Hi there,\n')).toBe(true);
    expect(blank.text.startsWith('Hi there,\n')).toBe(true);
  });

  it('gives each recipient their own values from one compiled email', () => {
    const personalize = compilePersonalizer(makeEmail());

    const a = personalize(
      makeRecipient({ email: 'a@example.com', unsubscribeUrl: 'https://recaps.test/u?token=a' }),
    );
    const b = personalize(
      makeRecipient({ email: 'b@example.com', unsubscribeUrl: 'https://recaps.test/u?token=b' }),
    );

    expect(a.text).toContain('Sent to a@example.com. Unsubscribe [https://recaps.test/u?token=a]');
    expect(b.text).toContain('Sent to b@example.com. Unsubscribe [https://recaps.test/u?token=b]');
    expect(a.html).not.toContain('b@example.com');
  });

  it('replaces repeated placeholders and leaves text without them as it is', () => {
    const email = makeEmail({ html: `${P.email}|${P.email}`, text: 'no tokens here' });

    const out = compilePersonalizer(email)(makeRecipient());

    expect(out.html).toBe('ada@example.com|ada@example.com');
    expect(out.text).toBe('no tokens here');
  });

  it('refuses URLs that are not http(s) and emails with line breaks', () => {
    const personalize = compilePersonalizer(makeEmail());

    const badUrl = () => personalize(makeRecipient({ unsubscribeUrl: 'javascript:alert(1)' }));
    const badView = () => personalize(makeRecipient({ viewUrl: 'https://x.test/"onmouseover="a' }));
    const badEmail = () => personalize(makeRecipient({ email: 'a@example.com\r\nBcc: b@example.com' }));

    expect(badUrl).toThrow(PersonalizeError);
    expect(badUrl).toThrow(/unsubscribeUrl/);
    expect(badView).toThrow(/viewUrl/);
    expect(badEmail).toThrow(/line break/);
  });
});
