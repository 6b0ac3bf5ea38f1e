import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProgram } from '../../functions/cli/program.ts';
import { captureIo } from '../helpers/cli-io.ts';

const NOW = new Date('2026-03-20T12:00:00Z');

const SITE_YML = `title: Email Selection Meetups
description: d
url: https://emails.test
baseurl: ""
timezone: UTC
newsletter:
  from_address: news@emails.test
  from_name: Email Selection
  postal_address: Test Street 1, 12345 Testtown
  max_age_days: 7
`;

const POSTS: Record<string, string> = {
  '2025-11-01-archive.md': '---\ntitle: Old archive post\n---\n\nLong ago.\n',
  '2026-02-01-last-month.md': '---\ntitle: Last month\n---\n\nA while ago.\n',
  '2026-02-02-forced.md': '---\ntitle: Forced\nemail: true\n---\n\nOld, but mailed anyway.\n',
  '2026-03-18-recent.md': '---\ntitle: Recent\n---\n\nTwo days ago.\n',
  '2026-04-01-scheduled.md': '---\ntitle: Scheduled\n---\n\nNot yet out.\n',
  '2026-03-19-site-only.md': '---\ntitle: Site only\nemail: false\n---\n\nNever mailed.\n',
};

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-build-emails-'));
  await mkdir(join(work, 'content', 'posts'), { recursive: true });
  await writeFile(join(work, 'content', 'site.yml'), SITE_YML);
  for (const [name, text] of Object.entries(POSTS)) {
    await writeFile(join(work, 'content', 'posts', name), text);
  }
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function build(...extra: string[]) {
  const { io, cli } = captureIo();
  const out = join(work, 'dist');
  await createProgram(cli, () => NOW).parseAsync([
    'node',
    'herald',
    'build',
    '--content',
    join(work, 'content'),
    '--out',
    out,
    ...extra,
  ]);
  const emails = (await readdir(join(out, 'email'))).filter((f) => f.endsWith('.html')).sort();
  return { io, emails };
}

describe('herald build preview emails', () => {
  it('previews only posts that can still be mailed: recent, scheduled or email: true', async () => {
    const { io, emails } = await build();

    expect(io.code).toBe(0);
    expect(emails).toEqual(['forced.html', 'recent.html', 'scheduled.html']);
    expect(io.out).toContain('3 preview emails');
    expect(io.out).toContain(
      '2 older posts can no longer be mailed: not previewed (--emails all previews them)',
    );
  });

  it('previews every post that would be mailed with --emails all', async () => {
    const { io, emails } = await build('--emails', 'all');

    expect(io.code).toBe(0);
    expect(emails).toEqual([
      'archive.html',
      'forced.html',
      'last-month.html',
      'recent.html',
      'scheduled.html',
    ]);
    expect(io.out).not.toContain('can no longer be mailed');
  });

  it('rejects another value for --emails', async () => {
    const { io, cli } = captureIo();
    const program = createProgram(cli, () => NOW).exitOverride();
    for (const command of program.commands) command.exitOverride();

    const act = program.parseAsync(['node', 'herald', 'build', '--emails', 'some']);

    await expect(act).rejects.toThrow();
    expect(io.err).toContain('"some" is neither "mailable" nor "all".');
  });
});
