import { describe, expect, it } from 'vitest';
import { signToken, TokenKeyError, type TokenKeys, verifyToken } from '../../functions/core/tokens.ts';

const SECRET_A = Buffer.alloc(32, 1).toString('base64');
const SECRET_B = Buffer.alloc(32, 2).toString('base64');
const ISSUED = new Date('2026-05-01T10:00:00.000Z');
const SUBSCRIBER = '8f7c1d9e-2b1a-4c55-9f0e-6d3a2b1c0d9e';

function keys(overrides: Partial<TokenKeys> = {}): TokenKeys {
  return { currentKeyId: 'a', keys: { a: SECRET_A, b: SECRET_B }, ...overrides };
}

function confirmToken(k = keys()): string {
  return signToken(k, { purpose: 'confirm', subscriberId: SUBSCRIBER, issuedAt: ISSUED });
}

describe('signToken / verifyToken', () => {
  it('round-trips subscriber id and issue time', () => {
    const token = confirmToken();

    const result = verifyToken(keys(), token, { purpose: 'confirm', now: ISSUED });

    expect(result).toEqual({ ok: true, subscriberId: SUBSCRIBER, issuedAt: ISSUED });
    expect(token).toMatch(/^a\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('is deterministic for the same claims and key', () => {
    const first = confirmToken();
    const second = confirmToken();

    expect(first).toBe(second);
  });

  it('reports expired only after maxAgeMs', () => {
    const token = confirmToken();
    const week = 7 * 24 * 3600_000;

    const justInTime = verifyToken(keys(), token, {
      purpose: 'confirm',
      now: new Date(ISSUED.getTime() + week),
      maxAgeMs: week,
    });
    const late = verifyToken(keys(), token, {
      purpose: 'confirm',
      now: new Date(ISSUED.getTime() + week + 1),
      maxAgeMs: week,
    });

    expect(justInTime.ok).toBe(true);
    expect(late).toEqual({ ok: false, reason: 'expired' });
  });

  it('never expires without maxAgeMs', () => {
    const token = signToken(keys(), { purpose: 'unsubscribe', subscriberId: SUBSCRIBER, issuedAt: ISSUED });

    const result = verifyToken(keys(), token, {
      purpose: 'unsubscribe',
      now: new Date('2040-01-01T00:00:00Z'),
    });

    expect(result.ok).toBe(true);
  });

  it.each([
    [
      'flipped signature character',
      (t: string) => `${t.slice(0, -2)}${t.at(-2) === 'A' ? 'B' : 'A'}${t.slice(-1)}`,
    ],
    ['truncated', (t: string) => t.slice(0, -1)],
    ['missing signature', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['extra segment', (t: string) => `${t}.x`],
    [
      'payload swapped',
      (t: string) => {
        const [k, , s] = t.split('.');
        const other = Buffer.from(`confirm.someone-else.${ISSUED.getTime().toString(36)}`).toString(
          'base64url',
        );
        return `${k}.${other}.${s}`;
      },
    ],
    ['unknown key id', (t: string) => `z${t.slice(1)}`],
    ['empty', () => ''],
    ['garbage', () => 'not a token at all'],
  ])('rejects a %s token as invalid', (_label, mangle) => {
    const token = mangle(confirmToken());

    const result = verifyToken(keys(), token, { purpose: 'confirm', now: ISSUED });

    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a token for another purpose with the same invalid answer', () => {
    const token = signToken(keys(), { purpose: 'unsubscribe', subscriberId: SUBSCRIBER, issuedAt: ISSUED });

    const result = verifyToken(keys(), token, { purpose: 'confirm', now: ISSUED });

    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reports a forged old token as invalid, not expired', () => {
    const forged = confirmToken(keys({ keys: { a: SECRET_B } }));

    const result = verifyToken(keys(), forged, {
      purpose: 'confirm',
      now: new Date('2030-01-01Z'),
      maxAgeMs: 1000,
    });

    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects tokens issued far in the future', () => {
    const token = signToken(keys(), {
      purpose: 'confirm',
      subscriberId: SUBSCRIBER,
      issuedAt: new Date('2026-05-02Z'),
    });

    const result = verifyToken(keys(), token, { purpose: 'confirm', now: ISSUED });

    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('keeps verifying tokens of a retired current key after rotation', () => {
    const old = confirmToken(keys({ currentKeyId: 'a' }));
    const rotated = keys({ currentKeyId: 'b' });

    const oldResult = verifyToken(rotated, old, { purpose: 'confirm', now: ISSUED });
    const fresh = confirmToken(rotated);

    expect(oldResult.ok).toBe(true);
    expect(fresh.startsWith('b.')).toBe(true);
    expect(
      verifyToken({ currentKeyId: 'b', keys: { b: SECRET_B } }, old, { purpose: 'confirm', now: ISSUED }).ok,
    ).toBe(false);
  });

  it('refuses to sign with a short or missing key', () => {
    const short = { currentKeyId: 'a', keys: { a: Buffer.alloc(16).toString('base64') } };
    const missing = { currentKeyId: 'c', keys: { a: SECRET_A } };

    expect(() => confirmToken(short)).toThrow(TokenKeyError);
    expect(() => confirmToken(missing)).toThrow('current token key "c" is not in the key set');
  });
});
