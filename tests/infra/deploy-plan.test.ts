import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseNameStatus, planDeploy } from '../../infra/scripts/deploy-plan.ts';

const SCRIPT = fileURLToPath(new URL('../../infra/scripts/deploy-plan.ts', import.meta.url));

describe('planDeploy', () => {
  it('copies a new post and its image instead of deploying', () => {
    const plan = planDeploy([
      { status: 'A', path: 'content/posts/2026-12-01-winter-meetup.md' },
      { status: 'A', path: 'content/assets/recaps/2026-winter/stage.png' },
    ]);

    expect(plan).toEqual({
      mode: 'content',
      reason: 'only content changed: 2 to upload, 0 to remove',
      upload: ['content/posts/2026-12-01-winter-meetup.md', 'content/assets/recaps/2026-winter/stage.png'],
      remove: [],
      assets: ['content/assets/recaps/2026-winter/stage.png'],
    });
  });

  it('removes a deleted post from the content bucket, which unpublishes it', () => {
    const plan = planDeploy([
      { status: 'D', path: 'content/posts/2026-01-10-old.md' },
      { status: 'M', path: 'content/posts/2026-02-01-kept.md' },
    ]);

    expect(plan).toMatchObject({
      mode: 'content',
      upload: ['content/posts/2026-02-01-kept.md'],
      remove: ['content/posts/2026-01-10-old.md'],
      assets: [],
    });
  });

  it('deploys when code, templates or infrastructure changed alongside content', () => {
    const plan = planDeploy([
      { status: 'M', path: 'content/posts/2026-02-01-kept.md' },
      { status: 'M', path: 'templates/newsletter.mjml' },
    ]);

    expect(plan).toEqual({ mode: 'full', reason: 'templates/newsletter.mjml is code or infrastructure' });
  });

  it('deploys when the site configuration cdk synth reads changed', () => {
    expect(planDeploy([{ status: 'M', path: 'content/site.yml' }])).toEqual({
      mode: 'full',
      reason: 'content/site.yml is read by cdk synth',
    });
    expect(planDeploy([{ status: 'A', path: 'content/_config.yml' }]).mode).toBe('full');
  });

  it('deploys when the changed files are unknown or none are listed', () => {
    expect(planDeploy(undefined)).toEqual({ mode: 'full', reason: 'the changed files are unknown' });
    expect(planDeploy([])).toEqual({ mode: 'full', reason: 'no changed files listed' });
  });

  it('treats a file merely named like content as code', () => {
    expect(planDeploy([{ status: 'M', path: 'content-tools/build.ts' }]).mode).toBe('full');
  });
});

describe('parseNameStatus', () => {
  it('reads NUL-separated pairs, paths with spaces and non-ASCII intact', () => {
    expect(parseNameStatus('M\0content/posts/a b.md\0D\0content/assets/ü.png\0')).toEqual([
      { status: 'M', path: 'content/posts/a b.md' },
      { status: 'D', path: 'content/assets/ü.png' },
    ]);
  });

  it('refuses input it does not understand, so the plan falls back to a deploy', () => {
    expect(parseNameStatus('R100\0old.md\0')).toBeUndefined();
    expect(parseNameStatus('M\0')).toBeUndefined();
  });
});

describe('deploy-plan script on a real git diff', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), 'herald-deploy-plan-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.org');
    git('config', 'user.name', 'CI');
    await mkdir(join(repo, 'content', 'posts'), { recursive: true });
    await writeFile(join(repo, 'content', 'posts', '2026-01-10-old.md'), '---\ntitle: Old\n---\nOld.\n');
    await writeFile(join(repo, 'content', 'site.yml'), 'title: T\n');
    git('add', '-A');
    git('commit', '-qm', 'first');
  });

  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('writes the mode for GITHUB_OUTPUT and the file lists the workflow copies', async () => {
    const before = git('rev-parse', 'HEAD').trim();
    await mkdir(join(repo, 'content', 'assets'), { recursive: true });
    await writeFile(
      join(repo, 'content', 'posts', '2026-12-01 winter meetup.md'),
      '---\ntitle: W\n---\nW.\n',
    );
    await writeFile(join(repo, 'content', 'assets', 'stage.png'), 'png');
    await unlink(join(repo, 'content', 'posts', '2026-01-10-old.md'));
    git('add', '-A');
    git('commit', '-qm', 'winter recap');
    const diff = git('diff', '-z', '--name-status', '--no-renames', before, 'HEAD');
    const out = join(repo, 'plan');

    const stdout = execFileSync(process.execPath, ['--import', 'tsx', SCRIPT, out], {
      input: diff,
      encoding: 'utf8',
    });

    expect(stdout).toBe('mode=content\nreason=only content changed: 2 to upload, 1 to remove\n');
    expect((await readFile(join(out, 'upload'), 'utf8')).split('\0')).toEqual([
      'content/assets/stage.png',
      'content/posts/2026-12-01 winter meetup.md',
      '',
    ]);
    expect(await readFile(join(out, 'remove'), 'utf8')).toBe('content/posts/2026-01-10-old.md\0');
    expect(await readFile(join(out, 'assets'), 'utf8')).toBe('content/assets/stage.png\0');
  });

  it('asks for a full deploy when the workflow cannot tell what changed', () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', SCRIPT], {
      input: 'UNKNOWN\n',
      encoding: 'utf8',
    });

    expect(stdout).toBe('mode=full\nreason=the changed files are unknown\n');
  });
});
