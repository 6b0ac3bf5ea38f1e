import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createS3EmailBlobStore, EmailBlobError } from '../../../functions/adapters/email-blob-store.ts';
import { createLocalBucket, localS3Client } from '../../../functions/local/s3-server.ts';

describe('S3 email blob store (s3rver)', () => {
  it('stores a large rendered email once and reads it back byte for byte', async () => {
    // Prepare
    const client = localS3Client(inject('s3Endpoint'));
    const bucket = `emails-${randomUUID().slice(0, 8)}`;
    await createLocalBucket(client, bucket);
    const store = createS3EmailBlobStore({ client, bucket });
    const body = JSON.stringify({ html: `<p>${'Grüße aus Köln. '.repeat(20_000)}</p>`, text: 'x' });

    // Act
    await store.put('campaigns/pi-day.json', body);
    const read = await store.get('campaigns/pi-day.json');

    // Assert
    expect(read).toBe(body);
  });

  it('names the bucket and key when a blob is missing', async () => {
    // Prepare
    const client = localS3Client(inject('s3Endpoint'));
    const bucket = `emails-${randomUUID().slice(0, 8)}`;
    await createLocalBucket(client, bucket);
    const store = createS3EmailBlobStore({ client, bucket });

    // Act
    const read = store.get('campaigns/missing.json');

    // Assert
    await expect(read).rejects.toThrow(EmailBlobError);
    await expect(read).rejects.toThrow(`email blob: get s3://${bucket}/campaigns/missing.json failed`);
  });
});
