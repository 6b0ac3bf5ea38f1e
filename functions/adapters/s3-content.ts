/**
 * Reads the content bucket: post sources and the site config. The config is cached per container
 * with its ETag, so a warm publish asks S3 only whether it changed (a conditional GET answered
 * `304 Not Modified` without a body).
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { IoCounter, LoadedSite, PostSource } from '../app/ports.ts';
import { readJekyllSettings } from '../core/jekyll-config.ts';
import { sitePath } from '../core/liquid/site-files.ts';
import { parseSiteConfig } from '../core/site-config.ts';

/** Thrown when the content bucket cannot be read (not for missing posts: those are `undefined`). */
export class ContentBucketError extends Error {
  override name = 'ContentBucketError';
}

const CONFIGS = [
  { file: 'site.yml', layout: 'herald' },
  { file: '_config.yml', layout: 'jekyll' },
] as const;

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function isNotModified(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotModified' || e?.$metadata?.httpStatusCode === 304;
}

/** The S3 implementation; `counter` (shared with the site store) counts objects read. */
export function createS3PostSource(options: {
  client: S3Client;
  bucket: string;
  counter?: IoCounter;
}): PostSource {
  const { client, bucket } = options;
  const counter = options.counter;
  let cached: (LoadedSite & { text: string }) | undefined;

  async function get(key: string, ifNoneMatch?: string) {
    const out = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
      }),
    );
    if (counter) counter.reads += 1;
    const text = out.Body ? await out.Body.transformToString('utf8') : '';
    return {
      text,
      ...(out.ETag ? { etag: out.ETag } : {}),
      ...(out.LastModified ? { lastModified: out.LastModified } : {}),
    };
  }

  async function loadConfig(file: string, layout: 'herald' | 'jekyll'): Promise<LoadedSite | undefined> {
    const previous = cached?.file === file ? cached : undefined;
    try {
      const { text, etag } = await get(file, previous?.etag);
      if (previous && previous.text === text) return previous;
      const site = parseSiteConfig(text, file, layout);
      const jekyll = layout === 'jekyll' ? { jekyll: readJekyllSettings(text) } : {};
      cached = { site, file, layout, text, ...(etag ? { etag } : {}), ...jekyll };
      return cached;
    } catch (error) {
      if (previous && isNotModified(error)) {
        if (counter) counter.notModified += 1;
        return previous;
      }
      if (isMissing(error)) return undefined;
      if ((error as Error).name === 'ContentError') throw error;
      throw new ContentBucketError(`content bucket ${bucket}: cannot read ${file}`, { cause: error });
    }
  }

  return {
    async readPost(key) {
      try {
        const { text, etag, lastModified } = await get(key);
        return { key, source: text, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw new ContentBucketError(`content bucket ${bucket}: cannot read ${key}`, { cause: error });
      }
    },

    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw new ContentBucketError(`content bucket ${bucket}: cannot check ${key}`, { cause: error });
      }
    },

    files() {
      return {
        async list(prefix) {
          const keys: string[] = [];
          let token: string | undefined;
          do {
            const out = await client.send(
              new ListObjectsV2Command({
                Bucket: bucket,
                Prefix: prefix,
                ...(token ? { ContinuationToken: token } : {}),
              }),
            );
            for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
            token = out.IsTruncated ? out.NextContinuationToken : undefined;
          } while (token);
          return keys.filter((key) => sitePath(key) === key).sort();
        },
        async read(path) {
          if (sitePath(path) !== path) return undefined;
          try {
            return (await get(path)).text;
          } catch (error) {
            if (isMissing(error)) return undefined;
            throw new ContentBucketError(`content bucket ${bucket}: cannot read ${path}`, { cause: error });
          }
        },
      };
    },

    async loadSite() {
      // The layout found last time is asked first, so a warm container makes one request.
      const order = cached?.layout === 'jekyll' ? [...CONFIGS].reverse() : CONFIGS;
      for (const { file, layout } of order) {
        const loaded = await loadConfig(file, layout);
        if (loaded)
          return {
            site: loaded.site,
            file: loaded.file,
            layout: loaded.layout,
            ...(loaded.etag ? { etag: loaded.etag } : {}),
            ...(loaded.jekyll ? { jekyll: loaded.jekyll } : {}),
          };
      }
      throw new ContentBucketError(
        `content bucket ${bucket}: no site.yml (Herald layout) or _config.yml (Jekyll layout) found`,
      );
    },
  };
}
