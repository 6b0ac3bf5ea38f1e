// `npm run bench -- --only topics [--quick]`: issue 15. Mails a one-topic post to a list of
// 100,000 readers (20,000 with --quick) where 10% chose that topic and the rest chose other
// topics, on dynalite, and counts the DynamoDB items read: counting the audience at campaign start
// and fanning out must each read only the matching 10%, not the whole list.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { campaignTableDefinition, createCampaignStore } from '../functions/adapters/campaign-store.ts';
import { createDeliveryAudience } from '../functions/adapters/delivery-audience.ts';
import { createSubscriberStore } from '../functions/adapters/subscriber-store.ts';
import type { ReadCounter } from '../functions/adapters/topic-audience.ts';
import { runFanout } from '../functions/app/fan-out.ts';
import { startCampaign } from '../functions/app/start-campaign.ts';
import type { CampaignDelivery } from '../functions/core/campaign.ts';
import type { RenderedEmail } from '../functions/core/personalize.ts';
import { createSubscriberTable, localDynamoClient, startDynalite } from '../functions/local/services.ts';
import { seedReaders } from '../tests/integration/topics/seed.ts';

const quick = process.argv.includes('--quick');
const LIST = quick ? 20_000 : 100_000;
const SHARE = 0.1;
const OTHER = ['lisbon', 'seoul', 'kv-cache', 'quantization'];

const email: RenderedEmail = {
  postId: 'berlin-post',
  subject: 'Berlin night',
  preheader: 'A recap.',
  html: '<p>A recap.</p>',
  text: 'A recap.',
  excerpted: false,
  htmlBytes: 15,
};

const dynamo = await startDynalite();
const client = localDynamoClient(dynamo.endpoint);
try {
  const subscriberTable = 'bench-topic-subscribers';
  const campaignTable = 'bench-topic-campaigns';
  await createSubscriberTable(client, subscriberTable);
  await client.send(new CreateTableCommand(campaignTableDefinition(campaignTable)));
  const now = new Date('2026-12-01T12:00:00.000Z');
  const seedStarted = performance.now();
  const every = Math.round(1 / SHARE);
  await seedReaders(
    client,
    subscriberTable,
    LIST,
    (i) => (i % every === 0 ? ['berlin'] : [OTHER[i % OTHER.length] as string]),
    new Date(now.getTime() - 60_000),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const matching = Math.ceil(LIST / every);

  const counter: ReadCounter = { itemsRead: 0 };
  const campaigns = createCampaignStore({ client, tableName: campaignTable });
  const audience = createDeliveryAudience({
    client,
    tableName: subscriberTable,
    store: createSubscriberStore({ client, tableName: subscriberTable }),
    counter,
  });
  const delivery: CampaignDelivery = {
    postUrl: 'https://recaps.test/2026/12/01/berlin.html',
    siteUrl: 'https://recaps.test',
    from: { name: 'Bench', address: 'news@recaps.test' },
    audience: { kind: 'topics', topics: ['berlin'] },
  };
  const started = performance.now();
  const start = await startCampaign(
    {
      campaigns,
      countConfirmed: (at, only) => audience.countConfirmed(at, only),
      startFanout: async () => {},
    },
    { postId: 'berlin-post', email, delivery, now },
  );
  const readAtStart = counter.itemsRead;
  counter.itemsRead = 0;
  let enqueued = 0;
  const fanout = await runFanout(
    {
      campaigns,
      subscribers: audience,
      enqueue: async (messages) => {
        enqueued += messages.length;
      },
      continueLater: async () => {},
      remainingMs: () => Number.POSITIVE_INFINITY,
      now: () => now,
    },
    'berlin-post',
  );
  const seconds = (performance.now() - started) / 1000;
  const recipients = start.started ? start.campaign.recipientCount : -1;
  const rows = [
    ['list size', LIST.toLocaleString('en')],
    ["readers of the post's topic (10%)", matching.toLocaleString('en')],
    ['campaign recipientCount', recipients.toLocaleString('en')],
    ['enqueued by fan-out', `${enqueued.toLocaleString('en')} (${fanout.pages} pages)`],
    [
      'items read counting at start',
      `${readAtStart.toLocaleString('en')} (${((100 * readAtStart) / LIST).toFixed(1)}% of the list)`,
    ],
    [
      'items read by fan-out',
      `${counter.itemsRead.toLocaleString('en')} (${((100 * counter.itemsRead) / LIST).toFixed(1)}% of the list)`,
    ],
    ['start + fan-out wall time', `${seconds.toFixed(1)} s (seeding took ${seedSeconds.toFixed(0)} s)`],
  ];
  for (const [name, value] of rows) console.log(`  ${String(name).padEnd(36)} ${value}`);
  if (
    recipients !== matching ||
    enqueued !== matching ||
    readAtStart !== matching ||
    counter.itemsRead !== matching
  ) {
    console.log('  MISMATCH: a one-topic mailing must read and enqueue exactly the matching readers');
    process.exitCode = 1;
  }
} finally {
  client.destroy();
  await dynamo.stop();
}
