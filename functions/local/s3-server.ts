/**
 * s3rver (a local S3) on a free port, with its data in a fresh temporary folder, plus a client and
 * bucket helper. Used by the integration tests' global setup, the publish benchmark and available
 * to the local runtime. s3rver wants the credentials S3RVER/S3RVER, path-style URLs and bucket
 * names of at least three characters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const REGION = 'eu-central-1';

/** Starts s3rver; `stop()` closes it and deletes its folder. */
export async function startS3rver(host = '127.0.0.1'): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { default: S3rver } = await import('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'herald-s3rver-'));
  const server = new S3rver({ address: host, port: 0, silent: true, directory, resetOnClose: true });
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    stop: async () => {
      await server.close().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 client for s3rver: its credentials, path-style URLs, no checksums it does not know. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // s3rver drops a connection now and then under load; S3 reads and writes are idempotent, so
    // the SDK's standard retries are safe here (as they are against real S3).
    maxAttempts: 3,
  });
}

/** Creates a bucket (names of at least three characters), ignoring one that exists. */
export async function createLocalBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const code = (error as Error).name;
    if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
  }
}
