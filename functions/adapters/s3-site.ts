/**
 * The site bucket: public site files at their paths (what CloudFront serves), and the publish
 * handler's private state under `_herald/state/` in the same bucket:
 *
 * - `_herald/state/index.json` — the post index (`core/post-index.ts`), one object;
 * - `_herald/state/posts/<encoded id>.json` — each post's rendered fragments (site and portable HTML).
 *
 * One bucket keeps deployment simple; the distribution must never serve the prefix (the infra
 * blocks `/_herald/*`), and a post permalink may not point into it (`pathConflict`).
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { IoCounter, SiteStore } from '../app/ports.ts';
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

/** The private prefix; the site distribution must deny it. */
export const STATE_PREFIX = '_herald/state/';
const INDEX_KEY = `${STATE_PREFIX}index.json`;
const fragmentKey = (id: string) => `${STATE_PREFIX}posts/${encodeURIComponent(id)}.json`;

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

async function inBatches<T>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

/** The S3 implementation. `concurrency` bounds parallel PUTs (default 16). */
export function createS3SiteStore(options: {
  client: S3Client;
  bucket: string;
  counter?: IoCounter;
  concurrency?: number;
}): SiteStore {
  const { client, bucket } = options;
  const counter = options.counter ?? createIoCounter();
  const concurrency = options.concurrency ?? 16;

  const fail = (action: string, error: unknown): never => {
    throw new SiteBucketError(`site bucket ${bucket}: ${action} failed`, { cause: error });
  };

  async function put(key: string, body: string | Uint8Array, contentType: string, cacheControl: string) {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          CacheControl: cacheControl,
        }),
      );
      counter.writes += 1;
    } catch (error) {
      fail(`put ${key}`, error);
    }
  }

  async function getJson(key: string): Promise<unknown> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      counter.reads += 1;
      return JSON.parse(out.Body ? await out.Body.transformToString('utf8') : 'null');
    } catch (error) {
      if (isMissing(error)) return undefined;
      return fail(`get ${key}`, error);
    }
  }

  // One DeleteObject per key, one after another: a publish deletes a handful of files at most
  // (a moved page, a tag that lost its last post), and s3rver fails DeleteObjects in one folder.
  async function deleteKeys(keys: readonly string[]) {
    for (const key of keys) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        counter.deletes += 1;
      } catch (error) {
        fail(`delete ${key}`, error);
      }
    }
  }

  return {
    async writeFiles(files) {
      await inBatches(files, concurrency, (file) =>
        put(siteKey(file.path), file.body, file.contentType, cacheControlFor(file.path)),
      );
    },

    async deleteFiles(paths) {
      await deleteKeys(paths.map(siteKey));
    },

    async readIndex() {
      const value = await getJson(INDEX_KEY);
      return value === undefined ? emptyIndex() : parsePostIndex(value, `s3://${bucket}/${INDEX_KEY}`);
    },

    async writeIndex(index) {
      await put(INDEX_KEY, JSON.stringify(index), 'application/json', 'no-store');
    },

    async readFragments(ids) {
      const found = new Map<string, PostFragments>();
      await inBatches(ids, concurrency, async (id) => {
        const value = (await getJson(fragmentKey(id))) as Partial<PostFragments> | undefined;
        if (value && typeof value.html === 'string' && typeof value.portableHtml === 'string') {
          found.set(id, { html: value.html, portableHtml: value.portableHtml });
        }
      });
      return found;
    },

    async writeFragments(id, fragments) {
      await put(
        fragmentKey(id),
        JSON.stringify({ html: fragments.html, portableHtml: fragments.portableHtml }),
        'application/json',
        'no-store',
      );
    },

    async deleteFragments(id) {
      await deleteKeys([fragmentKey(id)]);
    },
  };
}
