/**
 * One local runtime per data folder: a second `npm start` must say who already runs it and where,
 * instead of fighting the first over the DynamoDB files and the port.
 *
 * The lock is a small JSON file created with `wx` (atomic on local filesystems). A lock left by a
 * process that no longer exists (a crash, `kill -9`) is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Another runtime holds the data folder. */
export class RuntimeLockedError extends Error {
  override name = 'RuntimeLockedError';
  readonly pid: number;
  readonly url: string | undefined;

  constructor(dataDir: string, holder: LockInfo, options?: { cause?: unknown }) {
    const where = holder.url ? ` at ${holder.url}` : '';
    super(
      `Herald is already running (PID ${holder.pid})${where}, using ${dataDir}. ` +
        `Open that one, or stop it first (Ctrl+C in its terminal, or \`kill ${holder.pid}\`). ` +
        'To run a second copy side by side, give it its own --data folder and --port.',
      options,
    );
    this.pid = holder.pid;
    this.url = holder.url;
  }
}

/** What the lock file records. */
export interface LockInfo {
  pid: number;
  /** The site URL, once the HTTP server listens. */
  url?: string;
  /** Where the local DynamoDB listens and its tables, so `herald subscribers`/`campaigns` can attach. */
  dynamo?: { endpoint: string; subscribers: string; campaigns: string };
  startedAt: string;
}

/** A held lock. */
export interface RuntimeLock {
  readonly path: string;
  /** Records the URL for the message a second start prints (and, once up, the local DynamoDB). */
  update(url: string, dynamo?: LockInfo['dynamo']): Promise<void>;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

const LOCK_FILE = 'runtime.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockInfo>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      ...(typeof value.url === 'string' ? { url: value.url } : {}),
      ...(value.dynamo && typeof value.dynamo.endpoint === 'string' ? { dynamo: value.dynamo } : {}),
      startedAt: String(value.startedAt ?? ''),
    };
  } catch {
    // Unreadable or half-written: treated as stale.
    return undefined;
  }
}

/** The running local runtime that holds `dataDir`, if any (for CLI commands to attach to). */
export async function runningRuntime(dataDir: string): Promise<LockInfo | undefined> {
  const holder = await readHolder(join(dataDir, LOCK_FILE));
  return holder && isAlive(holder.pid) ? holder : undefined;
}

/**
 * Takes the lock on `dataDir` for this process.
 *
 * @throws RuntimeLockedError when a live process holds it.
 */
export async function acquireRuntimeLock(
  dataDir: string,
  options: { pid?: number; now?: () => Date } = {},
): Promise<RuntimeLock> {
  const pid = options.pid ?? process.pid;
  const now = options.now ?? (() => new Date());
  const path = join(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true });
  const info: LockInfo = { pid, startedAt: now().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      let released = false;
      return {
        path,
        async update(url, dynamo) {
          info.url = url;
          if (dynamo) info.dynamo = dynamo;
          await writeFile(path, `${JSON.stringify(info)}\n`);
        },
        async release() {
          if (released) return;
          released = true;
          const holder = await readHolder(path);
          if (holder?.pid === pid) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    // Our own pid counts as held too: a second runtime in this process (tests, a library user).
    if (holder && isAlive(holder.pid)) throw new RuntimeLockedError(dataDir, holder);
    // Stale: its process is gone. Remove and try again (another starter may win the race).
    await rm(path, { force: true });
  }
  const holder = await readHolder(path);
  throw new RuntimeLockedError(dataDir, holder ?? { pid: 0, startedAt: '' });
}
