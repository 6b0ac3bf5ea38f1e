import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputError, openOutput, writeOutput } from '../../functions/adapters/output-fs.ts';

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
  it('writes every file, creating folders, and leaves no temp folder behind', async () => {
    const out = join(parent, 'dist');
    const files = [
      { path: 'site/index.html', body: '<!doctype html>' },
      { path: 'site/2026/09/24/x/index.html', body: 'post' },
      { path: 'email/x.eml', body: new Uint8Array([1, 2, 3]) },
    ];

    const result = await writeOutput(out, files);

    expect(result).toEqual({ files: 3, bytes: 15 + 4 + 3 });
    expect(await listTree(out)).toEqual(['email/x.eml', 'site/2026/09/24/x/index.html', 'site/index.html']);
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
    expect(await readdir(parent)).toEqual(['dist']);
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
    expect(await readdir(parent)).toEqual(['dist']);
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
