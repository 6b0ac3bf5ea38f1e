import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixturesDir = join(repoRoot, 'tests', 'fixtures', 'confirmation');

/** Runs the bundling step as infra/constructs/herald-function.ts does. */
async function compileConfirmation(...args: string[]): Promise<{ code: number; stderr: string }> {
  const script = join(repoRoot, 'infra', 'scripts', 'compile-confirmation.ts');
  try {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), script, ...args],
      { cwd: repoRoot },
    );
    return { code: 0, stderr };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('compile-confirmation bundling step', () => {
  it('writes the HTML part and, next to it, the text part', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-compile-'));

    const result = await compileConfirmation(
      join(repoRoot, 'templates', 'confirm.mjml'),
      join(dir, 'confirm.html'),
    );

    expect(result).toEqual({ code: 0, stderr: '' });
    expect(await readFile(join(dir, 'confirm.html'), 'utf8')).toContain('href="{{confirmUrl}}"');
    const text = await readFile(join(dir, 'confirm.txt'), 'utf8');
    expect(text).toContain('asked to receive the {{siteTitle}} newsletter at {{email}}.');
    expect(text).toContain('Or paste this link into your browser: {{confirmUrl}}');
  });

  it('fails, naming the template and the placeholder, when the text part would mangle it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-compile-'));
    const mjmlPath = join(fixturesDir, 'heading-placeholder.mjml');

    const result = await compileConfirmation(mjmlPath, join(dir, 'confirm.html'));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${mjmlPath}: the text part turns the placeholder {{siteTitle}} into`);
  });

  it('refuses an output path that does not end in .html', async () => {
    const result = await compileConfirmation(join(repoRoot, 'templates', 'confirm.mjml'), 'confirm.htm');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: compile-confirmation.ts <confirm.mjml> <out.html>');
  });
});
