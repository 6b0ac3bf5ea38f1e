import { describe, expect, it } from 'vitest';
import { addressHash, normalizeEmailAddress } from '../../functions/core/email-address.ts';

describe('normalizeEmailAddress', () => {
  it('trims and lower-cases the domain but keeps the local part', () => {
    const result = normalizeEmailAddress('  Ada.Lovelace+recaps@Example.ORG\t');

    expect(result).toEqual({ ok: true, address: 'Ada.Lovelace+recaps@example.org' });
  });

  it('converts an internationalised domain to punycode', () => {
    const result = normalizeEmailAddress('ada@bücher.example');

    expect(result).toEqual({ ok: true, address: 'ada@xn--bcher-kva.example' });
  });

  it('accepts exactly 254 characters and rejects 255', () => {
    const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.test`; // 189
    const fits = `${'a'.repeat(64)}@${domain}`; // 254
    const tooLong = `${'a'.repeat(64)}@${domain.replace('.test', 'x.test')}`; // 255

    expect(fits).toHaveLength(254);
    expect(normalizeEmailAddress(fits)).toEqual({ ok: true, address: fits });
    expect(normalizeEmailAddress(tooLong)).toEqual({ ok: false, problem: 'too-long' });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['ada@example.org\r\nBcc: eve@example.org', 'control-character'],
    ['ada@example.org\nX-Injected: 1', 'control-character'],
    ['ada\u0000@example.org', 'control-character'],
    ['ad\u200ba@example.org', 'invisible-character'],
    ['ada@exam\u200dple.org', 'invisible-character'],
    ['\u202eada@example.org', 'invisible-character'],
    ['"Ada" <ada@example.org>', 'display-name'],
    ['Ada <ada@example.org>', 'display-name'],
    ['ada@example.org, eve@example.org', 'display-name'],
    ['ada@example.org;eve@example.org', 'display-name'],
    ['ada(comment)@example.org', 'display-name'],
    ['\u0430da@example.org', 'non-ascii-local-part'],
    ['adä@example.org', 'non-ascii-local-part'],
    ['ada', 'syntax'],
    ['@example.org', 'syntax'],
    ['ada@', 'syntax'],
    ['ada..lovelace@example.org', 'syntax'],
    ['.ada@example.org', 'syntax'],
    ['ada@@example.org', 'syntax'],
    ['ada\uff20example.org', 'syntax'],
    ['ada@localhost', 'domain'],
    ['ada@-example.org', 'domain'],
    ['ada@example..org', 'domain'],
    ['ada@192.168.0.1', 'domain'],
    ['ada@exa_mple.org', 'domain'],
  ])('rejects %j (%s)', (input, problem) => {
    const result = normalizeEmailAddress(input);

    expect(result).toEqual({ ok: false, problem });
  });
});

describe('addressHash', () => {
  it('treats addresses differing only in case as one', () => {
    expect(addressHash('Ada@example.org')).toBe(addressHash('ada@example.org'));
    expect(addressHash('ada@example.org')).toMatch(/^[0-9a-f]{64}$/);
    expect(addressHash('ada@example.org')).not.toBe(addressHash('eve@example.org'));
  });
});
