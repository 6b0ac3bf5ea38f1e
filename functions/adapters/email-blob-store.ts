/**
 * Where a campaign's rendered email goes when it is too big for its DynamoDB item: an S3 object in
 * the cloud, memory in tests and the local runtime.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** Stores and reads one text blob per key. */
export interface EmailBlobStore {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
}

/** Thrown when a blob cannot be written or read. */
export class EmailBlobError extends Error {
  override name = 'EmailBlobError';
}

/**
 * Blobs as S3 objects (`application/json`, server-side encrypted by the bucket default). Without a
 * client, the S3 SDK is loaded on first use: most campaigns fit their item, and the send workers
 * should not pay ~25 ms of cold start for a client they rarely need.
 */
export function createS3EmailBlobStore(options: { client?: S3Client; bucket: string }): EmailBlobStore {
  let s3: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;
  const load = () => {
    s3 ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: options.client ?? new sdk.S3Client({}),
    }));
    return s3;
  };
  return {
    async put(key, body) {
      try {
        const { client, sdk } = await load();
        const { PutObjectCommand } = sdk;
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
          }),
        );
      } catch (error) {
        throw new EmailBlobError(`email blob: put s3://${options.bucket}/${key} failed`, { cause: error });
      }
    },
    async get(key) {
      try {
        const { client, sdk } = await load();
        const out = await client.send(new sdk.GetObjectCommand({ Bucket: options.bucket, Key: key }));
        if (!out.Body) throw new Error('empty body');
        return await out.Body.transformToString('utf8');
      } catch (error) {
        throw new EmailBlobError(`email blob: get s3://${options.bucket}/${key} failed`, { cause: error });
      }
    },
  };
}

/** Blobs in memory, for tests and the local runtime. */
export function createMemoryEmailBlobStore(): EmailBlobStore & { readonly keys: () => string[] } {
  const blobs = new Map<string, string>();
  return {
    async put(key, body) {
      blobs.set(key, body);
    },
    async get(key) {
      const body = blobs.get(key);
      if (body === undefined) throw new EmailBlobError(`email blob: ${key} not found`);
      return body;
    },
    keys: () => [...blobs.keys()],
  };
}
