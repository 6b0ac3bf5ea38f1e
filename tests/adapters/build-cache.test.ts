import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBuildCache } from '../../functions/adapters/build-cache.ts';

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'herald-build-cache-'));
  dir = join(root, 'cache');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs one "build": reads every input through the cache, counts the computations, closes. */
function build(inputs: readonly string[], kind = 'markdown') {
  const cache = openBuildCache(dir);
  let computed = 0;
  const values = inputs.map((input) =>
    cache.get(kind, input, () => {
      computed++;
      return `<p>${input}</p>`;
    }),
  );
  cache.close();
  return { values, computed };
}

const segmentBytes = async () => {
  let total = 0;
  for (const name of await readdir(dir)) {
    if (name.startsWith('segment-')) total += (await stat(join(dir, name))).size;
  }
  return total;
};

describe('the build cache', () => {
  it('computes a value once and finds it in the next build', () => {
    const inputs = ['one', 'two', 'ünïcödé ✓', ''];

    const first = build(inputs);
    const second = build(inputs);

    expect(first.computed).toBe(4);
    expect(second.computed).toBe(0);
    expect(second.values).toEqual(['<p>one</p>', '<p>two</p>', '<p>ünïcödé ✓</p>', '<p></p>']);
  });

  it('misses on a changed input or another kind', () => {
    build(['one']);

    expect(build(['one!']).computed).toBe(1);
    expect(build(['one'], 'portable').computed).toBe(1);
    expect(build(['one']).computed).toBe(0);
  });

  it('computes again, never returns garbage, when a segment was damaged', async () => {
    build(['alpha', 'beta']);
    const segment = (await readdir(dir)).find((n) => n.startsWith('segment-')) ?? '';
    const bytes = await readFile(join(dir, segment));
    bytes.fill(0x41);
    await writeFile(join(dir, segment), bytes);

    const again = build(['alpha', 'beta']);

    expect(again.values).toEqual(['<p>alpha</p>', '<p>beta</p>']);
    expect(again.computed).toBe(2);
  });

  it('starts empty from an index it cannot read', async () => {
    build(['alpha']);
    await writeFile(join(dir, 'index.json'), '{ not json');

    expect(build(['alpha'])).toEqual({ values: ['<p>alpha</p>'], computed: 1 });
    expect(build(['alpha']).computed).toBe(0);
  });

  it('never fails a build when its folder cannot be made', async () => {
    // A file where the folder should be: even root cannot make a folder inside it.
    const file = join(root, 'a-file');
    await writeFile(file, 'not a folder');
    dir = join(file, 'cache');

    expect(build(['alpha'])).toEqual({ values: ['<p>alpha</p>'], computed: 1 });
    expect(build(['alpha'])).toEqual({ values: ['<p>alpha</p>'], computed: 1 });
  });

  it('writes nothing when a build found everything', async () => {
    build(['alpha', 'beta']);
    const before = await readdir(dir);
    const indexBefore = await stat(join(dir, 'index.json'));

    build(['alpha', 'beta']);

    expect(await readdir(dir)).toEqual(before);
    expect((await stat(join(dir, 'index.json'))).mtimeMs).toBe(indexBefore.mtimeMs);
  });

  it('stays near the size of what builds use while the content keeps changing', async () => {
    const big = (i: number) => `${'x'.repeat(300_000)}-${i}`;
    let live = 0;
    for (let round = 0; round < 40; round++) {
      // Every round changes one of ten large posts.
      const inputs = Array.from({ length: 10 }, (_, i) => (i === round % 10 ? big(1000 + round) : big(i)));
      live = inputs.reduce((sum, s) => sum + s.length + 7 + 20, 0);
      const { values } = build(inputs);
      expect(values[round % 10]).toBe(`<p>${big(1000 + round)}</p>`);
    }

    expect(await segmentBytes()).toBeLessThanOrEqual(2 * live + 4 * 1024 * 1024);
    expect(build(Array.from({ length: 10 }, (_, i) => (i === 39 % 10 ? big(1039) : big(i)))).computed).toBe(
      0,
    );
  });

  it('reads back values of every size, in the build that stored them and the next', () => {
    const inputs = [
      ...Array.from({ length: 300 }, (_, i) => `${i}-${'é'.repeat(20_000)}`), // 12 MB in all
      `big-${'x'.repeat(6_000_000)}`, // larger than one write at a time
      'small',
    ];
    const cache = openBuildCache(dir);
    for (const input of inputs) cache.put('markdown', input, `<p>${input}</p>`);

    expect(cache.peek('markdown', inputs[0] ?? '')).toBe(`<p>${inputs[0]}</p>`);
    expect(cache.peek('markdown', 'small')).toBe('<p>small</p>');
    cache.close();

    const next = build(inputs);
    expect(next.computed).toBe(0);
    expect(next.values.map((v) => v.length)).toEqual(inputs.map((i) => i.length + 7));
  });

  it('reads back multi-byte text exactly, however full the write buffer was', () => {
    // Two-, three- and four-byte UTF-8 in values of uneven sizes, so the 4 MB write buffer is filled to
    // different points before each flush; one value too large for the buffer at three bytes a unit but
    // not in its actual bytes.
    const text = (i: number) =>
      `${i}:${'é'.repeat((i * 37) % 500)}${'✓'.repeat(5_000 + ((i * 7919) % 10_000))}😀${'中'.repeat(i % 7)}`;
    const inputs = [...Array.from({ length: 1000 }, (_, i) => `input ${i}`), 'boundary'];
    const storedFor = (input: string) =>
      input === 'boundary' ? 'b'.repeat(2_000_000) : text(Number(input.slice(6)));
    const cache = openBuildCache(dir);
    for (const input of inputs) cache.put('markdown', input, storedFor(input));
    for (const input of inputs) expect(cache.peek('markdown', input)).toBe(storedFor(input));
    cache.close();

    const next = openBuildCache(dir);
    for (const input of inputs) expect(next.peek('markdown', input)).toBe(storedFor(input));
    next.close();
  });

  it('keeps bytes as they are, through compaction too', () => {
    const bytes = Uint8Array.from({ length: 256 * 40 }, (_, i) => i % 256); // not UTF-8
    for (let round = 0; round < 30; round++) {
      const cache = openBuildCache(dir);
      const kept = cache.peekBytes('feeds', 'binary');
      if (round > 0) expect(kept && Buffer.compare(kept, Buffer.from(bytes))).toBe(0);
      else cache.putBytes('feeds', 'binary', bytes);
      // Large values that change every round make the segments mostly garbage: they are compacted.
      cache.put('markdown', `round-${round}`, 'y'.repeat(1_000_000));
      cache.close();
    }
  });

  it('keeps both builds’ values correct when two run at once', () => {
    build(['shared']);
    const a = openBuildCache(dir);
    const b = openBuildCache(dir);
    const value = (cache: typeof a, input: string) => cache.get('markdown', input, () => `<p>${input}</p>`);

    expect(value(a, 'shared')).toBe('<p>shared</p>');
    expect(value(b, 'shared')).toBe('<p>shared</p>');
    expect(value(a, 'from a')).toBe('<p>from a</p>');
    expect(value(b, 'from b')).toBe('<p>from b</p>');
    a.close();
    b.close();

    expect(build(['shared', 'from a', 'from b']).values).toEqual([
      '<p>shared</p>',
      '<p>from a</p>',
      '<p>from b</p>',
    ]);
  });
});
