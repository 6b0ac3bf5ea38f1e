// Delivery benchmark: `node --import tsx bench/delivery.ts [--quick] [--subscribers N] [--only cost,pacing,mailing] [--rates 14,200] [--cpu-load]`
//   cost     Herald's own cost per message (personalise + MIME + SDK call to a no-op SES endpoint), one process
//   pacing   achieved rate against the throttling SES stand-in at 14/s and 200/s (60 s each; 10 s with --quick)
//   mailing  an N-subscriber mailing (default 100,000; 10,000 with --quick) through the local queue:
//            wall time and peak memory of this process (dynalite and SES run in child processes), and
//            every ledger state at the end; `--cpu-load` runs a second process spinning on the CPU
//            meanwhile (issue 11: `unknown` must come from crashes only, not from a loaded machine)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { campaignTableDefinition } from '../functions/adapters/campaign-store.ts';
import { createSesRawSender, createSesSendClient } from '../functions/adapters/ses-raw-sender.ts';
import { createSendBatch, type DeliveryMessage } from '../functions/app/send-batch.ts';
import { startCampaign } from '../functions/app/start-campaign.ts';
import type { CampaignWithEmail } from '../functions/core/campaign.ts';
import { addressHash } from '../functions/core/email-address.ts';
import { PLACEHOLDERS, type RenderedEmail } from '../functions/core/personalize.ts';
import { createFanoutHandler } from '../functions/handlers/fanout.ts';
import { createSendHandler } from '../functions/handlers/send.ts';
import { createLocalDeliveryQueue } from '../functions/local/delivery-queue.ts';
import { createSubscriberTable, localDynamoClient } from '../functions/local/services.ts';
import { createDeliveryWiring, type DeliveryWiring } from '../functions/wiring/delivery-deps.ts';
import { memoryCampaigns, memoryLedger } from '../tests/support/memory-delivery.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = new Set((arg('--only') ?? 'cost,pacing,mailing').split(','));
const subscribersArg = arg('--subscribers');
const MAILING_SIZE = subscribersArg ? Number(subscribersArg) : quick ? 10_000 : 100_000;
const PACING_SECONDS = quick ? 10 : 60;
const CPU_LOAD = args.includes('--cpu-load');
const KEYS = { currentKeyId: 'k1', keys: { k1: Buffer.alloc(32, 3).toString('base64') } };
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const children: ChildProcess[] = [];
const silentLog = { warn: () => {}, error: (m: string, c: Record<string, unknown>) => console.error(m, c) };

async function service(kind: 'dynalite' | 'ses', rate?: number): Promise<string> {
  const script = fileURLToPath(new URL('./delivery-services.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, kind, ...(rate ? [String(rate)] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('{')) return (JSON.parse(line) as { endpoint: string }).endpoint;
  }
  throw new Error(`${kind} child exited`);
}

function email(postId: string): RenderedEmail {
  const body = '<p>We met on Pi Day and talked about serving models, quantisation and batching.</p>'.repeat(
    40,
  );
  return {
    postId,
    subject: 'Pi Day Meetup',
    preheader: 'We met on Pi Day.',
    html: `<html><body><p>${PLACEHOLDERS.greeting}</p>${body}<a href="${PLACEHOLDERS.viewUrl}">View</a> <a href="${PLACEHOLDERS.unsubscribeUrl}">Unsubscribe</a></body></html>`,
    text: `${PLACEHOLDERS.greeting}\n\n${'We met on Pi Day and talked about serving models.\n'.repeat(40)}\nView: ${PLACEHOLDERS.viewUrl}\nUnsubscribe: ${PLACEHOLDERS.unsubscribeUrl}\n`,
    excerpted: false,
    htmlBytes: 4000,
  };
}

const delivery = (postId: string) => ({
  postUrl: `https://recaps.test/2026/03/14/${postId}.html`,
  siteUrl: 'https://recaps.test',
  from: { name: 'Bench Meetups', address: 'news@recaps.test' },
  unsubscribeMailto: 'unsubscribe@recaps.test',
});

async function benchCost(): Promise<Record<string, number>> {
  const sesEndpoint = await service('ses');
  const postId = 'bench-cost';
  const campaign: CampaignWithEmail = {
    kind: 'campaign',
    postId,
    status: 'sending',
    startedAt: new Date(),
    recipientCount: 0,
    subject: 'Pi Day Meetup',
    delivery: delivery(postId),
    fanout: { done: true, page: 1, enqueued: 0 },
    updatedAt: new Date(),
    email: email(postId),
  };
  const client = createSesSendClient({
    endpoint: sesEndpoint,
    region: 'eu-central-1',
    credentials: CREDENTIALS,
  });
  const send = createSendBatch({
    campaigns: memoryCampaigns([campaign]),
    ledger: memoryLedger(),
    recipients: async (m) => ({ ok: true, email: `${m.subscriberId}@example.com` }),
    sender: createSesRawSender({ client, configurationSetName: 'bench' }),
    rate: { acquire: async () => {} },
    requeue: async () => {},
    tokenKeys: KEYS,
    now: () => new Date(),
    newId: randomUUID,
    random: Math.random,
    sleep: async () => {},
    log: silentLog,
    concurrency: 10,
  });
  const total = quick ? 4000 : 20_000;
  const batch = (from: number) =>
    Array.from(
      { length: 10 },
      (_, i): DeliveryMessage => ({
        v: 1,
        postId,
        subscriberId: `r${from + i}`,
        addressHash: `h${from + i}`,
      }),
    );
  await send(batch(-1000)); // warm-up: JIT, sockets
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  // Four batches in flight, as a Lambda with 4 concurrent polls would see.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < total) {
        const from = next;
        next += 10;
        await send(batch(from));
      }
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return {
    messages: total,
    wallMs: Math.round(wallMs),
    messagesPerSecondWall: Math.round(total / (wallMs / 1000)),
    cpuMs: Math.round(cpuMs),
    messagesPerCpuSecond: Math.round(total / (cpuMs / 1000)),
  };
}

interface Local {
  wiring: DeliveryWiring;
  doc: DynamoDBDocumentClient;
  subscriberTable: string;
  settle(): Promise<void>;
  stop(): Promise<void>;
}

async function localPipeline(options: {
  dynamoEndpoint: string;
  sesEndpoint: string;
  quota?: { maxSendRate: number };
  concurrency: number;
  maxDepth?: number;
}): Promise<Local> {
  const dynamo = localDynamoClient(options.dynamoEndpoint);
  const suffix = randomUUID().slice(0, 8);
  const campaignTable = `campaigns-${suffix}`;
  const subscriberTable = `subscribers-${suffix}`;
  await dynamo.send(new CreateTableCommand(campaignTableDefinition(campaignTable)));
  await createSubscriberTable(dynamo, subscriberTable);
  let wiring: DeliveryWiring | undefined;
  let sendHandler: ReturnType<typeof createSendHandler> | undefined;
  const fanoutQueue = createLocalDeliveryQueue({
    handler: (event) =>
      createFanoutHandler({ deps: (r) => (wiring as DeliveryWiring).fanoutDeps(r), log: silentLog })(event),
    batchSize: 1,
    concurrency: 1,
  });
  const deliveryQueue = createLocalDeliveryQueue({
    handler: (event) => (sendHandler as ReturnType<typeof createSendHandler>)(event),
    concurrency: options.concurrency,
    visibilityTimeoutMs: 200,
    maxReceiveCount: 20,
    ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}),
  });
  wiring = createDeliveryWiring({
    dynamo,
    campaignTable,
    subscriberTable,
    ses: createSesSendClient({
      endpoint: options.sesEndpoint,
      region: 'eu-central-1',
      credentials: CREDENTIALS,
    }),
    deliveryQueue,
    fanoutQueue,
    tokenKeys: KEYS,
    ...(options.quota ? { quota: { ...options.quota, max24HourSend: 10_000_000, sentLast24Hours: 0 } } : {}),
    log: silentLog,
    send: { backoffBaseMs: 20, backoffCapMs: 1000 },
  });
  sendHandler = createSendHandler({ sendBatch: wiring.sendBatch, log: silentLog });
  fanoutQueue.start();
  deliveryQueue.start();
  return {
    wiring,
    doc: DynamoDBDocumentClient.from(dynamo),
    subscriberTable,
    async settle() {
      for (;;) {
        await fanoutQueue.idle();
        await deliveryQueue.idle();
        const f = fanoutQueue.stats();
        const d = deliveryQueue.stats();
        if (f.waiting + f.delayed + f.inFlight + d.waiting + d.delayed + d.inFlight === 0) return;
      }
    },
    async stop() {
      await fanoutQueue.stop();
      await deliveryQueue.stop();
    },
  };
}

async function seed(local: Local, count: number, confirmedBy: Date): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const from = next;
        next += 25;
        let requests = Array.from({ length: Math.min(25, count - from) }, (_, i) => {
          const id = `r${String(from + i).padStart(7, '0')}`;
          const address = `${id}@example.com`;
          const hash = addressHash(address);
          const at = new Date(confirmedBy.getTime() - (count - from - i) * 10).toISOString();
          return {
            PutRequest: {
              Item: {
                pk: `ADDRESS#${hash}`,
                sk: 'SUBSCRIBER',
                gsi1pk: 'CONFIRMED',
                gsi1sk: `${at}#${id}`,
                gsi2pk: `ID#${id}`,
                id,
                email: address,
                addressHash: hash,
                status: 'confirmed',
                createdAt: at,
                updatedAt: at,
                confirmedAt: at,
                softBounces: 0,
                consent: { at, source: 'bench', method: 'import', textVersion: '1', confirmedAt: at },
                version: 1,
              },
            },
          };
        });
        while (requests.length > 0) {
          const out = await local.doc.send(
            new BatchWriteCommand({ RequestItems: { [local.subscriberTable]: requests } }),
          );
          requests = (out.UnprocessedItems?.[local.subscriberTable] ?? []) as typeof requests;
        }
      }
    }),
  );
}

async function benchPacing(rate: number, dynamoEndpoint: string): Promise<Record<string, number>> {
  const sesEndpoint = await service('ses', rate);
  const local = await localPipeline({ dynamoEndpoint, sesEndpoint, concurrency: rate > 50 ? 8 : 2 });
  const count = Math.round(rate * PACING_SECONDS);
  await seed(local, count, new Date());
  const postId = `pacing-${rate}`;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await startCampaign(local.wiring.startDeps, {
    postId,
    email: email(postId),
    delivery: delivery(postId),
    now: new Date(),
  });
  await local.settle();
  const seconds = (performance.now() - started) / 1000;
  const counts = await local.wiring.store.countStates(postId);
  const used = process.cpuUsage(cpu);
  const ses = (await (await fetch(`${sesEndpoint}/__counts`)).json()) as {
    accepted: number;
    throttled: number;
  };
  const span = (await (await fetch(`${sesEndpoint}/__timing`)).json()) as {
    ratePerSecond: number;
    maxInAnySecond: number;
  };
  await local.stop();
  return {
    limit: rate,
    subscribers: count,
    seconds: Number(seconds.toFixed(2)),
    // Start to settled (includes campaign start, fan-out's first page and the last ledger write).
    achievedPerSecond: Number((counts.sent / seconds).toFixed(2)),
    percentOfLimit: Number(((100 * counts.sent) / seconds / rate).toFixed(1)),
    // First to last SES accept: the paced rate itself.
    sesRatePerSecond: Number(span.ratePerSecond.toFixed(2)),
    sesPercentOfLimit: Number(((100 * span.ratePerSecond) / rate).toFixed(1)),
    maxInAnySecond: span.maxInAnySecond,
    mainCpuMsPerMessage: Number(((used.user + used.system) / 1000 / count).toFixed(2)),
    sent: counts.sent,
    lost: count - counts.sent,
    duplicates: ses.accepted - counts.sent,
    throttledAndRetried: ses.throttled,
  };
}

async function benchMailing(dynamoEndpoint: string): Promise<Record<string, number>> {
  const sesEndpoint = await service('ses');
  const local = await localPipeline({
    dynamoEndpoint,
    sesEndpoint,
    quota: { maxSendRate: 50_000 },
    concurrency: 8,
    maxDepth: 2000,
  });
  const seedStart = performance.now();
  await seed(local, MAILING_SIZE, new Date());
  const seedSeconds = (performance.now() - seedStart) / 1000;
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 200);
  const postId = `mailing-${MAILING_SIZE}`;
  // A busy loop in its own process competes with the pipeline and dynalite for the CPU.
  const burner = CPU_LOAD ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
  if (burner) children.push(burner);
  const started = performance.now();
  await startCampaign(local.wiring.startDeps, {
    postId,
    email: email(postId),
    delivery: delivery(postId),
    now: new Date(),
  });
  await local.settle();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  burner?.kill('SIGKILL');
  const counts = await local.wiring.store.countStates(postId);
  await local.stop();
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  return {
    subscribers: MAILING_SIZE,
    seedSeconds: Number(seedSeconds.toFixed(1)),
    seconds: Number(seconds.toFixed(1)),
    messagesPerSecond: Math.round(counts.sent / seconds),
    cpuLoad: CPU_LOAD ? 1 : 0,
    ...counts,
    baselineRssMb: mb(baseline.rss),
    peakRssMb: mb(peakRss),
    peakHeapMb: mb(peakHeap),
  };
}

try {
  const results: Record<string, unknown> = { quick };
  if (only.has('cost')) {
    results.cost = await benchCost();
    console.log('cost', results.cost);
  }
  const dynamoEndpoint = only.has('pacing') || only.has('mailing') ? await service('dynalite') : '';
  if (only.has('pacing')) {
    for (const rate of (arg('--rates') ?? '14,200').split(',').map(Number)) {
      results[`pacing${rate}`] = await benchPacing(rate, dynamoEndpoint);
      console.log(`pacing ${rate}/s`, results[`pacing${rate}`]);
    }
  }
  if (only.has('mailing')) {
    results.mailing = await benchMailing(dynamoEndpoint);
    console.log('mailing', results.mailing);
  }
  console.log(JSON.stringify(results));
} finally {
  for (const child of children) child.kill('SIGTERM');
}
