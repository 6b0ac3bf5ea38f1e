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

/**
 * Writes `files` as the complete new content of `outDir`, all or nothing: everything goes into a
 * temp folder next to `outDir`, which replaces `outDir` only once every write succeeded. On failure
 * the temp folder is removed and the previous output stays exactly as it was.
 *
 * @throws OutputError naming the file that failed, with the underlying error as `cause`.
 */
export async function writeOutput(
  outDir: string,
  files: Iterable<OutputFile>,
  options: { concurrency?: number } = {},
): Promise<{ files: number; bytes: number }> {
  const target = resolve(outDir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  // mkdtemp makes the folder private (0700); the output is a website, readable like any other folder.
  await chmod(temp, 0o755);

  let count = 0;
  let bytes = 0;
  try {
    const seen = new Set<string>();
    const queue: { full: string; file: OutputFile }[] = [];
    for (const file of files) {
      const relative = safeRelative(file.path, outDir);
      if (seen.has(relative)) {
        throw new OutputError(`two files want the same path "${file.path}"`, { outDir, file: file.path });
      }
      seen.add(relative);
      queue.push({ full: join(temp, relative), file });
    }

    const dirs = new Map<string, Promise<unknown>>();
    const ensureDir = (dir: string) => {
      let made = dirs.get(dir);
      if (!made) {
        made = mkdir(dir, { recursive: true });
        dirs.set(dir, made);
      }
      return made;
    };
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (!stopped && next < queue.length) {
        const item = queue[next++];
        if (!item) break;
        try {
          await ensureDir(dirname(item.full));
          await writeFile(item.full, item.file.body);
        } catch (error) {
          stopped = true;
          throw new OutputError(
            `cannot write "${item.file.path}" into ${outDir}: ${(error as Error).message}`,
            {
              outDir,
              file: item.file.path,
              cause: error,
            },
          );
        }
        count++;
        bytes +=
          typeof item.file.body === 'string' ? Buffer.byteLength(item.file.body) : item.file.body.byteLength;
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? 16, queue.length));
    const results = await Promise.allSettled(Array.from({ length: workers }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    await swapInto(temp, target, outDir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot write the output to ${outDir}: ${(error as Error).message}`, {
      outDir,
      cause: error,
    });
  }
  return { files: count, bytes };
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
