import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Results of pure, costly steps kept between builds, as Jekyll keeps its Markdown conversions in
 * `.jekyll-cache`: a value is found by a hash of what it was computed from, so a changed input simply
 * misses. The cache never fails a build: anything it cannot read or write is computed again.
 */
export interface BuildCache {
  /** The value stored for `input` under `kind`, or `compute()`'s, which is then stored. */
  get(kind: string, input: string, compute: () => string): string;
  /** The value stored for `input` under `kind`, if any (for values computed asynchronously). */
  peek(kind: string, input: string): string | undefined;
  /** Stores `value` for `input` under `kind`. */
  put(kind: string, input: string, value: string): void;
  /** {@link peek} for bytes: a copy of what is stored, not decoded. */
  peekBytes(kind: string, input: string): Buffer | undefined;
  /** {@link put} for bytes. */
  putBytes(kind: string, input: string, value: Uint8Array): void;
  /** Saves what this build added; drops what no build needs any more when it is mostly garbage. */
  close(): void;
}

/** A stored value: which segment file, where in it, how many bytes (the 20-byte key included). */
type Location = [segment: string, offset: number, length: number];

interface Index {
  format: typeof FORMAT;
  entries: Record<string, Location>;
}

const FORMAT = 1;
const INDEX = 'index.json';
const KEY_BYTES = 20;
/** Compacted when the segments hold more than twice what this build used, plus this much. */
const SLACK_BYTES = 4 * 1024 * 1024;
/** Values are written to the segment file this many bytes at a time. */
const WRITE_BUFFER = 4 * 1024 * 1024;

/** A cache that stores nothing (no folder to keep it in). */
export const NO_BUILD_CACHE: BuildCache = {
  get: (_kind, _input, compute) => compute(),
  peek: () => undefined,
  put() {},
  peekBytes: () => undefined,
  putBytes() {},
  close() {},
};

/**
 * Opens the cache kept in `dir`. Values live in append-only segment files (one per build that added
 * any), found through `index.json`; each value starts with its key, so an index that names a segment
 * another build rewrote is caught on read and the value is computed again.
 */
export function openBuildCache(dir: string): BuildCache {
  let index: Index = { format: FORMAT, entries: {} };
  try {
    const read = JSON.parse(readFileSync(join(dir, INDEX), 'utf8')) as Index;
    if (read.format === FORMAT && read.entries && typeof read.entries === 'object') index = read;
  } catch {
    // No cache yet, or one this version cannot read: start empty.
  }
  const fds = new Map<string, number | undefined>();
  const used = new Map<string, Location>();
  /** This build's segment: `size` bytes in all, the last `pending` of them still in `buffer`. */
  let added: { name: string; fd: number; size: number; buffer: Buffer; pending: number } | undefined;
  let broken = false;

  const fdOf = (segment: string): number | undefined => {
    if (!fds.has(segment)) {
      try {
        fds.set(segment, openSync(join(dir, segment), 'r'));
      } catch {
        fds.set(segment, undefined);
      }
    }
    return fds.get(segment);
  };

  // One buffer for every read: a fresh one per value would leave V8 hundreds of MB of external memory
  // to collect on a large site.
  let scratch = Buffer.allocUnsafe(64 * 1024);
  /** The stored bytes of a value, as a view of the scratch buffer (valid until the next read). */
  const readRaw = (key: Buffer, [segment, offset, length]: Location): Buffer | undefined => {
    if (added && segment === added.name && offset >= added.size - added.pending) {
      // Stored by this build and not written yet: read from the write buffer, no early flush.
      const start = offset - (added.size - added.pending);
      if (length < KEY_BYTES || start + length > added.pending) return undefined;
      const bytes = added.buffer.subarray(start, start + length);
      return bytes.subarray(0, KEY_BYTES).equals(key) ? bytes.subarray(KEY_BYTES) : undefined;
    }
    const fd = fdOf(segment);
    if (fd === undefined || length < KEY_BYTES) return undefined;
    if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
    if (readSync(fd, scratch, 0, length, offset) !== length) return undefined;
    if (!scratch.subarray(0, KEY_BYTES).equals(key)) return undefined;
    return scratch.subarray(KEY_BYTES, length);
  };
  const readValue = (key: Buffer, at: Location): string | undefined => readRaw(key, at)?.toString('utf8');

  /** Writes what `append` collected: one system call per few megabytes, not two per value. */
  const flush = (): void => {
    if (!added || added.pending === 0) return;
    const at = added.size - added.pending;
    if (writeSync(added.fd, added.buffer, 0, added.pending, at) !== added.pending) {
      throw new Error('build cache: short write');
    }
    added.pending = 0;
  };

  const append = (key: Buffer, value: string | Uint8Array): Location => {
    if (!added) {
      mkdirSync(dir, { recursive: true });
      const name = `segment-${process.pid}-${randomBytes(6).toString('hex')}.bin`;
      added = {
        name,
        fd: openSync(join(dir, name), 'w'),
        size: 0,
        buffer: Buffer.allocUnsafe(WRITE_BUFFER),
        pending: 0,
      };
    }
    // A string is encoded straight into the buffer when its longest UTF-8 form (three bytes per UTF-16
    // unit) fits, and measured by that write: counting its bytes first (Buffer.byteLength) walked every
    // string twice (about 120 ms of a cold build of 10,000 posts).
    const most = KEY_BYTES + (typeof value === 'string' ? value.length * 3 : value.byteLength);
    if (added.pending + most > added.buffer.length) flush();
    let length: number;
    if (most > added.buffer.length) {
      length = KEY_BYTES + (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength);
      writeSync(added.fd, key, 0, KEY_BYTES, added.size);
      const written =
        typeof value === 'string'
          ? writeSync(added.fd, value, added.size + KEY_BYTES, 'utf8')
          : writeSync(added.fd, value, 0, value.byteLength, added.size + KEY_BYTES);
      if (written !== length - KEY_BYTES) throw new Error('build cache: short write');
    } else {
      key.copy(added.buffer, added.pending);
      const start = added.pending + KEY_BYTES;
      if (typeof value === 'string') length = KEY_BYTES + added.buffer.write(value, start, 'utf8');
      else {
        added.buffer.set(value, start);
        length = most;
      }
      added.pending += length;
    }
    const location: Location = [added.name, added.size, length];
    added.size += length;
    return location;
  };

  // Fed part by part: a one-shot hash of `kind + input` would first copy each input (a post's whole
  // text, two bytes a character in most posts); whole builds showed no gain from it.
  const keyOf = (kind: string, input: string) =>
    createHash('sha1').update(kind).update('\0').update(input).digest();
  const peekWith = <T>(key: Buffer, read: (key: Buffer, at: Location) => T | undefined): T | undefined => {
    if (broken) return undefined;
    const id = key.toString('hex');
    try {
      const known = used.get(id) ?? index.entries[id];
      const hit = known ? read(key, known) : undefined;
      if (known && hit !== undefined) used.set(id, known);
      return hit;
    } catch {
      broken = true;
      return undefined;
    }
  };
  const peekKey = (key: Buffer): string | undefined => peekWith(key, readValue);
  const putKey = (key: Buffer, value: string | Uint8Array): void => {
    if (broken) return;
    try {
      used.set(key.toString('hex'), append(key, value));
    } catch {
      broken = true;
    }
  };

  return {
    get(kind, input, compute) {
      const key = keyOf(kind, input);
      const hit = peekKey(key);
      if (hit !== undefined) return hit;
      const value = compute();
      putKey(key, value);
      return value;
    },
    peek: (kind, input) => peekKey(keyOf(kind, input)),
    put: (kind, input, value) => putKey(keyOf(kind, input), value),
    peekBytes: (kind, input) =>
      peekWith(keyOf(kind, input), (key, at) => {
        const raw = readRaw(key, at);
        return raw && Buffer.from(raw);
      }),
    putBytes: (kind, input, value) => putKey(keyOf(kind, input), value),
    close() {
      try {
        if (added) {
          flush();
          closeSync(added.fd);
        }
        const before = index.entries;
        const unchanged = !added && Object.keys(before).every((id) => used.has(id));
        if (broken || unchanged) return;
        let entries: Record<string, Location> = { ...before, ...Object.fromEntries(used) };
        const live = [...used.values()].reduce((sum, [, , length]) => sum + length, 0);
        const stored = segmentBytes(dir, entries);
        if (stored > 2 * live + SLACK_BYTES) {
          entries = compact(dir, used, (id, at) => readRaw(Buffer.from(id, 'hex'), at));
        }
        const staging = join(dir, `${INDEX}.${process.pid}.${randomBytes(4).toString('hex')}`);
        writeFileSync(staging, JSON.stringify({ format: FORMAT, entries } satisfies Index));
        renameSync(staging, join(dir, INDEX));
        // Segments the old index named and the new one does not; another build's new segment is never
        // in the old index, so it is left alone.
        const kept = new Set(Object.values(entries).map(([segment]) => segment));
        const candidates = new Set([...Object.values(before).map(([segment]) => segment), added?.name]);
        for (const segment of candidates) {
          if (segment !== undefined && !kept.has(segment)) rmSync(join(dir, segment), { force: true });
        }
      } catch {
        // The next build finds the previous index, or none: it computes what it cannot read.
      } finally {
        for (const fd of fds.values()) if (fd !== undefined) closeSync(fd);
        fds.clear();
      }
    },
  };
}

function segmentBytes(dir: string, entries: Record<string, Location>): number {
  let total = 0;
  for (const segment of new Set(Object.values(entries).map(([s]) => s))) {
    total += statSync(join(dir, segment), { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/** Copies the entries this build used into one new segment; returns their new locations. */
function compact(
  dir: string,
  used: ReadonlyMap<string, Location>,
  /** The stored bytes of a value (a view, used before the next read). */
  read: (id: string, at: Location) => Buffer | undefined,
): Record<string, Location> {
  const name = `segment-${process.pid}-${randomBytes(6).toString('hex')}.bin`;
  const fd = openSync(join(dir, name), 'w');
  const entries: Record<string, Location> = {};
  try {
    let size = 0;
    for (const [id, at] of used) {
      const value = read(id, at);
      if (value === undefined) continue;
      const bytes = Buffer.concat([Buffer.from(id, 'hex'), value]);
      writeSync(fd, bytes, 0, bytes.length, size);
      entries[id] = [name, size, bytes.length];
      size += bytes.length;
    }
    if (fstatSync(fd).size !== size) throw new Error('build cache: short write while compacting');
  } finally {
    closeSync(fd);
  }
  return entries;
}
