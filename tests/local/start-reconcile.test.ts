/**
 * After a crash, recipients the dead process had claimed are settled when the local runtime
 * starts again, not after the reconciler's 15-minute staleness.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ledgerPk, ledgerSk } from '../../functions/adapters/campaign-table.ts';
import { addressHash } from '../../functions/core/email-address.ts';
import { startLocalRuntime } from '../../functions/local/runtime.ts';
import { clockFrom } from '../support/clock.ts';

const now = clockFrom('2026-12-02T10:00:00Z');
let work: string;

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-start-reconcile-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

it('settles a recipient left in claimed by a crashed process as soon as the runtime starts', async () => {
  const contentDir = join(work, 'content');
  await cp('content', contentDir, { recursive: true });
  const date = new Date(now().getTime() - 60_000).toISOString();
  await writeFile(
    join(contentDir, 'posts', '2026-12-02-start-reconcile.md'),
    `---\ntitle: "Start reconcile"\ndate: ${date}\ntopics: all\n---\n\nWe met.\n`,
  );
  const options = {
    contentDir,
    dataDir: join(work, 'data'),
    port: 0,
    watch: false,
    now,
    out: () => {},
    err: () => {},
    progressStream: sink(),
  };
  const first = await startLocalRuntime({ ...options, demoSubscribers: 2 });
  await first.idle();
  const campaign = (await first.campaigns.list()).find((c) => c.kind === 'campaign');
  const postId = campaign?.postId ?? '';
  // As if the process died between claiming demo-reader-2 and sending to it.
  await first.dynamo.send(
    new DeleteItemCommand({
      TableName: first.tables.campaigns,
      Key: { pk: { S: ledgerPk(postId) }, sk: { S: ledgerSk('demo-reader-2') } },
    }),
  );
  const crashed = {
    v: 1 as const,
    postId,
    subscriberId: 'demo-reader-2',
    addressHash: addressHash('reader-2@example.test'),
  };
  const claimed = await first.campaigns.claim(crashed, 'claim-of-the-crashed-process', now());
  await first.stop();

  const second = await startLocalRuntime(options);
  await second.idle();
  const entry = await second.campaigns.getEntry(postId, 'demo-reader-2');
  await second.stop();

  expect(postId).not.toBe('');
  expect(claimed).toBe(true);
  expect(entry).toMatchObject({ state: 'sent' });
}, 60_000);
