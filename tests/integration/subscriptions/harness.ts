/**
 * Shared set-up for the subscription integration tests: a fresh table on the shared dynalite,
 * handlers wired to the shared local SES, a settable clock, and event builders.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { inject } from 'vitest';
import { createSubscriberStore, type SubscriberStore } from '../../../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../../../functions/adapters/token-keys.ts';
import type { SubscriptionPolicy } from '../../../functions/core/subscriber.ts';
import { createConfirmHandler } from '../../../functions/handlers/confirm.ts';
import { createResendHandler } from '../../../functions/handlers/resend.ts';
import { createSubscribeHandler } from '../../../functions/handlers/subscribe.ts';
import { createUnsubscribeHandler } from '../../../functions/handlers/unsubscribe.ts';
import {
  createSubscriberTable,
  localDynamoClient,
  readSesStore,
  type StoredEmail,
} from '../../../functions/local/services.ts';
import {
  createLocalSubscriptionDeps,
  type LocalSubscriptionDeps,
} from '../../../functions/local/subscriptions.ts';

export const SITE_URL = 'https://recaps.test';

/** Options for an API Gateway v2 event. */
export interface EventInit {
  method?: string;
  path: string;
  body?: string;
  contentType?: string;
  query?: Record<string, string>;
  ip?: string;
  headers?: Record<string, string>;
  base64?: boolean;
}

/** Builds the event API Gateway's HTTP API would deliver. */
export function apiEvent(init: EventInit): APIGatewayProxyEventV2 {
  const method = init.method ?? 'POST';
  const headers: Record<string, string> = { 'user-agent': 'vitest', ...(init.headers ?? {}) };
  if (init.contentType) headers['content-type'] = init.contentType;
  const query = init.query ? new URLSearchParams(init.query).toString() : '';
  return {
    version: '2.0',
    routeKey: `${method} ${init.path}`,
    rawPath: init.path,
    rawQueryString: query,
    headers,
    queryStringParameters: init.query,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'recaps.test',
      domainPrefix: 'recaps',
      http: {
        method,
        path: init.path,
        protocol: 'HTTP/1.1',
        sourceIp: init.ip ?? '198.51.100.7',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${init.path}`,
      stage: '$default',
      time: '01/May/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    body:
      init.body === undefined
        ? undefined
        : init.base64
          ? Buffer.from(init.body).toString('base64')
          : init.body,
    isBase64Encoded: init.base64 ?? false,
  };
}

/** A unique address on the reserved `.test` TLD. */
export function freshAddress(label = 'reader'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.test`;
}

/** A started harness: fresh table, handlers, clock. */
export interface Harness {
  deps: LocalSubscriptionDeps;
  store: SubscriberStore;
  tableName: string;
  sesEndpoint: string;
  clock: { now: Date };
  subscribe(init: Partial<EventInit> & { email?: string; website?: string; form?: boolean }): Promise<Result>;
  confirmPage(token: string): Promise<Result>;
  confirm(token: string): Promise<Result>;
  resend(token: string): Promise<Result>;
  unsubscribePage(token: string): Promise<Result>;
  oneClick(token: string): Promise<Result>;
  emailsTo(address: string): Promise<StoredEmail[]>;
  confirmTokenFor(address: string): Promise<string>;
}

/** The structured result handlers return, with the fields tests read made required. */
export type Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** Creates a fresh table and handlers over the local services started by the global setup. */
export async function startHarness(
  options: {
    policy?: Partial<SubscriptionPolicy>;
    ipLimit?: { max: number; windowMs: number };
    /** Keep queued confirmations unsent until the test starts `deps.confirmationQueue`. */
    holdConfirmations?: boolean;
  } = {},
): Promise<Harness> {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const sesEndpoint = inject('sesEndpoint');
  const tableName = `subs-${randomUUID()}`;
  const client = localDynamoClient(dynamoEndpoint);
  await createSubscriberTable(client, tableName);
  const clock = { now: new Date('2026-05-01T10:00:00.000Z') };
  const deps = await createLocalSubscriptionDeps({
    dynamoEndpoint,
    sesEndpoint,
    tableName,
    siteUrl: SITE_URL,
    siteTitle: 'Test Meetups',
    keys: generateTokenKeys('t1'),
    now: () => clock.now,
    policy: options.policy,
    ipLimit: options.ipLimit ?? { max: 1_000_000, windowMs: 3600_000 },
    holdConfirmations: options.holdConfirmations ?? false,
  });
  const subscribe = createSubscribeHandler(deps);
  const confirm = createConfirmHandler(deps);
  const unsubscribe = createUnsubscribeHandler(deps);
  const resend = createResendHandler(deps);
  const run = async (p: Promise<APIGatewayProxyStructuredResultV2>) => (await p) as Result;
  // The confirm-mailer runs behind a queue: a running one has handled what was asked before it answers.
  const settled = async (p: Promise<APIGatewayProxyStructuredResultV2>) => {
    const result = await run(p);
    if (!options.holdConfirmations) await deps.confirmationQueue.idle();
    return result;
  };

  async function emailsTo(address: string) {
    if (!options.holdConfirmations) await deps.confirmationQueue.idle();
    return (await readSesStore(sesEndpoint)).filter((e) => e.destination.to.includes(address));
  }

  return {
    deps,
    store: createSubscriberStore({ client, tableName }),
    tableName,
    sesEndpoint,
    clock,
    subscribe: ({ email, website, form, ...init }) => {
      const fields = { email: email ?? '', ...(website === undefined ? {} : { website }) };
      const body = form ? new URLSearchParams(fields).toString() : JSON.stringify(fields);
      return settled(
        subscribe(
          apiEvent({
            path: '/api/subscribe',
            contentType: form ? 'application/x-www-form-urlencoded' : 'application/json',
            body,
            ...init,
          }),
        ),
      );
    },
    confirmPage: (token) => run(confirm(apiEvent({ method: 'GET', path: '/api/confirm', query: { token } }))),
    confirm: (token) =>
      run(
        confirm(
          apiEvent({
            path: '/api/confirm',
            contentType: 'application/x-www-form-urlencoded',
            body: new URLSearchParams({ token }).toString(),
          }),
        ),
      ),
    resend: (token) =>
      settled(
        resend(
          apiEvent({
            path: '/api/resend',
            contentType: 'application/x-www-form-urlencoded',
            body: new URLSearchParams({ token }).toString(),
          }),
        ),
      ),
    unsubscribePage: (token) =>
      run(unsubscribe(apiEvent({ method: 'GET', path: '/api/unsubscribe', query: { token } }))),
    oneClick: (token) =>
      run(
        unsubscribe(
          apiEvent({
            path: '/api/unsubscribe',
            query: { token },
            contentType: 'application/x-www-form-urlencoded',
            body: 'List-Unsubscribe=One-Click',
          }),
        ),
      ),
    emailsTo,
    async confirmTokenFor(address) {
      const mails = await emailsTo(address);
      const last = mails.at(-1);
      const match = /\/api\/confirm\?token=([A-Za-z0-9._%-]+)/.exec(last?.body.text ?? '');
      if (!match?.[1]) throw new Error(`no confirmation link mailed to ${address}`);
      return decodeURIComponent(match[1]);
    },
  };
}
