// `node --import tsx bench/publish.ts [posts]`: publishing one new post into a site of 1,000 posts
// (default) in s3rver, from the S3 event to the feeds updated: wall time and objects read. The
// state of the existing site (index + per-post fragments) is seeded first; then one post is
// published cold (templates read, mjml loaded for its email) and another warm. The last line of
// output is JSON, like the other benchmarks.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { campaignTableDefinition } from '../functions/adapters/campaign-store.ts';
import { createTimerScheduler } from '../functions/adapters/publish-scheduler.ts';
import { createIoCounter } from '../functions/adapters/s3-site.ts';
import { type PublishOutcome, publishMessage as runPublishMessage } from '../functions/app/publish-post.ts';
import { DEFAULT_TEMPLATES_DIR } from '../functions/cli/build.ts';
import { createLocalBucket, localS3Client, startS3rver } from '../functions/local/s3-server.ts';
import { createSubscriberTable, localDynamoClient, startDynalite } from '../functions/local/services.ts';
import { createPublishWiring } from '../functions/wiring/publish-deps.ts';
import { seedPublishedSite } from '../tests/integration/publish/seed.ts';

const POSTS = Number(process.argv[2] ?? 1000);
const NOW = new Date('2026-12-03T12:00:00Z');

const [s3Server, dynamoServer] = await Promise.all([startS3rver(), startDynalite()]);
try {
  const s3 = localS3Client(s3Server.endpoint);
  const dynamo = localDynamoClient(dynamoServer.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const contentBucket = `content-${suffix}`;
  const siteBucket = `site-${suffix}`;
  const stateBucket = `state-${suffix}`;
  await Promise.all([contentBucket, siteBucket, stateBucket].map((bucket) => createLocalBucket(s3, bucket)));
  await dynamo.send(new CreateTableCommand(campaignTableDefinition(`campaigns-${suffix}`)));
  await createSubscriberTable(dynamo, `subscribers-${suffix}`);

  const counter = createIoCounter();
  const deps = createPublishWiring({
    s3,
    dynamo,
    contentBucket,
    siteBucket,
    stateBucket,
    campaignTable: `campaigns-${suffix}`,
    subscriberTable: `subscribers-${suffix}`,
    templatesDir: DEFAULT_TEMPLATES_DIR,
    scheduler: createTimerScheduler({ deliver: async () => undefined, timers: false }),
    fanoutQueue: { enqueue: async () => undefined },
    now: () => NOW,
    log: { info: () => undefined, warn: console.warn, error: console.error },
    counter,
  });

  const seedStarted = performance.now();
  await seedPublishedSite({
    count: POSTS,
    s3,
    contentBucket,
    site: deps.site,
    templatesDir: DEFAULT_TEMPLATES_DIR,
    firstPublishedAt: new Date('2026-11-30T12:00:00Z'),
  });
  const seedMs = performance.now() - seedStarted;

  async function publishOne(slug: string, day: string, tags: string[]) {
    const key = `posts/${day}-${slug}.md`;
    const source = [
      '---',
      `title: "New recap ${slug}"`,
      'author: "Bench Organisers"',
      `tags: [${tags.join(', ')}]`,
      '---',
      '',
      `A new recap for ${slug}, with a paragraph of text about serving models.`,
      '',
    ].join('\n');
    await s3.send(new PutObjectCommand({ Bucket: contentBucket, Key: key, Body: source }));
    const before = { ...counter };
    const started = performance.now();
    const [outcome] = (await runPublishMessage(deps, {
      Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: contentBucket }, object: { key } } }],
    })) as [PublishOutcome];
    const wallMs = performance.now() - started;
    if (outcome.action !== 'published') throw new Error(`not published: ${JSON.stringify(outcome)}`);
    return {
      wallMs: Math.round(wallMs),
      objectsRead: counter.reads - before.reads,
      notModified: counter.notModified - before.notModified,
      objectsWritten: counter.writes - before.writes,
      objectsDeleted: counter.deletes - before.deletes,
      postPages: outcome.plan.postPages.length,
      tagFeeds: outcome.plan.tagFeeds.length,
      mailed: outcome.mail.mailed,
    };
  }

  const cold = await publishOne('cold-start', '2026-12-01', ['berlin', 'kv-cache']);
  const warm = await publishOne('warm', '2026-12-02', ['lisbon', 'quantization', 'community']);
  const result = { posts: POSTS, seedMs: Math.round(seedMs), cold, warm };

  console.log(`Publishing one new post into a site of ${POSTS.toLocaleString('en-US')} posts (s3rver):`);
  for (const [name, r] of [
    ['cold (templates + mjml loaded)', cold],
    ['warm', warm],
  ] as const) {
    console.log(
      `  ${name}: ${r.wallMs} ms event→feeds+campaign, ${r.objectsRead} objects read` +
        ` (+${r.notModified} not-modified), ${r.objectsWritten} written, ${r.objectsDeleted} deleted` +
        ` (${r.postPages} post pages, ${r.tagFeeds} tag feeds re-rendered; mailed: ${r.mailed})`,
    );
  }
  // Issue 4 asked for under 3 s; issue 14 for under 1 s warm.
  const verdict = warm.wallMs < 1000 ? 'met' : 'MISSED';
  console.log(`  target: warm < 1,000 ms → ${verdict}; seeding the state took ${Math.round(seedMs)} ms`);
  console.log(JSON.stringify(result));
} finally {
  await Promise.all([s3Server.stop(), dynamoServer.stop()]);
}
