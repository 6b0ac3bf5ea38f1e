import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
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
    const times = {
      subscribe: [] as number[],
      'confirm-mailer': [] as number[],
      confirm: [] as number[],
      unsubscribe: [] as number[],
    };

    const firstStart = performance.now();
    await subscribe(
      event('POST', '/api/subscribe', JSON.stringify({ email: `first-${randomUUID()}@example.test` })),
    );
    await deps.confirmationQueue.idle();
    const firstSubscribe = performance.now() - firstStart;

    for (let i = 0; i < iterations + 10; i++) {
      const email = `bench-${randomUUID().slice(0, 12)}@example.test`;
      let t = performance.now();
      const s = await subscribe(event('POST', '/api/subscribe', JSON.stringify({ email })));
      const ds = performance.now() - t;
      // The confirmation goes out from the queue, after the answer: time it on its own.
      t = performance.now();
      await deps.confirmationQueue.idle();
      const dm = performance.now() - t;
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
      times['confirm-mailer'].push(dm);
      times.confirm.push(dc);
      times.unsubscribe.push(du);
    }
    console.log(
      `handler latency against dynalite + aws-ses-v2-local, ${iterations} requests each (after 10 warm-up):`,
    );
    for (const [name, values] of Object.entries(times)) {
      console.log(
        `  ${name.padEnd(15)} p50 ${fmt(percentile(values, 50))}  p95 ${fmt(percentile(values, 95))}`,
      );
    }
    console.log(`  first subscribe in the process (loads + compiles mjml): ${fmt(firstSubscribe)}`);
    await deps.confirmationQueue.stop();
  } finally {
    await services.stop();
  }
}

await latency();
