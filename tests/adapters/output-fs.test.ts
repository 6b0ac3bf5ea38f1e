import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputError, openOutput, spareDirOf, writeOutput } from '../../functions/adapters/output-fs.ts';

let parent: string;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'herald-output-'));
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function previousOutput(out: string): Promise<void> {
  await mkdir(join(out, 'site'), { recursive: true });
  await writeFile(join(out, 'site', 'index.html'), 'old index');
  await writeFile(join(out, 'site', 'stale.html'), 'old page');
}

describe('writeOutput', () => {
  it.each([
    ['synchronously', { synchronous: true, time: <T>(write: () => T) => write() }],
    ['asynchronously', { synchronous: false, time: <T>(write: () => T) => write() }],
  ])('writes every file, creating folders, and leaves no temp folder behind (%s)', async (_, writePace) => {
    const out = join(parent, 'dist');
    const files = [
      { path: 'site/index.html', body: '<!doctype html>' },
      { path: 'site/2026/09/24/x/index.html', body: 'post' },
      { path: 'site/2026/09/24/y/index.html', body: 'same day' },
      { path: 'email/x.eml', body: new Uint8Array([1, 2, 3]) },
    ];

    const result = await writeOutput(out, files, { writePace });

    expect(result).toEqual({ files: 4, bytes: 15 + 4 + 8 + 3 });
    expect(await listTree(out)).toEqual([
      'email/x.eml',
      'site/2026/09/24/x/index.html',
      'site/2026/09/24/y/index.html',
      'site/index.html',
    ]);
    expect(await readFile(join(out, 'email', 'x.eml'))).toEqual(Buffer.from([1, 2, 3]));
    expect(await readdir(parent)).toEqual(['dist']);
    expect((await stat(out)).mode & 0o777).toBe(0o755);
  });

  it('replaces the previous output completely, so deleted pages disappear', async () => {
    const out = join(parent, 'dist');
    await previousOutput(out);

    await writeOutput(out, [{ path: 'site/index.html', body: 'new index' }]);

    expect(await listTree(out)).toEqual(['site/index.html']);
    expect(await readFile(join(out, 'site', 'index.html'), 'utf8')).toBe('new index');
    // The replaced output is kept, hidden and git-ignored, for the next build to reuse.
    expect((await readdir(parent)).sort()).toEqual(['.dist.herald-spare', 'dist']);
    expect(await listTree(spareDirOf(out))).toEqual(['.gitignore', 'site/index.html', 'site/stale.html']);
  });

  it('leaves the previous output untouched when a write fails midway', async () => {
    const out = join(parent, 'dist');
    await previousOutput(out);
    // `site/a` is a file, so `site/a/b.html` cannot be written: a real file-system failure.
    const files = [
      { path: 'site/index.html', body: 'new index' },
      { path: 'site/a', body: 'file' },
      ...Array.from({ length: 50 }, (_, i) => ({ path: `site/p${i}.html`, body: `page ${i}` })),
      { path: 'site/a/b.html', body: 'cannot be written' },
    ];

    const act = writeOutput(out, files, { concurrency: 1 });

    await expect(act).rejects.toThrow(OutputError);
    await expect(act).rejects.toMatchObject({ file: 'site/a/b.html', outDir: out });
    expect(await listTree(out)).toEqual(['site/index.html', 'site/stale.html']);
    expect(await readFile(join(out, 'site', 'index.html'), 'utf8')).toBe('old index');
    expect(await readdir(parent)).toEqual(['dist']);
  });

  it('refuses paths that could escape the output folder and writes nothing', async () => {
    const out = join(parent, 'dist');
    await previousOutput(out);

    const escapes = ['../evil.html', 'site/../../evil.html', 'site//x.html', 'site\\..\\evil.html', ''];
    const errors: unknown[] = [];
    for (const path of escapes) {
      await writeOutput(out, [
        { path: 'site/ok.html', body: 'ok' },
        { path, body: 'x' },
      ]).catch((e) => errors.push(e));
    }

    expect(errors).toHaveLength(escapes.length);
    for (const error of errors) expect(String(error)).toMatch(/OutputError: refusing to write/);
    expect(await listTree(out)).toEqual(['site/index.html', 'site/stale.html']);
    expect((await readdir(parent)).sort()).toEqual(['dist']);
  });

  it('refuses two files with the same path instead of silently keeping one', async () => {
    const out = join(parent, 'dist');

    const act = writeOutput(out, [
      { path: 'site/index.html', body: 'a' },
      { path: '/site/index.html', body: 'b' },
    ]);

    await expect(act).rejects.toThrow('two files want the same path "/site/index.html"');
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('openOutput', () => {
  it('writes each file into a temp folder as it comes, and replaces the output on commit', async () => {
    const out = join(parent, 'dist');
    await previousOutput(out);
    const output = openOutput(out, { concurrency: 1 });

    await output.write({ path: 'site/index.html', body: 'new index' });
    const [temp] = (await readdir(parent)).filter((name) => name.startsWith('.dist.tmp-'));
    const beforeCommit = await listTree(join(parent, temp ?? 'missing'));
    const result = await output.commit();

    expect(beforeCommit).toEqual(['site/index.html']);
    expect(result).toEqual({ files: 1, bytes: 9 });
    expect(await listTree(out)).toEqual(['site/index.html']);
    expect((await readdir(parent)).sort()).toEqual(['.dist.herald-spare', 'dist']);
  });

  it('removes what it wrote and keeps the previous output when aborted', async () => {
    const out = join(parent, 'dist');
    await previousOutput(out);
    const output = openOutput(out);

    await output.write({ path: 'site/index.html', body: 'new index' });
    await output.write({ path: 'site/new.html', body: 'new page' });
    await output.abort();

    expect(await listTree(out)).toEqual(['site/index.html', 'site/stale.html']);
    expect(await readFile(join(out, 'site', 'index.html'), 'utf8')).toBe('old index');
    expect(await readdir(parent)).toEqual(['dist']);
  });

  it('creates nothing when aborted before the first write', async () => {
    const out = join(parent, 'nested', 'dist');

    await openOutput(out).abort();

    expect(await readdir(parent)).toEqual([]);
  });
});

describe('reusing the previous output', () => {
  const files = (pages: Record<string, string | Uint8Array>) =>
    Object.entries(pages).map(([path, body]) => ({ path, body }));

  it('leaves files whose bytes are unchanged alone, replaces changed ones and removes the rest', async () => {
    const out = join(parent, 'dist');
    await writeOutput(
      out,
      files({ 'site/same.html': 'same', 'site/changed.html': 'v1', 'site/gone/index.html': 'bye' }),
    );
    const first = await stat(join(out, 'site', 'same.html'));
    await writeOutput(out, files({ 'site/same.html': 'same', 'site/changed.html': 'v2' }));

    // The third build reuses the first build's folder, kept by the second.
    const result = await writeOutput(
      out,
      files({ 'site/same.html': 'same', 'site/changed.html': 'v3', 'site/new/index.html': 'hi' }),
    );

    expect(result).toEqual({ files: 3, bytes: 4 + 2 + 2 });
    expect(await listTree(out)).toEqual(['site/changed.html', 'site/new/index.html', 'site/same.html']);
    expect(await readFile(join(out, 'site', 'changed.html'), 'utf8')).toBe('v3');
    expect((await stat(join(out, 'site', 'same.html'))).ino).toBe(first.ino);
    expect(await readdir(join(out, 'site'))).not.toContain('gone');
    expect(await listTree(spareDirOf(out))).toEqual(['.gitignore', 'site/changed.html', 'site/same.html']);
  });

  it.each([
    [
      'synchronously, while the page cache serves them',
      { synchronous: true, time: <T>(read: () => T) => read() },
    ],
    [
      'asynchronously, once reads wait on the disk',
      { synchronous: false, time: <T>(read: () => T) => read() },
    ],
  ])('compares kept files %s, large and multi-byte ones too', async (_, readPace) => {
    const out = join(parent, 'dist');
    // Over 1 MB, so a file is compared in more than one chunk, the change in the last.
    const big = 'Grüße aus Köln — ✓ 🎉\n'.repeat(60_000);
    const pages = {
      'site/big.html': big,
      'site/bytes.bin': Buffer.from([0, 1, 2, 255]),
      'site/edge.html': `${big}x`,
    };
    await writeOutput(out, files(pages));
    await writeOutput(out, files(pages));
    // Marks on the kept copies (inode numbers are reused at once, so they tell nothing).
    const spare = spareDirOf(out);
    await chmod(join(spare, 'site', 'big.html'), 0o600);
    await chmod(join(spare, 'site', 'edge.html'), 0o600);

    // Same bytes: kept. One character changed at the very end, same length: replaced.
    const next = { ...pages, 'site/edge.html': `${big}y` };
    const result = await writeOutput(out, files(next), { readPace });
    expect(result.bytes).toBe(2 * Buffer.byteLength(big) + 1 + 4);
    expect((await stat(join(out, 'site', 'big.html'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(out, 'site', 'edge.html'))).mode & 0o777).not.toBe(0o600);
    expect(await readFile(join(out, 'site', 'edge.html'), 'utf8')).toBe(`${big}y`);
    expect(await readFile(join(out, 'site', 'big.html'), 'utf8')).toBe(big);
    expect([...(await readFile(join(out, 'site', 'bytes.bin')))]).toEqual([0, 1, 2, 255]);
  });

  it('never writes through a link planted in the kept folder', async () => {
    const out = join(parent, 'dist');
    const outside = join(parent, 'outside.txt');
    const linked = join(parent, 'linked.txt');
    await writeFile(outside, 'keep me');
    await writeFile(linked, 'keep me too');
    await writeOutput(out, files({ 'site/a.html': 'a', 'site/b.html': 'b' }));
    await writeOutput(out, files({ 'site/a.html': 'a', 'site/b.html': 'b' }));
    const spare = spareDirOf(out);
    await rm(join(spare, 'site', 'a.html'));
    await symlink(outside, join(spare, 'site', 'a.html'));
    await rm(join(spare, 'site', 'b.html'));
    await link(linked, join(spare, 'site', 'b.html'));
    await rm(join(spare, 'site'), { recursive: true });
    await mkdir(join(spare, 'real'));
    await symlink(join(spare, 'real'), join(spare, 'site'));

    await writeOutput(out, files({ 'site/a.html': 'new a', 'site/b.html': 'new b' }));

    expect(await readFile(outside, 'utf8')).toBe('keep me');
    expect(await readFile(linked, 'utf8')).toBe('keep me too');
    expect(await listTree(out)).toEqual(['site/a.html', 'site/b.html']);
    expect(await readFile(join(out, 'site', 'a.html'), 'utf8')).toBe('new a');
  });

  // Folders and files are made synchronously while that is quick, asynchronously once it is not.
  const WRITE_PACES = [
    ['synchronously', { synchronous: true, time: <T>(write: () => T) => write() }],
    ['asynchronously', { synchronous: false, time: <T>(write: () => T) => write() }],
  ] as const;

  it.each(WRITE_PACES)(
    'replaces a kept file where a folder is now needed, and a kept folder where a file is (%s)',
    async (_, writePace) => {
      const out = join(parent, 'dist');
      await writeOutput(out, files({ 'site/a': 'file', 'site/b/index.html': 'folder' }));
      await writeOutput(out, files({ 'site/x.html': 'x' }));

      await writeOutput(
        out,
        files({
          'site/a/index.html': 'now a folder',
          'site/a/deeper/page.html': 'written at the same time',
          'site/a/other.html': 'and this',
          'site/b': 'now a file',
        }),
        { writePace },
      );

      expect(await listTree(out)).toEqual([
        'site/a/deeper/page.html',
        'site/a/index.html',
        'site/a/other.html',
        'site/b',
      ]);
      expect(await readFile(join(out, 'site', 'b'), 'utf8')).toBe('now a file');
    },
  );

  it.each(WRITE_PACES)(
    'still fails on a real clash within one build, and gives the kept folder back (%s)',
    async (_, writePace) => {
      const out = join(parent, 'dist');
      await writeOutput(out, files({ 'site/index.html': 'v1' }));
      await writeOutput(out, files({ 'site/index.html': 'v2' }));

      const act = writeOutput(out, files({ 'site/a': 'file', 'site/a/b.html': 'cannot be written' }), {
        concurrency: 1,
        writePace,
      });

      await expect(act).rejects.toMatchObject({ file: 'site/a/b.html' });
      expect(await readFile(join(out, 'site', 'index.html'), 'utf8')).toBe('v2');
      expect((await readdir(parent)).sort()).toEqual(['.dist.herald-spare', 'dist']);
    },
  );

  it('lets two builds at once each finish whole, sharing no folder', async () => {
    const out = join(parent, 'dist');
    await writeOutput(out, files({ 'site/index.html': 'v1' }));
    await writeOutput(out, files({ 'site/index.html': 'v2' }));
    const pages = (tag: string) =>
      files(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`site/p${i}.html`, `${tag} ${i}`])));

    await Promise.all([writeOutput(out, pages('a')), writeOutput(out, pages('b'))]);

    const tree = await listTree(out);
    expect(tree).toHaveLength(40);
    const bodies = await Promise.all(tree.map((f) => readFile(join(out, f), 'utf8')));
    const tags = new Set(bodies.map((b) => b.split(' ')[0]));
    expect(tags.size).toBe(1);
    expect((await readdir(parent)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
