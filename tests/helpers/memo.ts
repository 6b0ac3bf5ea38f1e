import type { TextMemo } from '../../functions/core/text-memo.ts';

/** A TextMemo over a Map, as the build cache keeps values, counting what it had to compute. */
export function mapMemo() {
  const store = new Map<string, string>();
  const counts = { computed: 0 };
  const memo: TextMemo = (kind, input, compute) => {
    const key = `${kind}\0${input}`;
    const known = store.get(key);
    if (known !== undefined) return known;
    counts.computed++;
    const value = compute();
    store.set(key, value);
    return value;
  };
  return { memo, counts, store };
}
