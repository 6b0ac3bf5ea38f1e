import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen } from '../../functions/adapters/http-listen.ts';
import { runDev } from '../../functions/cli/dev.ts';
import { createProgram } from '../../functions/cli/program.ts';
import { captureIo } from '../helpers/cli-io.ts';

const BIN = fileURLToPath(new URL('../../bin/herald.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-cli-program-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs the program the way the shell would, catching commander's exit for --help/--version. */
async function run(args: string[]) {
  const { io, cli } = captureIo();
  const program = createProgram(cli).exitOverride();
  for (const command of program.commands) command.exitOverride();
  let exit: CommanderError | undefined;
  try {
    await program.parseAsync(['node', 'herald', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exit = error;
  }
  return { ...io, exit };
}

async function content(dir: string, title: string): Promise<string> {
  await mkdir(join(dir, 'posts'), { recursive: true });
  await writeFile(
    join(dir, 'site.yml'),
    'title: Dev Meetups\ndescription: d\nurl: https://dev.test\nbaseurl: /blog\nnewsletter:\n  from_address: n@dev.test\n  from_name: Dev\n  postal_address: Street 1, Town\n',
  );
  await writeFile(join(dir, 'posts', '2026-01-12-first.md'), `---\ntitle: ${title}\n---\n\nHello.\n`);
  return dir;
}

describe('herald CLI', () => {
  it('prints help listing every command', async () => {
    const result = await run(['--help']);

    expect(result.exit?.code).toBe('commander.helpDisplayed');
    expect(result.out).toContain('Usage: herald [options] [command]');
    for (const command of ['build [options]', 'check [options]', 'dev [options]'])
      expect(result.out).toContain(command);
  });

  it.each([
    ['build', ['--content <dir>', '--out <dir>', '(default: "content")', '(default: "dist")']],
    ['check', ['--content <dir>', 'without writing anything']],
    ['dev', ['--content <dir>', '--port <port>', '(default: 3000)', '--drafts']],
    ['preview', ['--content <dir>', '--drafts']],
  ])('prints help for %s', async (command, expected) => {
    const result = await run([command, '--help']);

    expect(result.exit?.code).toBe('commander.helpDisplayed');
    expect(result.out).toContain(`Usage: herald ${command} [options]`);
    for (const text of expected) expect(result.out).toContain(text);
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    const result = await run(['--version']);

    expect(result.out).toBe(`${version}\n`);
  });

  it('rejects a port that is not a number', async () => {
    const result = await run(['dev', '--port', 'abc']);

    expect(result.exit?.exitCode).toBe(1);
    expect(result.err).toContain(`"abc" is not a port number (0-65535).`);
  });

  it('names the busy port and the --port flag instead of printing a stack trace', async () => {
    const blocker: Server = createServer();
    const port = await listen(blocker, 0);
    const contentDir = await content(join(work, 'content'), 'First');

    const result = await run(['dev', '--content', contentDir, '--port', String(port)]).finally(
      () => new Promise((done) => blocker.close(done)),
    );

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `herald dev: Port ${port} is already in use. Stop whatever is using it, or start on another port with --port ${port + 1}.`,
    );
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('exits with status 1 from the real binary when the content is broken', async () => {
    const contentDir = join(work, 'content');
    await mkdir(join(contentDir, 'posts'), { recursive: true });
    await writeFile(join(contentDir, 'site.yml'), 'title: T\nurl: not a url\n');

    const result = await promisify(execFile)(
      process.execPath,
      [BIN, 'build', '--content', contentDir, '--out', join(work, 'out')],
      {
        cwd: ROOT,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/site\.yml:2: url: /);
  });
});

describe('herald dev', () => {
  it('serves the preview under the baseurl with email previews, and rebuilds when a post changes', async () => {
    const contentDir = await content(join(work, 'content'), 'First Title');
    const lines: string[] = [];
    const session = await runDev({
      contentDir,
      port: 0,
      outDir: join(work, 'preview'),
      debounceMs: 50,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    try {
      const origin = `http://localhost:${session.port}`;
      const before = await fetch(`${origin}/blog/2026/01/12/first.html`).then((r) => r.text());
      const emails = await fetch(`${origin}/_email/`).then((r) => r.text());

      await writeFile(
        join(contentDir, 'posts', '2026-01-12-first.md'),
        '---\ntitle: Second Title\n---\n\nHello.\n',
      );
      await expect
        .poll(() => lines.filter((l) => l.startsWith('built ')).length, { timeout: 10_000 })
        .toBe(2);
      await session.idle();
      const after = await fetch(`${origin}/blog/2026/01/12/first.html`).then((r) => r.text());

      expect(before).toContain('<h1>First Title</h1>');
      expect(after).toContain('<h1>Second Title</h1>');
      expect(emails).toContain('<a href="/_email/first.eml">eml</a>');
      expect(lines).toContain(`  Site             ${origin}/blog/`);
      expect(lines).toContain(`  Subscribe page   ${origin}/blog/subscribe.html`);
      expect(lines).toContain(`  Email previews   ${origin}/_email/ (1)`);
    } finally {
      await session.close();
    }
  });
});
