/**
 * Two buckets: the site bucket holds only public site files at their paths (what CloudFront
 * serves); the state bucket, which no CloudFront origin reaches, holds the publish handler's
 * private state, drafts included:
 *
 * - `index.json` — the post index (`core/post-index.ts`), one object;
 * - `posts/<encoded id>.json` — each post's rendered fragments (site and portable HTML).
 *
 * Older versions kept that state under `_herald/state/` in the site bucket, where a CloudFront
 * behaviour could serve it. The first read of a state bucket without an index moves that legacy
 * state over and deletes it from the site bucket.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { IoCounter, SiteStore } from '../app/ports.ts';
import { mapLimit } from '../core/map-limit.ts';
import type { PostFragments } from '../core/plan-site-update.ts';
import { emptyIndex, parsePostIndex } from '../core/post-index.ts';

/** A fresh counter. */
export function createIoCounter(): IoCounter {
  return { reads: 0, notModified: 0, writes: 0, deletes: 0 };
}

/** Thrown when the site bucket cannot be read or written. */
export class SiteBucketError extends Error {
  override name = 'SiteBucketError';
}

/** Where older versions kept the state inside the site bucket; still never served, and migrated away. */
export const STATE_PREFIX = '_herald/state/';
const INDEX_KEY = 'index.json';
const fragmentKey = (id: string) => `posts/${encodeURIComponent(id)}.json`;

/**
 * `Cache-Control` for a site path: pages, feeds and the sitemap change with every post, so
 * CloudFront and browsers keep them five minutes; the stylesheet and script are not fingerprinted,
 * so an hour; uploaded assets (images) a week.
 */
export function cacheControlFor(path: string): string {
  if (path.startsWith('/assets/')) return 'public, max-age=604800';
  if (path === '/style.css' || path === '/subscribe.js') return 'public, max-age=3600';
  return 'public, max-age=300';
}

/** Site path `/a/b.html` → object key `a/b.html`. */
export function siteKey(path: string): string {
  return path.replace(/^\/+/, '');
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * The S3 implementation: site files in `bucket`, state in `stateBucket` (never the same bucket).
 * `concurrency` bounds parallel PUTs (default 16).
 */
export function createS3SiteStore(options: {
  client: S3Client;
  bucket: string;
  stateBucket: string;
  counter?: IoCounter;
  concurrency?: number;
}): SiteStore {
  const { client, bucket, stateBucket } = options;
  if (stateBucket === bucket) {
    throw new SiteBucketError(`state bucket ${stateBucket}: must not be the public site bucket`);
  }
  const counter = options.counter ?? createIoCounter();
  const concurrency = options.concurrency ?? 16;

  const fail = (action: string, error: unknown): never => {
    throw new SiteBucketError(`${action} failed`, { cause: error });
  };

  async function put(
    target: string,
    key: string,
    body: string | Uint8Array,
    contentType: string,
    cacheControl: string,
  ) {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: target,
          Key: key,
          Body: body,
          ContentType: contentType,
          CacheControl: cacheControl,
        }),
      );
      counter.writes += 1;
    } catch (error) {
      fail(`put s3://${target}/${key}`, error);
    }
  }

  async function getText(target: string, key: string): Promise<string | undefined> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: target, Key: key }));
      counter.reads += 1;
      return out.Body ? await out.Body.transformToString('utf8') : 'null';
    } catch (error) {
      if (isMissing(error)) return undefined;
      return fail(`get s3://${target}/${key}`, error);
    }
  }

  async function getJson(target: string, key: string): Promise<unknown> {
    const text = await getText(target, key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  // One DeleteObject per key, one after another: a publish deletes a handful of files at most
  // (a moved page, a tag that lost its last post), and s3rver fails DeleteObjects in one folder.
  async function deleteKeys(target: string, keys: readonly string[]) {
    for (const key of keys) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: target, Key: key }));
        counter.deletes += 1;
      } catch (error) {
        fail(`delete s3://${target}/${key}`, error);
      }
    }
  }

  async function listKeys(target: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await client.send(
          new ListObjectsV2Command({ Bucket: target, Prefix: prefix, ContinuationToken: token }),
        );
        for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = out.NextContinuationToken;
      } while (token);
    } catch (error) {
      fail(`list s3://${target}/${prefix}`, error);
    }
    return keys;
  }

  // Moves state an older version left under the site bucket's `_herald/state/` into the state
  // bucket (index last, so an interrupted move is redone), then deletes it from the site bucket.
  async function migrateLegacyState(): Promise<unknown> {
    const legacyIndex = await getText(bucket, `${STATE_PREFIX}${INDEX_KEY}`);
    const legacyKeys = await listKeys(bucket, STATE_PREFIX);
    if (legacyIndex === undefined && legacyKeys.length === 0) return undefined;
    const moved = legacyKeys.filter((key) => key !== `${STATE_PREFIX}${INDEX_KEY}`);
    await mapLimit(moved, concurrency, async (key) => {
      const body = await getText(bucket, key);
      if (body !== undefined) {
        await put(stateBucket, key.slice(STATE_PREFIX.length), body, 'application/json', 'no-store');
      }
    });
    if (legacyIndex !== undefined) {
      await put(stateBucket, INDEX_KEY, legacyIndex, 'application/json', 'no-store');
    }
    await deleteKeys(bucket, legacyKeys);
    return legacyIndex === undefined ? undefined : JSON.parse(legacyIndex);
  }

  return {
    async writeFiles(files) {
      await mapLimit(files, concurrency, (file) =>
        put(bucket, siteKey(file.path), file.body, file.contentType, cacheControlFor(file.path)),
      );
    },

    async deleteFiles(paths) {
      await deleteKeys(bucket, paths.map(siteKey));
    },

    async readIndex() {
      const value = (await getJson(stateBucket, INDEX_KEY)) ?? (await migrateLegacyState());
      return value === undefined ? emptyIndex() : parsePostIndex(value, `s3://${stateBucket}/${INDEX_KEY}`);
    },

    async writeIndex(index) {
      await put(stateBucket, INDEX_KEY, JSON.stringify(index), 'application/json', 'no-store');
    },

    async readFragments(ids) {
      const found = new Map<string, PostFragments>();
      await mapLimit(ids, concurrency, async (id) => {
        const value = (await getJson(stateBucket, fragmentKey(id))) as Partial<PostFragments> | undefined;
        if (value && typeof value.html === 'string' && typeof value.portableHtml === 'string') {
          found.set(id, { html: value.html, portableHtml: value.portableHtml });
        }
      });
      return found;
    },

    async writeFragments(id, fragments) {
      await put(
        stateBucket,
        fragmentKey(id),
        JSON.stringify({ html: fragments.html, portableHtml: fragments.portableHtml }),
        'application/json',
        'no-store',
      );
    },

    async deleteFragments(id) {
      await deleteKeys(stateBucket, [fragmentKey(id)]);
    },
  };
}
