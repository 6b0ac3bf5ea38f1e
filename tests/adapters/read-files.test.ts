import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReadPace, type ReadPace, readFiles } from '../../functions/adapters/read-files.ts';

const READ_FILES = fileURLToPath(new URL('../../functions/adapters/read-files.ts', import.meta.url));

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herald-read-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeMany(count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `file-${String(i).padStart(4, '0')}.md`);
    await writeFile(path, `file ${i}: Grüße ✓\n`);
    paths.push(path);
  }
  return paths;
}

/** A pace whose every read takes `ms` on a fake clock, counting how many ran synchronously. */
function fakePace(ms: (read: number) => number): ReadPace & { reads: number } {
  let now = 0;
  let reads = 0;
  const pace = createReadPace(() => now);
  return {
    get synchronous() {
      return pace.synchronous;
    },
    get reads() {
      return reads;
    },
    time(read) {
      return pace.time(() => {
        now += ms(reads++);
        return read();
      });
    },
  };
}

describe('createReadPace', () => {
  it('stays synchronous while reads take page-cache time', () => {
    const pace = fakePace(() => 0.03);
    for (let i = 0; i < 1000; i++) pace.time(() => undefined);
    expect(pace.synchronous).toBe(true);
  });

  it('does not judge the first group, which warms up the reading code', () => {
    const pace = fakePace((read) => (read < 64 ? 5 : 0.03));
    for (let i = 0; i < 500; i++) pace.time(() => undefined);
    expect(pace.synchronous).toBe(true);
  });

  it('is not switched by a few reads that paid for a garbage collection', () => {
    const pace = fakePace((read) => (read % 20 === 0 ? 80 : 0.03));
    for (let i = 0; i < 1000; i++) pace.time(() => undefined);
    expect(pace.synchronous).toBe(true);
  });

  it('switches to asynchronous reads after one group that waited on the disk', () => {
    const pace = fakePace((read) => (read < 200 ? 0.03 : 0.5));
    let synchronous = 0;
    while (pace.synchronous) {
      pace.time(() => undefined);
      synchronous++;
    }
    expect(synchronous).toBe(256);
  });
});

describe('readFiles', () => {
  it('returns every file in the order asked, as text or bytes, from either kind of read', async () => {
    const paths = await writeMany(300);
    const expected = paths.map((_, i) => `file ${i}: Grüße ✓\n`);
    const fast = fakePace(() => 0.03);
    expect(await readFiles(paths, 'utf8', fast)).toEqual(expected);
    expect(fast.reads).toBe(300);

    // A disk that makes reads wait: the first groups synchronously, the rest asynchronously.
    const slow = fakePace(() => 0.5);
    expect(await readFiles(paths, 'utf8', slow)).toEqual(expected);
    expect(slow.reads).toBe(128);

    const bytes = await readFiles(
      paths,
      undefined,
      fakePace(() => 0.5),
    );
    expect(bytes.map((b) => b.toString('utf8'))).toEqual(expected);
    expect(Buffer.isBuffer(bytes[0])).toBe(true);
  });

  it('fails with the error of a missing file, naming it, on either kind of read', async () => {
    const paths = await writeMany(200);
    const missing = join(dir, 'missing.md');
    await expect(
      readFiles(
        [...paths, missing],
        'utf8',
        fakePace(() => 0.03),
      ),
    ).rejects.toThrow(missing);
    await expect(
      readFiles(
        [...paths, missing],
        'utf8',
        fakePace(() => 0.5),
      ),
    ).rejects.toThrow(missing);
  });

  it('reads more files than the open-files limit allows open at once', async () => {
    // 1,000 files with at most 128 open: reading them all at once failed with EMFILE (#14, 10,000 posts).
    await writeMany(1000);
    const script = `
      const { readdirSync } = await import('node:fs');
      const { readFiles, createReadPace } = await import(${JSON.stringify(READ_FILES)});
      const dir = ${JSON.stringify(dir)};
      const paths = readdirSync(dir).sort().map((name) => dir + '/' + name);
      const slow = { synchronous: false, time: (read) => read() };
      const texts = await readFiles(paths, 'utf8', slow);
      const again = await readFiles(paths, 'utf8', createReadPace());
      console.log(texts.length, again.length, texts[999] === again[999]);`;
    const { stdout } = await promisify(execFile)('sh', [
      '-c',
      `ulimit -n 128 && exec "${process.execPath}" --import tsx --input-type=module -e "$0"`,
      script,
    ]);
    expect(stdout.trim()).toBe('1000 1000 true');
  });
});
