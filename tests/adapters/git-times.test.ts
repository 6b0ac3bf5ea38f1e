import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../functions/adapters/content-fs.ts';
import { lastCommitTimes } from '../../functions/adapters/git-times.ts';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function commit(repo: string, message: string, at: string): Promise<void> {
  await run('git', ['add', '-A'], { cwd: repo });
  await run(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.test', 'commit', '-q', '-m', message],
    {
      cwd: repo,
      env: { ...process.env, GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at },
    },
  );
}

const post = (title: string, extra = '') => `---\ntitle: ${title}\n${extra}---\n\nText.\n`;

describe('updated from the last git commit', () => {
  it('dates each post without last_modified_at by its file’s last commit, in a blog inside a git checkout', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'herald-git-times-'));
    dirs.push(repo);
    const blog = join(repo, 'blog');
    await mkdir(join(blog, '_posts'), { recursive: true });
    await run('git', ['init', '-q'], { cwd: repo });
    await writeFile(join(blog, '_config.yml'), 'title: Club\nurl: https://club.test\n');
    await writeFile(join(blog, '_posts', '2026-01-10-first.md'), post('First'));
    await writeFile(join(blog, '_posts', '2026-01-10-second.md'), post('Second'));
    await writeFile(
      join(blog, '_posts', '2026-01-10-pinned.md'),
      post('Pinned', 'last_modified_at: 2026-01-11 08:00:00 +0000\n'),
    );
    await commit(repo, 'first posts', '2026-01-10T12:00:00Z');
    await writeFile(join(blog, '_posts', '2026-01-10-second.md'), post('Second, edited'));
    await writeFile(
      join(blog, '_posts', '2026-01-10-pinned.md'),
      post('Pinned, edited', 'last_modified_at: 2026-01-11 08:00:00 +0000\n'),
    );
    await commit(repo, 'edit', '2026-01-12T09:30:00Z');

    const content = await loadContent(blog, { now: new Date('2026-02-01T00:00:00Z') });

    const updated = Object.fromEntries(content.posts.map((p) => [p.slug, p.updated.toISOString()]));
    expect(updated).toEqual({
      first: '2026-01-10T12:00:00.000Z',
      second: '2026-01-12T09:30:00.000Z',
      pinned: '2026-01-11T08:00:00.000Z',
    });
  });

  it('keeps the post’s date outside a git checkout', async () => {
    const blog = await mkdtemp(join(tmpdir(), 'herald-no-git-'));
    dirs.push(blog);
    await mkdir(join(blog, '_posts'));
    await writeFile(join(blog, '_config.yml'), 'title: Club\nurl: https://club.test\n');
    await writeFile(join(blog, '_posts', '2026-01-10-first.md'), post('First'));

    const content = await loadContent(blog, { now: new Date('2026-02-01T00:00:00Z') });

    expect(content.posts[0]?.updated.toISOString()).toBe('2026-01-10T00:00:00.000Z');
  });

  it('does not start git for a folder with no .git above it', async () => {
    const blog = await mkdtemp(join(tmpdir(), 'herald-no-git-'));
    dirs.push(blog);
    const bin = join(blog, 'bin');
    await mkdir(bin);
    const calls = join(blog, 'git-calls');
    await writeFile(join(bin, 'git'), `#!/bin/sh\necho "$@" >> "${calls}"\nexit 1\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path}`;
    try {
      expect(await lastCommitTimes(blog)).toEqual(new Map());
      await writeFile(join(blog, '.git'), 'gitdir: /nowhere\n');
      await lastCommitTimes(join(blog, 'bin'));
    } finally {
      process.env.PATH = path;
    }

    // Only the second call, below a `.git` (a worktree's file), asked git.
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual(['rev-parse --show-toplevel']);
  });
});
