import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** One file to write, at a path relative to the output folder. */
export interface OutputFile {
  /** `/`-separated path inside the output folder, e.g. `site/index.html`; no `..`, not absolute. */
  path: string;
  body: string | Uint8Array;
}

/** Writing the output failed; the previous output (if any) is untouched. */
export class OutputError extends Error {
  override name = 'OutputError';
  readonly outDir: string;
  readonly file?: string;

  constructor(message: string, details: { outDir: string; file?: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.outDir = details.outDir;
    if (details.file !== undefined) this.file = details.file;
  }
}

/** Checks a relative output path and returns it as a platform path; throws on anything that could escape. */
function safeRelative(path: string, outDir: string): string {
  const parts = path.replace(/^\/+/, '').split('/');
  const bad =
    path.length === 0 ||
    path.includes('\0') ||
    path.includes('\\') ||
    parts.some((p) => p === '' || p === '.' || p === '..');
  if (bad)
    throw new OutputError(`refusing to write "${path}": not a plain relative path`, { outDir, file: path });
  return parts.join(sep);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes files into a new output folder as they come; see {@link openOutput}. */
export interface OutputWriter {
  /** Queues one file; resolves once fewer than `concurrency` writes are in flight. */
  write(file: OutputFile): Promise<void>;
  /** Waits for every write, then swaps the new folder in for `outDir`. */
  commit(): Promise<{ files: number; bytes: number }>;
  /** Removes everything written so far; the previous output stays as it was. */
  abort(): Promise<void>;
}

/**
 * Starts replacing `outDir`, all or nothing: files go into a temp folder next to `outDir` (made on
 * the first write) as the caller produces them, so a large site is never held in memory whole;
 * {@link OutputWriter.commit} replaces `outDir` once every write succeeded, and
 * {@link OutputWriter.abort} (or a failed write) removes the temp folder and leaves the previous
 * output exactly as it was.
 *
 * @throws OutputError (from `write` or `commit`) naming the file that failed, with the underlying
 *   error as `cause`.
 */
export function openOutput(outDir: string, options: { concurrency?: number } = {}): OutputWriter {
  const target = resolve(outDir);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  let temp: Promise<string> | undefined;
  const makeTemp = async () => {
    const parent = dirname(target);
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
    // mkdtemp makes the folder private (0700); the output is a website, readable like any other folder.
    await chmod(dir, 0o755);
    return dir;
  };
  const seen = new Set<string>();
  const dirs = new Map<string, Promise<unknown>>();
  const ensureDir = (dir: string) => {
    let made = dirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      dirs.set(dir, made);
    }
    return made;
  };
  const inFlight = new Set<Promise<void>>();
  let failure: OutputError | undefined;
  let count = 0;
  let bytes = 0;

  const writeOne = async (file: OutputFile, relative: string) => {
    try {
      temp ??= makeTemp();
      const full = join(await temp, relative);
      await ensureDir(dirname(full));
      await writeFile(full, file.body);
    } catch (error) {
      failure ??= new OutputError(`cannot write "${file.path}" into ${outDir}: ${(error as Error).message}`, {
        outDir,
        file: file.path,
        cause: error,
      });
      return;
    }
    count++;
    bytes += typeof file.body === 'string' ? Buffer.byteLength(file.body) : file.body.byteLength;
  };
  const settle = async () => {
    await Promise.all(inFlight);
    if (failure) throw failure;
  };

  return {
    async write(file) {
      if (failure) throw failure;
      const relative = safeRelative(file.path, outDir);
      if (seen.has(relative)) {
        throw new OutputError(`two files want the same path "${file.path}"`, { outDir, file: file.path });
      }
      seen.add(relative);
      const done = writeOne(file, relative).finally(() => inFlight.delete(done));
      inFlight.add(done);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) throw failure;
    },
    async commit() {
      try {
        await settle();
        temp ??= makeTemp();
        await swapInto(await temp, target, outDir);
      } catch (error) {
        await this.abort();
        if (error instanceof OutputError) throw error;
        throw new OutputError(`cannot write the output to ${outDir}: ${(error as Error).message}`, {
          outDir,
          cause: error,
        });
      }
      return { files: count, bytes };
    },
    async abort() {
      await Promise.allSettled(inFlight);
      const dir = temp && (await temp.catch(() => undefined));
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `files` as the complete new content of `outDir`, all or nothing (see {@link openOutput}).
 *
 * @throws OutputError naming the file that failed, with the underlying error as `cause`.
 */
export async function writeOutput(
  outDir: string,
  files: Iterable<OutputFile>,
  options: { concurrency?: number } = {},
): Promise<{ files: number; bytes: number }> {
  const output = openOutput(outDir, options);
  try {
    for (const file of files) await output.write(file);
  } catch (error) {
    await output.abort();
    throw error;
  }
  return output.commit();
}

/** Two renames on the same file system: the old output disappears only after the new one is complete. */
async function swapInto(temp: string, target: string, outDir: string): Promise<void> {
  if (!(await exists(target))) {
    await rename(temp, target);
    return;
  }
  const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  await rename(target, old);
  try {
    await rename(temp, target);
  } catch (error) {
    await rename(old, target);
    throw new OutputError(`cannot move the new output into ${outDir}: ${(error as Error).message}`, {
      outDir,
      cause: error,
    });
  }
  await rm(old, { recursive: true, force: true });
}
