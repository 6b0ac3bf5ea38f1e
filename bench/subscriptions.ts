/**
 * Subscription numbers for the closing note:
 * - handler latency p50/p95 (subscribe, confirm, unsubscribe) against dynalite + aws-ses-v2-local;
 * - cold module-load time of the subscribe handler bundled with esbuild (median of 10 fresh processes),
 *   and whether mjml is evaluated at start.
 *
 * Run: node --import tsx bench/subscriptions.ts [iterations]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { isSubscriber } from '../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../functions/adapters/token-keys.ts';
import { addressHash } from '../functions/core/email-address.ts';
import { signToken } from '../functions/core/tokens.ts';
import { createConfirmHandler } from '../functions/handlers/confirm.ts';
import { createSubscribeHandler } from '../functions/handlers/subscribe.ts';
import { createUnsubscribeHandler } from '../functions/handlers/unsubscribe.ts';
import { createSubscriberTable, localDynamoClient, startLocalServices } from '../functions/local/services.ts';
import { createLocalSubscriptionDeps } from '../functions/local/subscriptions.ts';

const iterations = Number(process.argv[2] ?? 200);

function event(
  method: string,
  path: string,
  body?: string,
  query?: Record<string, string>,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: {
      'content-type':
        path.endsWith('subscribe') && method === 'POST' && !query
          ? 'application/json'
          : 'application/x-www-form-urlencoded',
    },
    queryStringParameters: query,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: `10.0.${Math.floor(Math.random() * 255)}.1`,
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function latency() {
  const services = await startLocalServices();
  try {
    const tableName = `bench-${randomUUID()}`;
    await createSubscriberTable(localDynamoClient(services.dynamoEndpoint), tableName);
    const deps = await createLocalSubscriptionDeps({
      dynamoEndpoint: services.dynamoEndpoint,
      sesEndpoint: services.sesEndpoint,
      tableName,
      siteUrl: 'http://localhost:8080',
      keys: generateTokenKeys(),
      ipLimit: { max: 1_000_000, windowMs: 3600_000 },
    });
    const subscribe = createSubscribeHandler(deps);
    const confirm = createConfirmHandler(deps);
    const unsubscribe = createUnsubscribeHandler(deps);
    const times = { subscribe: [] as number[], confirm: [] as number[], unsubscribe: [] as number[] };

    const firstStart = performance.now();
    await subscribe(
      event('POST', '/api/subscribe', JSON.stringify({ email: `first-${randomUUID()}@example.test` })),
    );
    const firstSubscribe = performance.now() - firstStart;

    for (let i = 0; i < iterations + 10; i++) {
      const email = `bench-${randomUUID().slice(0, 12)}@example.test`;
      let t = performance.now();
      const s = await subscribe(event('POST', '/api/subscribe', JSON.stringify({ email })));
      const ds = performance.now() - t;
      const sub = await deps.store.findByAddressHash(addressHash(email));
      if (s.statusCode !== 200 || !isSubscriber(sub)) throw new Error(`subscribe failed: ${s.statusCode}`);
      const confirmToken = signToken(deps.keys, {
        purpose: 'confirm',
        subscriberId: sub.id,
        issuedAt: new Date(),
      });
      t = performance.now();
      const c = await confirm(
        event('POST', '/api/confirm', new URLSearchParams({ token: confirmToken }).toString()),
      );
      const dc = performance.now() - t;
      const unsubToken = signToken(deps.keys, {
        purpose: 'unsubscribe',
        subscriberId: sub.id,
        issuedAt: new Date(),
      });
      t = performance.now();
      const u = await unsubscribe(
        event('POST', '/api/unsubscribe', 'List-Unsubscribe=One-Click', { token: unsubToken }),
      );
      const du = performance.now() - t;
      if (c.statusCode !== 200 || u.statusCode !== 200)
        throw new Error(`confirm ${c.statusCode} / unsubscribe ${u.statusCode}`);
      if (i < 10) continue; // warm-up
      times.subscribe.push(ds);
      times.confirm.push(dc);
      times.unsubscribe.push(du);
    }
    console.log(
      `handler latency against dynalite + aws-ses-v2-local, ${iterations} requests each (after 10 warm-up):`,
    );
    for (const [name, values] of Object.entries(times)) {
      console.log(
        `  ${name.padEnd(12)} p50 ${fmt(percentile(values, 50))}  p95 ${fmt(percentile(values, 95))}`,
      );
    }
    console.log(`  first subscribe in the process (loads + compiles mjml): ${fmt(firstSubscribe)}`);
  } finally {
    await services.stop();
  }
}

async function coldLoad() {
  const dir = await mkdtemp(join(tmpdir(), 'herald-bench-'));
  try {
    const results: string[] = [];
    // 'all bundled' parses mjml's 15 MB even though it is never evaluated at start; the deployable
    // variant leaves mjml (loaded only on the first confirmation) and the Secrets Manager client
    // (loaded only with TOKEN_KEYS_SECRET_ID) to node_modules.
    const floorEntry = join(dir, 'floor.cjs');
    await writeFile(
      floorEntry,
      "module.exports = { handler: () => {}, ddb: require('@aws-sdk/client-dynamodb') };\n",
    );
    for (const variant of ['all bundled', 'mjml external', 'floor: DynamoDB SDK alone'] as const) {
      const outfile = join(dir, `subscribe-${variant.replace(/\W+/g, '-')}.cjs`);
      await build({
        entryPoints: [variant.startsWith('floor') ? floorEntry : resolve('functions/handlers/subscribe.ts')],
        nodePaths: [resolve('node_modules')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile,
        logLevel: 'error',
        minify: true,
        external: variant === 'mjml external' ? ['mjml', '@aws-sdk/client-secrets-manager'] : [],
      });
      const probe = join(dir, 'probe.cjs');
      await writeFile(
        probe,
        `const t=process.hrtime.bigint();const m=require(process.argv[2]);const ms=Number(process.hrtime.bigint()-t)/1e6;` +
          `if(typeof m.handler!=='function')throw new Error('no handler');` +
          `const mjml=Object.keys(require.cache).some(k=>/[\\\\/]mjml[^\\\\/]*[\\\\/]/.test(k));` +
          `process.stdout.write(JSON.stringify({ms,mjml}));`,
      );
      const samples: number[] = [];
      let mjmlLoaded = false;
      for (let i = 0; i < 10; i++) {
        const out = JSON.parse(
          execFileSync(process.execPath, [probe, outfile], { cwd: resolve('.'), encoding: 'utf8' }),
        ) as { ms: number; mjml: boolean };
        samples.push(out.ms);
        mjmlLoaded ||= out.mjml;
      }
      const size = (await stat(outfile)).size;
      results.push(
        `  ${variant.padEnd(26)} bundle ${(size / 1024 / 1024).toFixed(2)} MB, require() median ${fmt(percentile(samples, 50))}` +
          ` (min ${fmt(Math.min(...samples))}, max ${fmt(Math.max(...samples))}), mjml modules loaded at start: ${mjmlLoaded ? 'yes' : 'no'}`,
      );
    }
    console.log(
      `cold module load of functions/handlers/subscribe.ts (esbuild, cjs, node20, minified, 10 fresh processes; ` +
        `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores):`,
    );
    for (const line of results) console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await coldLoad();
await latency();
