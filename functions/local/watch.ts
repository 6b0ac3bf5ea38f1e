/**
 * Mirrors the content folder into the local buckets the way a deploy does on AWS: everything into
 * the content bucket with removed files pruned (the `Upload` BucketDeployment, which is what
 * triggers `publish`), and `assets/` into the site bucket without pruning (the `Assets` one).
 * Then watches the folder and mirrors again, debounced, so saving a post publishes it.
 *
 * Watching uses chokidar: Node's recursive `fs.watch` arms its subfolder watchers asynchronously on
 * Linux, with no signal for when they are armed, so a post saved just after start could go unseen.
 * chokidar's `ready` fires only when every folder is watched, and it picks up folders created later
 * and editors' write-to-temp-then-rename saves. A periodic re-scan (cheap: size and mtime first)
 * is the second line of defence against any event the platform drops.
 *
 * Each pass compares the folder with what was last uploaded (MD5, the S3 ETag), so unchanged files
 * are never re-uploaded: a restart with unchanged content publishes nothing again, and an editor's
 * save-as-temp-then-rename dance ends in at most one upload. Site config goes first and posts
 * last, so `publish` always reads the config the posts were written against.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { watch as chokidarWatch } from 'chokidar';
import { contentTypeFor } from '../core/content-type.ts';
import { createDebouncedRunner } from './debounced-runner.ts';

/** Options for {@link createContentMirror}. */
export interface ContentMirrorOptions {
  dir: string;
  client: S3Client;
  contentBucket: string;
  siteBucket: string;
  /** Folder (inside `dir`) copied to the site bucket under the same name. Default `assets`. */
  assetsDir?: string;
  /** How folder changes are observed. Default {@link watchFolder} (chokidar). */
  watchFolder?: WatchFolder;
}

/**
 * Calls `onChange` for every change below `dir` that {@link isIgnored} lets through. Resolves once
 * every folder is watched, so a file saved afterwards is guaranteed to be reported.
 */
export type WatchFolder = (
  dir: string,
  onChange: () => void,
  onError: (error: unknown) => void,
) => Promise<{ close(): Promise<void> }>;

/** {@link WatchFolder} with chokidar. */
export const watchFolder: WatchFolder = async (dir, onChange, onError) => {
  const watcher = chokidarWatch(dir, {
    ignoreInitial: true,
    ignored: (path: string) => {
      const rel = relative(dir, path).split(sep).join('/');
      return rel !== '' && !rel.startsWith('..') && isIgnored(rel);
    },
  });
  watcher.on('all', () => onChange());
  try {
    await new Promise<void>((resolve, reject) => {
      watcher.once('ready', resolve);
      watcher.once('error', reject);
    });
  } catch (error) {
    await watcher.close();
    throw error;
  }
  watcher.on('error', onError);
  return { close: () => watcher.close() };
};

/** What one pass changed. */
export interface MirrorReport {
  uploaded: string[];
  removed: string[];
  assets: number;
}

/** Keeps the buckets in step with the folder. */
export interface ContentMirror {
  /** One pass: upload what changed, prune what is gone; `force` uploads everything again. */
  sync(options?: { force?: boolean }): Promise<MirrorReport>;
  /**
   * Watches the folder and syncs `debounceMs` after the last change, and every `rescanMs` anyway.
   * Resolves once every folder is watched: a file saved after that is guaranteed to be mirrored.
   */
  watch(options: {
    debounceMs?: number;
    /** Safety re-scan interval; 0 turns it off. Default 30 s. */
    rescanMs?: number;
    onSync?: (report: MirrorReport) => void;
    onError?: (error: unknown) => void;
  }): Promise<ContentWatcher>;
}

/** A running watcher. */
export interface ContentWatcher {
  /** Resolves when no change is waiting and no pass is running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const CONFIG_FILES = new Set(['site.yml', '_config.yml']);

/** Files a deploy would not want: dotfiles, editor backups and swap files. */
export function isIgnored(relPath: string): boolean {
  return relPath
    .split('/')
    .some(
      (part) =>
        part.startsWith('.') ||
        part.endsWith('~') ||
        /^#.*#$/.test(part) ||
        /\.(swp|swx|tmp|crdownload)$/i.test(part),
    );
}

function isPost(key: string): boolean {
  return /(^|\/)(posts|_posts|_drafts)\//.test(key) && /\.(md|markdown)$/.test(key);
}

/** Upload order: config, then everything else, then posts by name (their date). */
function rank(key: string): number {
  if (CONFIG_FILES.has(key)) return 0;
  return isPost(key) ? 2 : 1;
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A folder removed while we walk it is simply gone.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      if (isIgnored(rel)) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(rel);
    }
  };
  await walk(root);
  return out;
}

async function listBucket(client: S3Client, bucket: string, prefix?: string): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key) etags.set(object.Key, (object.ETag ?? '').replace(/"/g, ''));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return etags;
}

/** Builds the mirror; nothing happens until `sync()` or `watch()`. */
export function createContentMirror(options: ContentMirrorOptions): ContentMirror {
  const assetsDir = options.assetsDir ?? 'assets';
  // What each bucket holds, by key → MD5; filled from the bucket on the first pass.
  let content: Map<string, string> | undefined;
  let site: Map<string, string> | undefined;
  // Skips re-hashing files whose size and mtime did not change.
  const hashes = new Map<string, { size: number; mtimeMs: number; md5: string }>();

  async function md5Of(rel: string): Promise<{ md5: string; body?: Buffer } | undefined> {
    const full = join(options.dir, rel);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const known = hashes.get(rel);
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return { md5: known.md5 };
    const body = await readFile(full).catch(() => undefined);
    if (!body) return undefined;
    const md5 = createHash('md5').update(body).digest('hex');
    hashes.set(rel, { size: info.size, mtimeMs: info.mtimeMs, md5 });
    return { md5, body };
  }

  async function put(bucket: string, key: string, rel: string, body: Buffer | undefined): Promise<void> {
    await options.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body ?? (await readFile(join(options.dir, rel))),
        ContentType: contentTypeFor(key),
      }),
    );
  }

  // One pass at a time: the watcher's passes and explicit syncs never interleave their uploads.
  let last: Promise<unknown> = Promise.resolve();
  function sync(pass: { force?: boolean } = {}): Promise<MirrorReport> {
    const next = last.then(
      () => syncOnce(pass),
      () => syncOnce(pass),
    );
    last = next.catch(() => undefined);
    return next;
  }

  async function syncOnce(pass: { force?: boolean }): Promise<MirrorReport> {
    content ??= await listBucket(options.client, options.contentBucket);
    if (pass.force) for (const key of content.keys()) content.set(key, '');
    site ??= await listBucket(options.client, options.siteBucket, `${assetsDir}/`);
    const files = (await listFiles(options.dir)).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const report: MirrorReport = { uploaded: [], removed: [], assets: 0 };
    const present = new Set<string>();
    for (const rel of files) {
      const hashed = await md5Of(rel);
      if (!hashed) continue;
      present.add(rel);
      if (content.get(rel) !== hashed.md5) {
        await put(options.contentBucket, rel, rel, hashed.body);
        content.set(rel, hashed.md5);
        report.uploaded.push(rel);
      }
      if (rel.startsWith(`${assetsDir}/`) && site.get(rel) !== hashed.md5) {
        await put(options.siteBucket, rel, rel, hashed.body);
        site.set(rel, hashed.md5);
        report.assets++;
      }
    }
    // Posts removed last, after their replacements (a rename) were uploaded.
    const gone = [...content.keys()].filter((key) => !present.has(key)).sort((a, b) => rank(a) - rank(b));
    for (const key of gone) {
      await options.client.send(new DeleteObjectCommand({ Bucket: options.contentBucket, Key: key }));
      content.delete(key);
      hashes.delete(key);
      report.removed.push(key);
    }
    return report;
  }

  return {
    sync,
    async watch({ debounceMs = 150, rescanMs = 30_000, onSync, onError }) {
      const passes = createDebouncedRunner(async () => {
        try {
          const report = await sync({});
          if (report.uploaded.length + report.removed.length + report.assets > 0) onSync?.(report);
        } catch (error) {
          onError?.(error);
        }
      }, debounceMs);
      const folder = await (options.watchFolder ?? watchFolder)(
        options.dir,
        () => passes.trigger(),
        (error) => onError?.(error),
      ).catch(async (error: unknown) => {
        await passes.close();
        throw error;
      });
      const rescan = rescanMs > 0 ? setInterval(() => passes.trigger(), rescanMs) : undefined;
      rescan?.unref();
      return {
        idle: () => passes.idle(),
        async close() {
          clearInterval(rescan);
          await folder.close();
          await passes.close();
        },
      };
    },
  };
}
