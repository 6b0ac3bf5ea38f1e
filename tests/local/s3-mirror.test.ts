/**
 * The local S3 (s3rver on disk), its notifications in the AWS shape, and the content mirror that
 * stands in for `cdk deploy`'s BucketDeployments.
 */
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueMessage, SendQueue } from '../../functions/adapters/send-queue.ts';
import { decodeS3Key } from '../../functions/app/publish-post.ts';
import {
  contentNotificationFilter,
  encodeNotificationKey,
  type LocalS3,
  LocalS3Error,
  notifyQueue,
  startLocalS3,
  toNotification,
} from '../../functions/local/s3.ts';
import { createContentMirror, isIgnored } from '../../functions/local/watch.ts';

const CONTENT = 'herald-content';
const SITE = 'herald-site';
let work: string;
let s3: LocalS3;
let sent: QueueMessage[];
let queue: SendQueue;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-s3-'));
  s3 = await startLocalS3({ dir: join(work, 's3'), buckets: [CONTENT, SITE] });
  sent = [];
  queue = { enqueue: async (messages) => void sent.push(...messages) };
  notifyQueue(s3, contentNotificationFilter(CONTENT), queue);
});

afterEach(async () => {
  await s3.stop();
  await rm(work, { recursive: true, force: true });
});

const notified = () =>
  sent.map((m) => {
    const record = (JSON.parse(m.body) as S3Event).Records[0];
    return `${record?.eventName} ${decodeS3Key(record?.s3.object.key ?? '')}`;
  });

async function text(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body?.transformToString();
  } catch {
    return undefined;
  }
}

async function write(rel: string, body: string): Promise<void> {
  const full = join(work, 'content', rel);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, body);
}

describe('S3 notifications', () => {
  it('encodes keys as AWS does: + for a space, percent for the rest, slashes kept', () => {
    const encoded = encodeNotificationKey('posts/2026-01-12 a+b&c.md');

    expect(encoded).toBe('posts/2026-01-12+a%2Bb%26c.md');
    expect(decodeS3Key(encoded)).toBe('posts/2026-01-12 a+b&c.md');
  });

  it('passes only the prefixes and suffixes the content bucket notifies for', () => {
    const event = (bucket: string, key: string) =>
      ({
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            awsRegion: 'us-east-1',
            s3: { bucket: { name: bucket, arn: 'x' }, object: { key } },
          },
        ],
      }) as unknown as S3Event;
    const filter = contentNotificationFilter(CONTENT);

    const results = [
      toNotification(event(CONTENT, 'posts/a.md'), filter),
      toNotification(event(CONTENT, '_posts/a.markdown'), filter),
      toNotification(event(CONTENT, 'site.yml'), filter),
      toNotification(event(CONTENT, 'assets/posts/a.md'), filter),
      toNotification(event(SITE, 'posts/a.md'), filter),
    ];

    expect(results.map((r) => r !== undefined)).toEqual([true, true, false, false, false]);
    expect(results[0]?.Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'eu-central-1',
      s3: { bucket: { name: CONTENT, arn: `arn:aws:s3:::${CONTENT}` }, object: { key: 'posts/a.md' } },
    });
  });

  it('refuses a data folder that is a file, with a clear error', async () => {
    await writeFile(join(work, 'not-a-folder'), 'x');

    const error = await startLocalS3({ dir: join(work, 'not-a-folder'), buckets: [CONTENT] }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(LocalS3Error);
    expect((error as Error).message).toContain('not-a-folder: cannot use it for local S3 data');
  });
});

describe('content mirror', () => {
  it('uploads config first and posts last, assets to both buckets, and skips editor files', async () => {
    await write('posts/2026-01-12-first.md', '# first');
    await write('posts/2026-01-10-older.md', '# older');
    await write('posts/.2026-01-12-first.md.swp', 'swap');
    await write('posts/2026-01-12-first.md~', 'backup');
    await write('assets/stage.png', 'png');
    await write('site.yml', 'title: T');
    const mirror = createContentMirror({
      dir: join(work, 'content'),
      client: s3.client,
      contentBucket: CONTENT,
      siteBucket: SITE,
    });

    const report = await mirror.sync();
    const contentKeys = await s3.client.send(new ListObjectsV2Command({ Bucket: CONTENT }));

    expect(report.uploaded).toEqual([
      'site.yml',
      'assets/stage.png',
      'posts/2026-01-10-older.md',
      'posts/2026-01-12-first.md',
    ]);
    expect(report.assets).toBe(1);
    expect((contentKeys.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      'assets/stage.png',
      'posts/2026-01-10-older.md',
      'posts/2026-01-12-first.md',
      'site.yml',
    ]);
    expect(await text(SITE, 'assets/stage.png')).toBe('png');
    expect(notified()).toEqual([
      'ObjectCreated:Put posts/2026-01-10-older.md',
      'ObjectCreated:Put posts/2026-01-12-first.md',
    ]);
  });

  it('uploads only what changed, prunes what was deleted, and a new mirror over old data re-uploads nothing', async () => {
    await write('site.yml', 'title: T');
    await write('posts/2026-01-12-first.md', '# first');
    await write('posts/2026-01-13-second.md', '# second');
    const options = {
      dir: join(work, 'content'),
      client: s3.client,
      contentBucket: CONTENT,
      siteBucket: SITE,
    };
    await createContentMirror(options).sync();
    sent.length = 0;

    const restart = await createContentMirror(options).sync();
    await write('posts/2026-01-12-first.md', '# first, edited');
    await unlink(join(work, 'content', 'posts', '2026-01-13-second.md'));
    const mirror = createContentMirror(options);
    const edit = await mirror.sync();

    expect(restart).toEqual({ uploaded: [], removed: [], assets: 0 });
    expect(edit.uploaded).toEqual(['posts/2026-01-12-first.md']);
    expect(edit.removed).toEqual(['posts/2026-01-13-second.md']);
    expect(await text(CONTENT, 'posts/2026-01-12-first.md')).toBe('# first, edited');
    expect(notified()).toEqual([
      'ObjectCreated:Put posts/2026-01-12-first.md',
      'ObjectRemoved:Delete posts/2026-01-13-second.md',
    ]);
  });

  it('watches the folder and uploads a saved post after the quiet period', async () => {
    await write('site.yml', 'title: T');
    const mirror = createContentMirror({
      dir: join(work, 'content'),
      client: s3.client,
      contentBucket: CONTENT,
      siteBucket: SITE,
    });
    await mirror.sync();
    const reports: string[][] = [];
    const watcher = await mirror.watch({ debounceMs: 30, onSync: (r) => reports.push(r.uploaded) });

    await write('posts/2026-02-01-new.md', '# new');
    for (let i = 0; i < 100 && reports.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await watcher.idle();
    await watcher.close();

    expect(reports).toEqual([['posts/2026-02-01-new.md']]);
    expect(await text(CONTENT, 'posts/2026-02-01-new.md')).toBe('# new');
  });

  it('ignores dotfiles, backups and swap files', () => {
    const ignored = ['.git/HEAD', 'posts/.x.md.swp', 'posts/a.md~', 'posts/#a.md#', 'posts/a.md'].map(
      isIgnored,
    );

    expect(ignored).toEqual([true, true, true, true, false]);
  });
});
