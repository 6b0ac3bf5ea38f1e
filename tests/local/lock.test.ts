import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireRuntimeLock, RuntimeLockedError } from '../../functions/local/lock.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herald-lock-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('runtime lock', () => {
  it('refuses a second holder while the first lives, naming its PID, URL and the way out', async () => {
    const first = await acquireRuntimeLock(dir);
    await first.update('http://localhost:3000');

    const error = await acquireRuntimeLock(dir).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RuntimeLockedError);
    expect((error as RuntimeLockedError).message).toBe(
      `Herald is already running (PID ${process.pid}) at http://localhost:3000, using ${dir}. ` +
        `Open that one, or stop it first (Ctrl+C in its terminal, or \`kill ${process.pid}\`). ` +
        'To run a second copy side by side, give it its own --data folder and --port.',
    );
    await first.release();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const pid = await deadPid();
    await writeFile(join(dir, 'runtime.lock'), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00Z' }));

    const lock = await acquireRuntimeLock(dir);

    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(join(dir, 'runtime.lock'), '{"pid": ');

    const lock = await acquireRuntimeLock(dir);

    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('removes the lock file on release, so the next start succeeds', async () => {
    const lock = await acquireRuntimeLock(dir);

    await lock.release();
    await lock.release();
    const again = await acquireRuntimeLock(dir);

    expect(await stat(join(dir, 'runtime.lock')).then(() => true)).toBe(true);
    await again.release();
    expect(await stat(join(dir, 'runtime.lock')).catch(() => undefined)).toBeUndefined();
  });
});
