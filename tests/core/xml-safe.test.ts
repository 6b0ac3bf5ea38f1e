import { describe, expect, it } from 'vitest';
import { stripXmlInvalid } from '../../functions/core/xml-safe.ts';

describe('stripXmlInvalid', () => {
  it('removes C0 controls but keeps tab, line feed and carriage return', () => {
    expect(stripXmlInvalid('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\th\ni\rj')).toBe('abcdefg\th\ni\rj');
  });

  it('removes U+FFFE, U+FFFF and lone surrogates but keeps surrogate pairs', () => {
    expect(stripXmlInvalid('a\uFFFEb\uFFFFc\uD800d\uDC00e😀f')).toBe('abcde😀f');
  });

  it('leaves ordinary text, markup and non-Latin scripts alone', () => {
    const text = '<p title="x">Grüße ]]> 東京 — ok</p>';

    expect(stripXmlInvalid(text)).toBe(text);
  });
});
