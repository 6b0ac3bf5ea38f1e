import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The time of the last commit that touched each file under `dir`, as jekyll-last-modified-at reads it,
 * keyed by the path relative to `dir` (`/`-separated). Empty when `dir` is not inside a git checkout or
 * git is not installed: callers then fall back to the post's date.
 *
 * One `git log` for the whole folder, newest commit first, so the first time a path shows up is its last change.
 */
export async function lastCommitTimes(dir: string): Promise<Map<string, Date>> {
  const times = new Map<string, Date>();
  // Starting git costs a build tens of milliseconds; a folder with no `.git` above it has no history.
  if (!process.env.GIT_DIR && !insideCheckout(dir)) return times;
  let top: string;
  let log: string;
  try {
    top = (await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir })).stdout.trim();
    log = (
      await run('git', ['log', '--format=%x00%ct', '--name-only', '--no-renames', '--', '.'], {
        cwd: dir,
        maxBuffer: 256 * 1024 * 1024,
      })
    ).stdout;
  } catch {
    return times;
  }
  const prefix = relative(top, dir).split(sep).join('/');
  let current: Date | undefined;
  for (const line of log.split('\n')) {
    if (line.startsWith('\u0000')) {
      current = new Date(Number(line.slice(1)) * 1000);
      continue;
    }
    if (line === '' || !current) continue;
    const path =
      prefix === '' ? line : line.startsWith(`${prefix}/`) ? line.slice(prefix.length + 1) : undefined;
    if (path !== undefined && !times.has(path)) times.set(path, current);
  }
  return times;
}

/** Whether `dir` or a folder above it has a `.git` (a folder, or the file of a worktree or submodule). */
function insideCheckout(dir: string): boolean {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return true;
    if (dirname(at) === at) return false;
  }
}
