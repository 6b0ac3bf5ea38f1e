/** A damaged data folder gets a clear message with the way forward, never a stack trace. */
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLocalDev } from '../../functions/cli/dev.ts';
import { LocalDataError, startLocalRuntime } from '../../functions/local/runtime.ts';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-runtime-data-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('local runtime with a damaged data folder', () => {
  it('reports damaged DynamoDB files with the path and --reset, and releases its lock', async () => {
    const data = join(work, 'data');
    await mkdir(join(data, 'dynamo'), { recursive: true });
    await writeFile(join(data, 'dynamo', 'CURRENT'), 'MANIFEST-garbage\n');
    const lines: string[] = [];

    const session = await runLocalDev(
      { contentDir: 'content', dataDir: data, port: 0 },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );

    expect(session).toBeUndefined();
    const text = lines.join('\n');
    expect(text).toContain(`herald dev: The local data in ${join(data, 'dynamo')} cannot be used`);
    expect(text).toContain('`herald dev --reset`');
    expect(text).not.toMatch(/\n\s+at /);
    expect(await stat(join(data, 'runtime.lock')).catch(() => undefined)).toBeUndefined();
  });

  it('reports unreadable token keys the same way', async () => {
    const data = join(work, 'data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'token-keys.json'), '{ not json');

    const error = await startLocalRuntime({ contentDir: 'content', dataDir: data, port: 0 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(LocalDataError);
    expect((error as Error).message).toContain(`${join(data, 'token-keys.json')} cannot be used`);
    expect((error as Error).message).toContain('herald dev --reset');
  });

  it('explains a data path that is a file, and a missing content folder', async () => {
    await writeFile(join(work, 'data-file'), 'x');

    const asFile = await startLocalRuntime({
      contentDir: 'content',
      dataDir: join(work, 'data-file'),
      port: 0,
    }).catch((e: unknown) => e);
    const noContent = await startLocalRuntime({
      contentDir: join(work, 'nope'),
      dataDir: join(work, 'd'),
      port: 0,
    }).catch((e: unknown) => e);

    expect((asFile as Error).message).toContain('is a file, not a folder');
    expect((noContent as Error).message).toContain('There is no content folder at');
  });

  it('reports hostile content (alias bomb, 20,000 nested quotes, controls in a name) by file and line, never suggesting --reset', async () => {
    const content = join(work, 'content');
    await cp(new URL('../../content/', import.meta.url), content, { recursive: true });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 8; i++)
      bomb.push(
        `l${i}: &l${i} [${Array(9)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    await writeFile(
      join(content, 'posts', '2026-06-04-bomb.md'),
      `---\ntitle: Bomb\n${bomb.join('\n')}\n---\n\nBody.\n`,
    );
    await writeFile(
      join(content, 'posts', '2026-06-05-deep.md'),
      `---\ntitle: Deep\n---\n\n${'>'.repeat(20_000)} x\n`,
    );
    await writeFile(
      join(content, 'posts', '2026-06-06-e\u001b[2J\u001b]0;x\u0007sc.md'),
      '---\nlayout: post\n---\n\nBody.\n',
    );
    const lines: string[] = [];

    const runtime = await startLocalRuntime({
      contentDir: content,
      dataDir: join(work, 'data'),
      port: 0,
      watch: false,
      now: () => new Date('2026-06-10T12:00:00Z'),
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    await runtime.idle();
    await runtime.stop();

    const text = lines.join('\n');
    expect(text).toContain('posts/2026-06-04-bomb.md was not published');
    expect(text).toMatch(/posts\/2026-06-04-bomb\.md:4: invalid YAML front matter: aliases/);
    expect(text).toContain('posts/2026-06-05-deep.md was not published');
    expect(text).toMatch(/posts\/2026-06-05-deep\.md:5: quotes or lists nested 20000 levels deep/);
    // The banner always lists how to start over; no problem report may point there.
    expect(lines.filter((l) => l.includes('--reset') && !/^\s*Start over/.test(l))).toEqual([]);
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).toContain('posts/2026-06-06-e[2J]0;xsc.md was not published');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('starts over with --reset', async () => {
    const data = join(work, 'data');
    await mkdir(join(data, 'dynamo'), { recursive: true });
    await writeFile(join(data, 'dynamo', 'CURRENT'), 'MANIFEST-garbage\n');
    const lines: string[] = [];

    const runtime = await startLocalRuntime({
      contentDir: 'content',
      dataDir: data,
      port: 0,
      reset: true,
      watch: false,
      out: (l) => lines.push(l),
    });
    await runtime.stop();

    expect(lines.join('\n')).toContain(`Reset: deleted the local data in ${data}/.`);
    expect(lines.join('\n')).toContain('3 posts on the site');
  });
});
