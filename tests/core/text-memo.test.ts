import { describe, expect, it } from 'vitest';
import { exactJson, memoJson } from '../../functions/core/text-memo.ts';
import { mapMemo } from '../helpers/memo.ts';

describe('memoJson', () => {
  it('keeps a value JSON holds and gives it back equal, computing it once', () => {
    const { memo, counts } = mapMemo();
    const value = { title: 'Night', tags: ['a', 'b'], n: 3, nested: { ok: true, none: null } };

    const first = memoJson(memo, 'x', 'key', () => structuredClone(value));
    const second = memoJson(memo, 'x', 'key', () => structuredClone(value));

    expect(first).toEqual(value);
    expect(second).toEqual(value);
    expect(counts.computed).toBe(1);
  });

  it('computes every time a value JSON would change (Infinity, -0, a Date without reviver)', () => {
    const { memo } = mapMemo();
    let calls = 0;
    const odd = () => {
      calls++;
      return { big: Number.POSITIVE_INFINITY, minus: -0, when: new Date('2026-01-01T00:00:00Z') };
    };

    memoJson(memo, 'x', 'odd', odd);
    const again = memoJson(memo, 'x', 'odd', odd);

    expect(calls).toBe(2);
    expect(Object.is(again.minus, -0)).toBe(true);
    expect(again.when).toBeInstanceOf(Date);
  });

  it('keeps nothing when computing throws', () => {
    const { memo, store } = mapMemo();

    expect(() =>
      memoJson(memo, 'x', 'bad', () => {
        throw new Error('broken');
      }),
    ).toThrow('broken');
    expect(store.size).toBe(0);
  });
});

describe('exactJson', () => {
  const when = new Date('2026-03-04T18:30:00Z');

  it('is JSON for values without dates', () => {
    const value = { title: 'Night', tags: ['a', { b: [1, null, true] }], text: '2026-03-04T18:30:00.000Z' };

    expect(exactJson(value)).toBe(JSON.stringify(value));
  });

  it('tells a Date from the text of its ISO form, at any depth', () => {
    expect(exactJson([when])).not.toBe(exactJson([when.toISOString()]));
    expect(exactJson({ a: [{ b: when }] })).not.toBe(exactJson({ a: [{ b: when.toISOString() }] }));
    expect(exactJson({ a: [{ b: when }] })).toBe('{"a":[{"b":{"date":1772649000000}}]}');
  });

  it('reads what a toJSON method returns, as JSON.stringify does', () => {
    const custom = { toJSON: () => ({ shown: 'yes' }) };

    expect(exactJson({ custom })).toBe('{"custom":{"shown":"yes"}}');
  });

  it('leaves out inherited and non-enumerable fields, as JSON.stringify does', () => {
    const value = Object.create({ inherited: when }, { own: { value: 1, enumerable: true } });
    Object.defineProperty(value, 'hidden', { value: when, enumerable: false });

    expect(exactJson(value)).toBe('{"own":1}');
  });
});
