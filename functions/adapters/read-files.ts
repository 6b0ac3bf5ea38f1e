import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { mapLimit } from '../core/map-limit.ts';

/** How many files are read at once when reading waits on the disk. */
const OPEN_AT_ONCE = 32;
/** Synchronous reads judged together (the first such group also warms up the reading code). */
const GROUP = 64;
/**
 * Median time per file above which synchronous reads are taken to wait on the disk. Measured here:
 * files of about 7 KB took 0.03 to 0.08 ms each from the page cache, 0.12 to 0.5 ms each from the disk.
 */
const SLOW_FILE_MS = 0.15;

/**
 * Decides between synchronous and asynchronous reads of many files. Files the page cache holds (a
 * rebuild reading its sources and its previous output) are read fastest synchronously: a few system
 * calls each, with no round trip through libuv's thread pool per call (about three times faster at
 * 10,000 files here). Once the median read of a group takes longer than a disk read, the caller should
 * read asynchronously, a few at a time, so the event loop is not held while the disk works. The median,
 * not the mean: a read that happens to pay for a garbage collection (80 ms here) must not switch it.
 */
export interface ReadPace {
  /** Whether the next read should be synchronous. */
  readonly synchronous: boolean;
  /** Runs one synchronous read and counts its time. */
  time<T>(read: () => T): T;
}

/** @param clock milliseconds, from any origin (a test passes a fake one). */
export function createReadPace(clock: () => number = () => performance.now()): ReadPace {
  const group: number[] = [];
  let warmedUp = false;
  let slow = false;
  return {
    get synchronous() {
      return !slow;
    },
    time(read) {
      const started = clock();
      try {
        return read();
      } finally {
        group.push(clock() - started);
        if (group.length === GROUP) {
          group.sort((a, b) => a - b);
          if (warmedUp && (group[GROUP / 2] ?? 0) > SLOW_FILE_MS) slow = true;
          warmedUp = true;
          group.length = 0;
        }
      }
    },
  };
}

/**
 * Reads many files, returning their contents in the order of `paths`, synchronously while the page
 * cache serves them (see {@link createReadPace}), else asynchronously with at most a few open at a
 * time: a folder of thousands of posts must not run into the open-files limit (256 on macOS, often
 * 1,024 on Linux), which reading them all at once did.
 *
 * @throws the first read's error (ENOENT, EISDIR, …), which names the path.
 */
export function readFiles(paths: readonly string[], encoding: 'utf8', pace?: ReadPace): Promise<string[]>;
export function readFiles(paths: readonly string[], encoding?: undefined, pace?: ReadPace): Promise<Buffer[]>;
export async function readFiles(
  paths: readonly string[],
  encoding?: 'utf8',
  pace: ReadPace = createReadPace(),
): Promise<(string | Buffer)[]> {
  const results = new Array<string | Buffer>(paths.length);
  let next = 0;
  for (; next < paths.length && pace.synchronous; next++) {
    const path = paths[next] as string;
    results[next] = pace.time(() => (encoding ? readFileSync(path, encoding) : readFileSync(path)));
  }
  const rest = await mapLimit(
    paths.slice(next),
    OPEN_AT_ONCE,
    (path): Promise<string | Buffer> => (encoding ? readFile(path, encoding) : readFile(path)),
  );
  for (const [i, body] of rest.entries()) results[next + i] = body;
  return results;
}
