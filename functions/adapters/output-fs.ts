import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { createReadPace, type ReadPace } from './read-files.ts';

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

/** `now()` timed by `pace` while it says synchronous work is quick, else `later()`; a promise either way. */
function paced(pace: ReadPace, now: () => unknown, later: () => Promise<unknown>): Promise<unknown> {
  if (!pace.synchronous) return later();
  try {
    return Promise.resolve(pace.time(now));
  } catch (error) {
    return Promise.reject(error);
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

/** Writes files into a new output folder as they come; see {@link openOutput}. */
export interface OutputWriter {
  /** Queues one file; resolves once fewer than `concurrency` writes are in flight. */
  write(file: OutputFile): Promise<void>;
  /** Waits for every write, then swaps the new folder in for `outDir`. */
  commit(): Promise<{ files: number; bytes: number }>;
  /** Removes everything written so far; the previous output stays as it was. */
  abort(): Promise<void>;
}

/** How {@link openOutput} writes. */
export interface OutputOptions {
  /** Writes in flight at once (default 16). */
  concurrency?: number;
  /** Paces reads of kept files (default: synchronous while they are quick). */
  readPace?: ReadPace;
  /** Paces the creation of folders and files (default: one pace each, synchronous while quick). */
  writePace?: ReadPace;
}

/** Where the previous output is kept for the next build to reuse: next to `outDir`, hidden. */
export function spareDirOf(outDir: string): string {
  const target = resolve(outDir);
  return join(dirname(target), `.${basename(target)}.herald-spare`);
}

/** The folder a build writes into: a fresh one, or the previous output it reuses. */
interface Staging {
  dir: string;
  /**
   * For a reused folder: the files and folders it held (relative platform paths) when claimed, and the
   * files removed because this build needs a folder where they lie.
   */
  reused?: { files: Set<string>; dirs: string[]; cleared: Map<string, Promise<void>> };
}

/**
 * Starts replacing `outDir`, all or nothing: files go into a temp folder next to `outDir` (made on
 * the first write) as the caller produces them, so a large site is never held in memory whole;
 * {@link OutputWriter.commit} replaces `outDir` once every write succeeded, and
 * {@link OutputWriter.abort} (or a failed write) removes the temp folder and leaves the previous
 * output exactly as it was.
 *
 * The output replaced by a commit is not deleted but kept next to it (`spareDirOf`, with a
 * `.gitignore` of its own), and the next build writes into it: a file whose bytes are already there is
 * left alone, any other is replaced (never written through a link), and what the build did not write is
 * removed before the swap. A build that changes few pages then writes few files and deletes none,
 * where writing every file afresh and deleting the old tree cost seconds at 10,000 pages. Two builds at
 * once never share it: the first to rename it takes it, the other starts a fresh folder.
 *
 * @throws OutputError (from `write` or `commit`) naming the file that failed, with the underlying
 *   error as `cause`.
 */
export function openOutput(outDir: string, options: OutputOptions = {}): OutputWriter {
  const target = resolve(outDir);
  const spare = spareDirOf(target);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  let temp: Promise<Staging> | undefined;
  const makeTemp = async (): Promise<Staging> => {
    const parent = dirname(target);
    await mkdir(parent, { recursive: true });
    const claimed = await claimSpare(spare, join(parent, `.${basename(target)}.tmp-${suffix()}`));
    if (claimed) return claimed;
    const dir = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
    await chmod(dir, 0o755);
    return { dir };
  };
  const seen = new Set<string>();
  const dirs = new Map<string, Promise<unknown>>();
  // Folders are made synchronously while that is quick (a memory file system, a fast disk), paced as
  // reads are: the promise API's recursive mkdir cost the main thread 50–70 µs a folder here, a
  // synchronous one 8 µs on tmpfs (1,344 date folders: 62–92 ms against 11 ms). Once the median of a
  // group takes longer than a disk read, the rest are made asynchronously.
  const dirPace = options.writePace ?? createReadPace();
  // Files too, and for the same reason: a synchronous write cost the main thread about 40 µs a file on
  // tmpfs, the promise API's about 90 µs (10,000 files of 15 KB).
  const writePace = options.writePace ?? createReadPace();
  const writeNew = (path: string, body: Uint8Array): Promise<unknown> =>
    paced(
      writePace,
      () => writeFileSync(path, body, { flag: 'wx' }),
      () => writeFile(path, body, { flag: 'wx' }),
    );
  const ensureDir = (dir: string) => {
    let made = dirs.get(dir);
    if (!made) {
      made = paced(
        dirPace,
        () => mkdirSync(dir, { recursive: true }),
        () => mkdir(dir, { recursive: true }),
      );
      dirs.set(dir, made);
    }
    return made;
  };
  const inFlight = new Set<Promise<void>>();
  let failure: OutputError | undefined;
  let count = 0;
  let bytes = 0;

  const compare = createComparer(options.readPace ?? createReadPace());

  /**
   * Writes one file into a reused folder: skipped when its bytes are there, else replaced. Returns its
   * size in bytes.
   */
  const writeReused = async (
    staging: Staging,
    relativePath: string,
    body: string | Uint8Array,
  ): Promise<number> => {
    const reused = staging.reused;
    const full = join(staging.dir, relativePath);
    if (reused?.files.has(relativePath)) {
      const kept = await compare(full, body);
      if (kept !== undefined) return kept;
      // A new file, not the old one truncated: a hard link in the old tree is never written through.
      await rm(full, { force: true });
    }
    try {
      await ensureDir(dirname(full));
    } catch (error) {
      // A file of the previous output where this build needs a folder: remove it, if it is stale (once,
      // however many of this build's files are waiting for that folder).
      const blocker = reused && staleAncestor(reused.files, seen, relativePath);
      if (!reused || !blocker) throw error;
      let removing = reused.cleared.get(blocker);
      if (!removing) {
        removing = rm(join(staging.dir, blocker), { force: true });
        reused.cleared.set(blocker, removing);
      }
      await removing;
      const made = mkdir(dirname(full), { recursive: true });
      dirs.set(dirname(full), made);
      await made;
    }
    // Encoded once here, and counted from that: writing a string encodes it anyway, and counting its
    // bytes apart (Buffer.byteLength) walked every page a second time (about 90 ms of a cold build of
    // 10,000 posts).
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      await writeNew(full, data);
    } catch (error) {
      // A folder of the previous output where this build writes a file.
      const code = (error as NodeJS.ErrnoException).code;
      const ours = [...seen].some((p) => p.startsWith(relativePath + sep));
      if (!reused || (code !== 'EEXIST' && code !== 'EISDIR') || ours) throw error;
      await rm(full, { recursive: true, force: true });
      await writeNew(full, data);
    }
    return data.byteLength;
  };

  const writeOne = async (file: OutputFile, relativePath: string) => {
    try {
      temp ??= makeTemp();
      const staging = await temp;
      const size = await writeReused(staging, relativePath, file.body);
      // Added after the await: `bytes += await …` would add to the total read before it.
      bytes += size;
    } catch (error) {
      failure ??= new OutputError(`cannot write "${file.path}" into ${outDir}: ${(error as Error).message}`, {
        outDir,
        file: file.path,
        cause: error,
      });
      return;
    }
    count++;
  };
  const settle = async () => {
    await Promise.all(inFlight);
    if (failure) throw failure;
  };

  return {
    async write(file) {
      if (failure) throw failure;
      const relativePath = safeRelative(file.path, outDir);
      if (seen.has(relativePath)) {
        throw new OutputError(`two files want the same path "${file.path}"`, { outDir, file: file.path });
      }
      seen.add(relativePath);
      const done = writeOne(file, relativePath).finally(() => inFlight.delete(done));
      inFlight.add(done);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) throw failure;
    },
    async commit() {
      try {
        await settle();
        temp ??= makeTemp();
        const staging = await temp;
        if (staging.reused) await removeStale(staging.dir, staging.reused, seen);
        await swapInto(staging.dir, target, outDir);
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
      const staging = temp && (await temp.catch(() => undefined));
      if (!staging) return;
      // A reused folder goes back for the next build (it compares bytes, so any mix of files is fine).
      if (
        staging.reused &&
        (await rename(staging.dir, spare).then(
          () => true,
          () => false,
        ))
      )
        return;
      await rm(staging.dir, { recursive: true, force: true });
    },
  };
}

function suffix(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Takes the kept previous output as this build's folder, renaming it to `dir` (atomic: a concurrent
 * build gets nothing and starts afresh). Anything in it that is neither a file nor a folder (a
 * symbolic link, say) is removed, so no write can land outside it. `undefined` when there is none or it
 * cannot be used.
 */
async function claimSpare(spare: string, dir: string): Promise<Staging | undefined> {
  try {
    await rename(spare, dir);
  } catch {
    return undefined;
  }
  try {
    if (!(await lstat(dir)).isDirectory()) throw new Error('not a folder');
    const files = new Set<string>();
    const dirs: string[] = [];
    // Not synchronous: with the folders out of the kernel's cache, listing 10,000 of them took 1.3 s here,
    // which the promise API spends on the thread pool while the main thread renders pages.
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      if (entry.isFile()) files.add(relative(dir, path));
      else if (entry.isDirectory()) dirs.push(relative(dir, path));
      else await rm(path, { force: true });
    }
    await chmod(dir, 0o755);
    return { dir, reused: { files, dirs, cleared: new Map() } };
  } catch {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return undefined;
  }
}

/**
 * Compares kept files with what a build writes. While the page cache serves them ({@link ReadPace}),
 * a file is read synchronously into a reused buffer and compared with the body encoded into another:
 * no allocation per file, where reading and encoding 10,000 pages afresh took over a second here.
 */
function createComparer(
  pace: ReadPace,
): (path: string, body: string | Uint8Array) => Promise<number | undefined> {
  let encoded = Buffer.alloc(64 * 1024);
  // Read a chunk at a time, so a large asset does not grow a buffer that lives as long as the build.
  const chunk = Buffer.alloc(1024 * 1024);
  const bytesOf = (body: string | Uint8Array): Uint8Array => {
    if (typeof body !== 'string') return body;
    // Three bytes per UTF-16 unit is the most UTF-8 needs, so the body always fits whole. A rare huge
    // page is encoded on its own rather than growing the buffer for the rest of the build.
    if (body.length * 3 > 16 * 1024 * 1024) return Buffer.from(body);
    if (encoded.length < body.length * 3) encoded = Buffer.alloc(body.length * 3);
    return encoded.subarray(0, encoded.write(body));
  };
  /** The file's size when it holds exactly `body`'s bytes, else undefined. */
  const storedEquals = (path: string, body: string | Uint8Array): number | undefined => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const expected = bytesOf(body);
      const size = fstatSync(fd).size;
      if (size !== expected.byteLength) return undefined;
      let at = 0;
      while (at < size) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
        if (n === 0 || !chunk.subarray(0, n).equals(expected.subarray(at, at + n))) return undefined;
        at += n;
      }
      return size;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  };
  return async (path, body) => {
    if (pace.synchronous) return pace.time(() => storedEquals(path, body));
    try {
      const kept = await readFile(path);
      const expected = typeof body === 'string' ? Buffer.from(body) : body;
      return kept.length === expected.byteLength && kept.equals(expected) ? kept.length : undefined;
    } catch {
      return undefined;
    }
  };
}

/** The first folder on the way to `path` that is a file of the previous output this build did not write. */
function staleAncestor(files: ReadonlySet<string>, written: ReadonlySet<string>, path: string) {
  const parts = path.split(sep);
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join(sep);
    if (files.has(ancestor) && !written.has(ancestor)) return ancestor;
  }
  return undefined;
}

/** Removes from a reused folder what this build did not write, then the folders left empty. */
async function removeStale(
  dir: string,
  reused: NonNullable<Staging['reused']>,
  written: ReadonlySet<string>,
): Promise<void> {
  const stale = [...reused.files].filter((path) => !written.has(path) && !reused.cleared.has(path));
  for (let i = 0; i < stale.length; i += 64) {
    await Promise.all(
      stale.slice(i, i + 64).map((path) =>
        // Gone already when this build replaced a folder above it by a file.
        rm(join(dir, path), { force: true }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOTDIR') throw error;
        }),
      ),
    );
  }
  // Only folders above none of this build's files can be empty.
  const live = new Set<string>();
  for (const path of written) {
    for (
      let at = path.lastIndexOf(sep);
      at > 0 && !live.has(path.slice(0, at));
      at = path.lastIndexOf(sep, at - 1)
    ) {
      live.add(path.slice(0, at));
    }
  }
  const deepestFirst = reused.dirs
    .filter((path) => !live.has(path))
    .sort((a, b) => b.split(sep).length - a.split(sep).length);
  for (const path of deepestFirst) await rmdir(join(dir, path)).catch(() => undefined);
}

/**
 * Writes `files` as the complete new content of `outDir`, all or nothing (see {@link openOutput}).
 *
 * @throws OutputError naming the file that failed, with the underlying error as `cause`.
 */
export async function writeOutput(
  outDir: string,
  files: Iterable<OutputFile>,
  options: OutputOptions = {},
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

/**
 * Two renames on the same file system: the old output disappears only after the new one is complete.
 * When another build swaps its output in between (two builds at once), this one moves that aside and
 * tries again, so the last build to finish wins, whole.
 */
async function swapInto(temp: string, target: string, outDir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let old: string | undefined = join(dirname(target), `.${basename(target)}.old-${suffix()}`);
    try {
      await rename(target, old);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      old = undefined;
    }
    try {
      await rename(temp, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const raced = code === 'ENOTEMPTY' || code === 'EEXIST';
      if (old) await rename(old, target).catch(() => keepAsSpare(old as string, target));
      if (raced && attempt < 5) continue;
      throw new OutputError(`cannot move the new output into ${outDir}: ${(error as Error).message}`, {
        outDir,
        cause: error,
      });
    }
    if (old) await keepAsSpare(old, target);
    return;
  }
}

/** Keeps a replaced output for the next build (see openOutput), unless another build's is already there. */
async function keepAsSpare(old: string, target: string): Promise<void> {
  const spare = spareDirOf(target);
  try {
    await rename(old, spare);
  } catch {
    await rm(old, { recursive: true, force: true });
    return;
  }
  await writeFile(
    join(spare, '.gitignore'),
    '# Herald keeps its previous output here to reuse it.\n*\n',
  ).catch(() => undefined);
}
