// `node --import tsx bench/jekyll-listing.ts [posts]` (issue 13): what keeping Jekyll posts that list
// other posts (`site.posts`) current costs the publish path. A Jekyll blog of N plain posts (default 200)
// is published into s3rver post by post; then one new post is published without any listing post on the
// site, an archive post (`{% for p in site.posts %}`) is published, and another new post is published,
// which now also renders the archive again. Prints wall time and objects read for both; the last line is
// JSON. Not part of `npm run bench` (it seeds through the real publish path, which takes a while).
import { randomUUID } from 'node:crypto';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { campaignTableDefinition } from '../functions/adapters/campaign-store.ts';
import { createTimerScheduler } from '../functions/adapters/publish-scheduler.ts';
import { createIoCounter } from '../functions/adapters/s3-site.ts';
import { type PublishOutcome, publishMessage } from '../functions/app/publish-post.ts';
import { DEFAULT_TEMPLATES_DIR } from '../functions/cli/build.ts';
import { createLocalBucket, localS3Client, startS3rver } from '../functions/local/s3-server.ts';
import { createSubscriberTable, localDynamoClient, startDynalite } from '../functions/local/services.ts';
import { createPublishWiring } from '../functions/wiring/publish-deps.ts';

const POSTS = Number(process.argv[2] ?? 200);
const NOW = new Date('2026-12-03T12:00:00Z');
const CONFIG = `title: Listing Bench
url: https://listing.test
herald:
  newsletter:
    from_address: news@listing.test
    postal_address: 1 Bench Road
`;

const [s3Server, dynamoServer] = await Promise.all([startS3rver(), startDynalite()]);
try {
  const s3 = localS3Client(s3Server.endpoint);
  const dynamo = localDynamoClient(dynamoServer.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const contentBucket = `content-${suffix}`;
  await Promise.all(
    [contentBucket, `site-${suffix}`, `state-${suffix}`].map((bucket) => createLocalBucket(s3, bucket)),
  );
  await dynamo.send(new CreateTableCommand(campaignTableDefinition(`campaigns-${suffix}`)));
  await createSubscriberTable(dynamo, `subscribers-${suffix}`);
  const counter = createIoCounter();
  const deps = createPublishWiring({
    s3,
    dynamo,
    contentBucket,
    siteBucket: `site-${suffix}`,
    stateBucket: `state-${suffix}`,
    campaignTable: `campaigns-${suffix}`,
    subscriberTable: `subscribers-${suffix}`,
    templatesDir: DEFAULT_TEMPLATES_DIR,
    scheduler: createTimerScheduler({ deliver: async () => undefined, timers: false }),
    fanoutQueue: { enqueue: async () => undefined },
    now: () => NOW,
    log: { info: () => undefined, warn: console.warn, error: console.error },
    counter,
  });
  await s3.send(new PutObjectCommand({ Bucket: contentBucket, Key: '_config.yml', Body: CONFIG }));

  async function publish(key: string, source: string) {
    await s3.send(new PutObjectCommand({ Bucket: contentBucket, Key: key, Body: source }));
    const reads = counter.reads;
    const started = performance.now();
    const [outcome] = (await publishMessage(deps, {
      Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: contentBucket }, object: { key } } }],
    })) as [PublishOutcome];
    if (outcome.action !== 'published') throw new Error(`${key}: ${JSON.stringify(outcome)}`);
    return {
      wallMs: Math.round(performance.now() - started),
      objectsRead: counter.reads - reads,
      postPages: outcome.plan.postPages.length,
    };
  }
  const plain = (i: number) =>
    `---\ntitle: Recap ${i}\ntags: [t${i % 7}]\nemail: false\n---\n\nRecap number ${i}, about serving models.\n`;
  const day = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

  const seedStarted = performance.now();
  for (let i = 0; i < POSTS; i++) await publish(`_posts/${day(i)}-recap-${i}.md`, plain(i));
  const seedMs = Math.round(performance.now() - seedStarted);
  const without = await publish(`_posts/${day(POSTS)}-recap-${POSTS}.md`, plain(POSTS));
  await publish(
    '_posts/2024-12-31-archive.md',
    '---\ntitle: Archive\nemail: false\n---\n\n{% for p in site.posts %}- [{{ p.title }}]({{ p.url }})\n{% endfor %}\n',
  );
  const withListing = await publish(`_posts/${day(POSTS + 1)}-recap-${POSTS + 1}.md`, plain(POSTS + 1));

  console.log(`Publishing one new post into a Jekyll blog of ${POSTS} posts (s3rver, warm):`);
  console.log(`  no listing post:           ${without.wallMs} ms, ${without.objectsRead} objects read`);
  console.log(
    `  with an archive post:      ${withListing.wallMs} ms, ${withListing.objectsRead} objects read (archive rendered again)`,
  );
  console.log(JSON.stringify({ posts: POSTS, seedMs, without, withListing }));
} finally {
  await Promise.all([s3Server.stop(), dynamoServer.stop()]);
}
