/**
 * The Lambda bundles exactly as `cdk synth` builds them (ES modules, AWS SDK bundled and
 * tree-shaken, environment credentials, `http` through `require`, precompiled confirmation
 * templates) serve real requests against the local stand-ins: each call runs the bundle in a
 * fresh Node.js process with the function's own NODE_OPTIONS and no node_modules in reach.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { campaignTableDefinition, createCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { createSubscriberStore } from '../../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../../functions/adapters/token-keys.ts';
import { addressHash } from '../../functions/core/email-address.ts';
import { createLocalBucket, localS3Client } from '../../functions/local/s3-server.ts';
import { createSubscriberTable, localDynamoClient, readSesStore } from '../../functions/local/services.ts';
import { loadInfraConfig } from '../../infra/config.ts';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { repoRoot } from '../../infra/paths.ts';
import { freshTables, makeDelivery, makeRenderedEmail, seedSubscribers } from './delivery/harness.ts';
import { apiEvent, freshAddress } from './subscriptions/harness.ts';

const run = promisify(execFile);

interface Bundle {
  dir: string;
  file: string;
  nodeOptions: string;
}

const outdir = mkdtempSync(join(tmpdir(), 'herald-bundles-run-'));
const bundles = new Map<string, Bundle>();
let env: Record<string, string> = {};
let tableName = '';
/** What the last invoked bundle logged (assertion messages show it). */
let lastLogs = '';

/**
 * libfaketime's settings, when the suite runs under `faketime` (checking that it passes at any hour): a
 * bundle's process, started with a clean environment, would otherwise read the real clock while the test
 * dates its posts by the fake one. An absolute fake time is read in the process's own zone, and a bundle
 * runs in UTC (as on Lambda) while the suite may not: the bundle is given this process's instant, in UTC.
 */
function fakeClockEnv(): Record<string, string> {
  const vars = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && /^(LD_PRELOAD|FAKETIME\w*|DONT_FAKE_MONOTONIC)$/.test(e[0]),
    ),
  );
  const spec = vars.FAKETIME;
  if (spec && /^@?\d{4}-\d\d-\d\d/.test(spec)) {
    const instant = new Date().toISOString().slice(0, 19).replace('T', ' ');
    vars.FAKETIME = spec.startsWith('@') ? `@${instant}` : instant;
  }
  return vars;
}

/** Calls the bundle's handler once in a fresh process; returns what the handler returned. */
async function invoke(service: string, event: unknown, extraEnv: Record<string, string> = {}) {
  const bundle = bundles.get(service);
  if (!bundle) throw new Error(`no bundle for ${service}`);
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});
    const event = JSON.parse(process.env.HERALD_TEST_EVENT);
    const result = await handler(event, { getRemainingTimeInMillis: () => 10_000 });
    process.stdout.write('\\n@@result ' + JSON.stringify(result));`;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: bundle.dir,
    env: {
      ...env,
      ...fakeClockEnv(),
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: `${bundle.nodeOptions} --no-warnings`,
      AWS_LAMBDA_FUNCTION_NAME: service,
      TEMPLATES_DIR: join(bundle.dir, 'templates'),
      CONFIRM_TEMPLATE: join(bundle.dir, 'templates', 'confirm.html'),
      HERALD_TEST_EVENT: JSON.stringify(event),
      ...extraEnv,
    },
    timeout: 30_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('@@result '));
  if (!line) throw new Error(`${service} printed no result:\n${stdout}\n${stderr}`);
  lastLogs = `${stdout}\n${stderr}`;
  return JSON.parse(line.slice('@@result '.length)) as {
    statusCode: number;
    body: string;
    batchItemFailures?: unknown[];
  };
}

beforeAll(async () => {
  const contentDir = join(repoRoot, 'content');
  const app = new App({ outdir });
  const stack = new HeraldStack(app, 'Herald', {
    config: loadInfraConfig({ contentDir, context: () => undefined }),
    contentDir,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  app.synth();
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
    Properties: { Code: { S3Key: string }; Environment?: { Variables?: Record<string, string> } };
  }[];
  for (const fn of functions) {
    const vars = fn.Properties.Environment?.Variables ?? {};
    if (!vars.HERALD_FUNCTION) continue;
    const dir = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    bundles.set(vars.HERALD_FUNCTION, {
      dir,
      file: join(dir, vars.HERALD_FUNCTION === 'herald-publish' ? 'index.js' : 'index.mjs'),
      nodeOptions: vars.NODE_OPTIONS ?? '',
    });
  }

  const dynamoEndpoint = inject('dynamoEndpoint');
  tableName = `bundle-subs-${randomUUID()}`;
  await createSubscriberTable(localDynamoClient(dynamoEndpoint), tableName);
  const keysFile = join(outdir, 'token-keys.json');
  writeFileSync(keysFile, JSON.stringify(generateTokenKeys('b1')));
  env = {
    AWS_REGION: 'eu-central-1',
    // Lambda puts the role's credentials here; the bundles read nothing else.
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
    TABLE_NAME: tableName,
    SITE_URL: 'https://recaps.test',
    SITE_TITLE: 'Bundle Meetups',
    FROM_ADDRESS: 'news@recaps.test',
    TOKEN_KEYS_FILE: keysFile,
  };
}, 120_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles serve requests', () => {
  it('subscribe queues a confirmation, the confirm-mailer mails it from the precompiled templates, and confirm confirms', async () => {
    const address = freshAddress('bundle');
    const sqs = await startSqsStandIn();
    let subscribed: Awaited<ReturnType<typeof invoke>>;
    try {
      subscribed = await invoke(
        'herald-subscribe',
        apiEvent({
          path: '/api/subscribe',
          contentType: 'application/x-www-form-urlencoded',
          body: new URLSearchParams({ email: address }).toString(),
        }),
        { CONFIRMATION_QUEUE_URL: `${sqs.endpoint}/123456789012/herald-confirmations` },
      );
    } finally {
      await new Promise((resolve) => sqs.server.close(resolve));
    }
    expect(subscribed.statusCode, lastLogs).toBe(200);
    expect(sqs.bodies).toHaveLength(1);
    const mailed = await invoke('herald-confirm-mailer', {
      Records: sqs.bodies.map((body) => ({
        messageId: randomUUID(),
        receiptHandle: 'r',
        body,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:confirmations',
        awsRegion: 'eu-central-1',
      })),
    });
    expect(mailed.batchItemFailures, lastLogs).toEqual([]);

    const mails = (await readSesStore(inject('sesEndpoint'))).filter((m) =>
      m.destination.to.includes(address),
    );
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    expect(mail?.subject).toContain('Bundle Meetups');
    expect(mail?.body.html).toContain('https://recaps.test/api/confirm?token=');
    const link = /https:\/\/recaps\.test\/api\/confirm\?token=([A-Za-z0-9._%-]+)/.exec(mail?.body.text ?? '');
    expect(link?.[1], 'the text part carries the confirm link').toBeTruthy();
    const token = decodeURIComponent(link?.[1] ?? '');

    const confirmed = await invoke(
      'herald-confirm',
      apiEvent({
        path: '/api/confirm',
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ token }).toString(),
      }),
    );
    expect(confirmed.statusCode, lastLogs).toBe(200);
    const store = createSubscriberStore({
      client: localDynamoClient(inject('dynamoEndpoint')),
      tableName,
    });
    const subscriber = await store.findByAddressHash(addressHash(address));
    expect(subscriber && 'status' in subscriber ? subscriber.status : undefined).toBe('confirmed');
  }, 60_000);
});

/**
 * aws-ses-v2-local has no GetSendQuota, which the send function asks for its pacing: answer that
 * here and pass every other call through to the local SES.
 */
async function startSesWithQuota(sesEndpoint: string): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (new URLSearchParams(body.toString()).get('Action') === 'GetSendQuota') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        '<GetSendQuotaResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetSendQuotaResult>' +
          '<Max24HourSend>50000</Max24HourSend><MaxSendRate>14</MaxSendRate><SentLast24Hours>0</SentLast24Hours>' +
          '</GetSendQuotaResult><ResponseMetadata><RequestId>quota</RequestId></ResponseMetadata></GetSendQuotaResponse>',
      );
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length',
      ),
    ) as Record<string, string>;
    const upstream = await fetch(new URL(req.url ?? '/', sesEndpoint), { method: req.method, headers, body });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/xml' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the send and unsubscribe bundles', () => {
  it('send mails one recipient of a campaign and records it sent; its one-click link unsubscribes', async () => {
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    const tables = await freshTables(dynamo);
    const [reader] = await seedSubscribers(
      dynamo,
      tables.subscriberTable,
      1,
      new Date(),
      `b${randomUUID().slice(0, 6)}`,
    );
    if (!reader) throw new Error('no subscriber seeded');
    const postId = `bundle-${randomUUID().slice(0, 8)}`;
    const campaigns = createCampaignStore({ client: dynamo, tableName: tables.campaignTable });
    const now = new Date();
    await campaigns.create(
      {
        kind: 'campaign',
        postId,
        status: 'sending',
        startedAt: now,
        recipientCount: 1,
        subject: 'Pi Day Meetup',
        delivery: makeDelivery(postId),
        fanout: { done: true, page: 1, enqueued: 1 },
        updatedAt: now,
      },
      makeRenderedEmail(postId),
    );
    const ses = await startSesWithQuota(inject('sesEndpoint'));
    try {
      const result = await invoke(
        'herald-send',
        {
          Records: [
            {
              messageId: 'm-1',
              receiptHandle: 'r-1',
              body: JSON.stringify({
                v: 1,
                postId,
                subscriberId: reader.id,
                addressHash: reader.addressHash,
              }),
              attributes: { ApproximateReceiveCount: '1' },
              messageAttributes: {},
              eventSource: 'aws:sqs',
            },
          ],
        },
        {
          CAMPAIGN_TABLE_NAME: tables.campaignTable,
          SUBSCRIBER_TABLE_NAME: tables.subscriberTable,
          DELIVERY_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/herald-send',
          AWS_ENDPOINT_URL_SES: ses.endpoint,
        },
      );
      expect(result.batchItemFailures, lastLogs).toEqual([]);
    } finally {
      ses.server.close();
    }
    const mails = (await readSesStore(inject('sesEndpoint'))).filter((m) =>
      m.destination.to.some((to) => to.includes(reader.email)),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('Pi Day Meetup');
    expect(mails[0]?.body.text).toContain('https://recaps.test/api/unsubscribe?token=');
    expect((await campaigns.getEntry(postId, reader.id))?.state).toBe('sent');

    const link = /https:\/\/recaps\.test\/api\/unsubscribe\?token=([A-Za-z0-9._%-]+)/.exec(
      mails[0]?.body.text ?? '',
    );
    const token = decodeURIComponent(link?.[1] ?? '');
    expect(token, 'the newsletter carries an unsubscribe link').not.toBe('');
    const unsubscribed = await invoke(
      'herald-unsubscribe',
      apiEvent({
        path: '/api/unsubscribe',
        query: { token },
        contentType: 'application/x-www-form-urlencoded',
        body: 'List-Unsubscribe=One-Click',
      }),
      { TABLE_NAME: tables.subscriberTable },
    );
    expect(unsubscribed.statusCode, lastLogs).toBe(200);
    const subscribers = createSubscriberStore({ client: dynamo, tableName: tables.subscriberTable });
    const after = await subscribers.findByAddressHash(reader.addressHash);
    expect(after && 'status' in after ? after.status : undefined).toBe('unsubscribed');
  }, 60_000);
});

/** A stand-in for SQS's JSON protocol: records SendMessageBatch bodies (the SDK checks their MD5). */
async function startSqsStandIn(): Promise<{ endpoint: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
      Entries?: { Id: string; MessageBody: string }[];
    };
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    if (req.headers['x-amz-target'] !== 'AmazonSQS.SendMessageBatch' || !input.Entries) {
      res.writeHead(400);
      res.end(
        JSON.stringify({ __type: 'InvalidAction', message: `unsupported ${req.headers['x-amz-target']}` }),
      );
      return;
    }
    bodies.push(...input.Entries.map((e) => e.MessageBody));
    res.writeHead(200);
    res.end(
      JSON.stringify({
        Successful: input.Entries.map((e) => ({
          Id: e.Id,
          MessageId: randomUUID(),
          MD5OfMessageBody: md5(e.MessageBody),
        })),
        Failed: [],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

describe('the publish bundle (CommonJS, with mjml)', () => {
  it('publishes a new recap to the site bucket, renders its newsletter with mjml and starts the campaign', async () => {
    const s3Endpoint = inject('s3Endpoint');
    const s3 = localS3Client(s3Endpoint);
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    const suffix = randomUUID().slice(0, 8);
    const contentBucket = `bundle-content-${suffix}`;
    const siteBucket = `bundle-site-${suffix}`;
    const stateBucket = `bundle-state-${suffix}`;
    const campaignTable = `bundle-campaigns-${suffix}`;
    const subscriberTable = `bundle-subscribers-${suffix}`;
    await Promise.all(
      [contentBucket, siteBucket, stateBucket].map((bucket) => createLocalBucket(s3, bucket)),
    );
    await dynamo.send(new CreateTableCommand(campaignTableDefinition(campaignTable)));
    await createSubscriberTable(dynamo, subscriberTable);
    // The bundle runs in its own process on the real clock (s3rver refuses skewed signatures, so
    // that clock cannot be faked): date the post an hour before it, a fixed distance at any hour.
    const postDate = new Date(Date.now() - 3_600_000).toISOString();
    const key = `posts/${postDate.slice(0, 10)}-bundle-night.md`;
    const put = (Key: string, Body: string) =>
      s3.send(new PutObjectCommand({ Bucket: contentBucket, Key, Body }));
    await put('site.yml', readFileSync(join(repoRoot, 'content', 'site.yml'), 'utf8'));
    await put(
      key,
      `---\ntitle: "Bundle Night"\nauthor: "Meetup Organisers"\ndate: ${postDate}\nsummary: "Three talks about shipping small Lambda bundles."\ntags: [serverless]\n---\n\nWe met to compare **cold starts** and left with smaller bundles.\n`,
    );
    const sqs = await startSqsStandIn();
    const bundle = bundles.get('herald-publish');
    try {
      const result = await invoke(
        'herald-publish',
        {
          Records: [
            {
              messageId: 'p-1',
              receiptHandle: 'r-1',
              attributes: { ApproximateReceiveCount: '1' },
              messageAttributes: {},
              eventSource: 'aws:sqs',
              body: JSON.stringify({
                Records: [
                  {
                    eventVersion: '2.1',
                    eventSource: 'aws:s3',
                    eventName: 'ObjectCreated:Put',
                    s3: { bucket: { name: contentBucket }, object: { key } },
                  },
                ],
              }),
            },
          ],
        },
        {
          // s3rver's credentials; an IP endpoint makes the SDK use path-style URLs.
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_ENDPOINT_URL_S3: s3Endpoint.replace('localhost', '127.0.0.1'),
          CONTENT_BUCKET: contentBucket,
          SITE_BUCKET: siteBucket,
          STATE_BUCKET: stateBucket,
          CAMPAIGN_TABLE_NAME: campaignTable,
          SUBSCRIBER_TABLE_NAME: subscriberTable,
          SITE_URL: 'https://recaps.example.org',
          TEMPLATES_DIR: join(bundle?.dir ?? '', 'templates'),
          SCHEDULE_GROUP: 'herald',
          SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/herald-scheduler',
          CONTENT_QUEUE_ARN: 'arn:aws:sqs:eu-central-1:123456789012:herald-content',
          FANOUT_QUEUE_URL: `${sqs.endpoint}/123456789012/herald-fanout`,
        },
      );
      expect(result.batchItemFailures, lastLogs).toEqual([]);
    } finally {
      sqs.server.close();
    }
    const campaigns = await createCampaignStore({ client: dynamo, tableName: campaignTable }).list();
    expect(campaigns.map((c) => c.kind)).toEqual(['campaign']);
    const postId = campaigns[0]?.postId ?? '';
    expect(sqs.bodies.map((b) => JSON.parse(b))).toEqual([{ postId }]);
    const campaign = await createCampaignStore({ client: dynamo, tableName: campaignTable }).loadWithEmail(
      postId,
    );
    expect(campaign?.email.html).toMatch(/Bundle Night[\s\S]*<\/html>/);
    const feed = await s3.send(new GetObjectCommand({ Bucket: siteBucket, Key: 'feed.xml' }));
    expect(await feed.Body?.transformToString()).toContain('Bundle Night');
  }, 90_000);
});
