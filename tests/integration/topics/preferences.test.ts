import { randomUUID } from 'node:crypto';
import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { campaignTableDefinition, createCampaignStore } from '../../../functions/adapters/campaign-store.ts';
import { createDeliveryAudience } from '../../../functions/adapters/delivery-audience.ts';
import { createSubscriberStore } from '../../../functions/adapters/subscriber-store.ts';
import { generateTokenKeys } from '../../../functions/adapters/token-keys.ts';
import { createTopicAudience } from '../../../functions/adapters/topic-audience.ts';
import { runFanout } from '../../../functions/app/fan-out.ts';
import { compileNewsletter, type DeliveryMessage } from '../../../functions/app/send-batch.ts';
import { startCampaign } from '../../../functions/app/start-campaign.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { signToken, verifyToken } from '../../../functions/core/tokens.ts';
import type { Topic } from '../../../functions/core/topics.ts';
import { createConfirmHandler } from '../../../functions/handlers/confirm.ts';
import { createPreferencesHandler } from '../../../functions/handlers/preferences.ts';
import { createSubscribeHandler } from '../../../functions/handlers/subscribe.ts';
import { createUnsubscribeHandler } from '../../../functions/handlers/unsubscribe.ts';
import { createSubscriberTable, localDynamoClient, readSesStore } from '../../../functions/local/services.ts';
import { createLocalSubscriptionDeps } from '../../../functions/local/subscriptions.ts';
import { makeDelivery, makeRenderedEmail } from '../delivery/harness.ts';
import { apiEvent, type EventInit, freshAddress, SITE_URL } from '../subscriptions/harness.ts';

const TOPICS: Topic[] = [
  { id: 'berlin', name: 'Berlin', description: 'Recaps from Berlin', tags: ['berlin'] },
  { id: 'lisbon', name: 'Lisbon', tags: ['lisbon'] },
  { id: 'seoul', name: 'Seoul', tags: ['seoul'] },
];
const DAY = 86_400_000;

type Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

async function setup() {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const sesEndpoint = inject('sesEndpoint');
  const tableName = `topics-${randomUUID().slice(0, 8)}`;
  const client = localDynamoClient(dynamoEndpoint);
  await createSubscriberTable(client, tableName);
  const clock = { now: new Date('2026-11-01T10:00:00.000Z') };
  const keys = generateTokenKeys('t1');
  const deps = await createLocalSubscriptionDeps({
    dynamoEndpoint,
    sesEndpoint,
    tableName,
    siteUrl: SITE_URL,
    siteTitle: 'Test Meetups',
    keys,
    topics: TOPICS,
    now: () => clock.now,
    ipLimit: { max: 1_000_000, windowMs: 3600_000 },
  });
  const handlers = {
    subscribe: createSubscribeHandler(deps),
    confirm: createConfirmHandler(deps),
    unsubscribe: createUnsubscribeHandler(deps),
    preferences: createPreferencesHandler(deps),
  };
  // The confirm-mailer runs behind a queue: let it handle what a call asked for before looking.
  const call = async (name: keyof typeof handlers, init: EventInit) => {
    const result = (await handlers[name](apiEvent(init))) as Result;
    await deps.confirmationQueue.idle();
    return result;
  };
  const store = createSubscriberStore({ client, tableName });
  const audience = createTopicAudience({ client, tableName });
  const stored = async (email: string) => {
    const record = await store.findByAddressHash(addressHash(email));
    return record && !('kind' in record) ? record : undefined;
  };
  const items = async () => (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  const membersOf = async (partition: string) => {
    const all = await items();
    return all
      .filter((i) => i.pk?.S === `AUDIENCE#${partition}`)
      .map((i) => i.sk?.S)
      .sort();
  };
  const emailsTo = async (address: string) =>
    (await readSesStore(sesEndpoint)).filter((e) => e.destination.to.includes(address));

  async function subscribeJson(email: string, extra: Record<string, unknown>) {
    return call('subscribe', {
      path: '/api/subscribe',
      contentType: 'application/json',
      body: JSON.stringify({ email, ...extra }),
    });
  }

  async function confirmed(email: string, topics?: string[]): Promise<Subscriber> {
    const response = await subscribeJson(email, topics ? { choice: 'topics', topics } : {});
    if (response.statusCode !== 200) throw new Error(`subscribe answered ${response.statusCode}`);
    const sub = await stored(email);
    if (!sub) throw new Error('not stored');
    const token = signToken(keys, { purpose: 'confirm', subscriberId: sub.id, issuedAt: clock.now });
    await call('confirm', {
      path: '/api/confirm',
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ token }).toString(),
    });
    const after = await stored(email);
    if (after?.status !== 'confirmed') throw new Error('not confirmed');
    return after;
  }

  const manageToken = (sub: Subscriber, at = clock.now) =>
    signToken(keys, { purpose: 'manage', subscriberId: sub.id, issuedAt: at });
  const showPage = (token: string) =>
    call('preferences', { method: 'GET', path: '/api/preferences', query: { token } });
  const post = (fields: [string, string][]) =>
    call('preferences', {
      path: '/api/preferences',
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams(fields).toString(),
    });

  const campaignsTable = `${tableName}-campaigns`;
  await client.send(new CreateTableCommand(campaignTableDefinition(campaignsTable)));
  const campaigns = createCampaignStore({ client, tableName: campaignsTable });
  const delivery = createDeliveryAudience({ client, tableName, store });
  const enqueued: DeliveryMessage[] = [];
  const fanOut = (postId: string) =>
    runFanout(
      {
        campaigns,
        subscribers: delivery,
        enqueue: async (messages) => {
          enqueued.push(...messages);
        },
        continueLater: async () => {},
        remainingMs: () => Number.POSITIVE_INFINITY,
        now: () => clock.now,
      },
      postId,
    );
  const startTopicCampaign = (postId: string, topics: string[]) =>
    startCampaign(
      {
        campaigns,
        countConfirmed: (at, only) => delivery.countConfirmed(at, only),
        startFanout: async () => {},
      },
      {
        postId,
        email: makeRenderedEmail(postId),
        delivery: { ...makeDelivery(postId), audience: { kind: 'topics', topics } },
        now: clock.now,
      },
    );

  return {
    campaigns,
    enqueued,
    fanOut,
    startTopicCampaign,
    deps,
    keys,
    clock,
    store,
    audience,
    stored,
    items,
    membersOf,
    emailsTo,
    call,
    subscribeJson,
    confirmed,
    manageToken,
    showPage,
    post,
  };
}

describe('subscribing to topics', () => {
  it('stores the chosen topics and says what was chosen in the email and on the confirm page', async () => {
    const t = await setup();
    const email = freshAddress('pick');

    const response = await t.subscribeJson(email, { choice: 'topics', topics: ['lisbon', 'berlin'] });

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).message).toContain('You chose: Berlin, Lisbon.');
    const sub = await t.stored(email);
    expect(sub?.topics).toEqual(['berlin', 'lisbon']);
    const [mail] = await t.emailsTo(email);
    expect(mail?.body.text).toContain('You chose: Berlin, Lisbon.');
    const token = signToken(t.keys, {
      purpose: 'confirm',
      subscriberId: sub?.id ?? '',
      issuedAt: t.clock.now,
    });
    const page = await t.call('confirm', { method: 'GET', path: '/api/confirm', query: { token } });
    expect(page.body).toContain('You chose: <strong>Berlin, Lisbon</strong>');
    expect(await t.membersOf('berlin')).toEqual([]);
  });

  it('gets everything by default and joins the audience partitions only when confirmed', async () => {
    const t = await setup();

    const everything = await t.confirmed(freshAddress('all'));
    const picker = await t.confirmed(freshAddress('two'), ['berlin', 'seoul']);

    expect(everything.topics).toBeUndefined();
    expect(await t.membersOf('*')).toEqual([everything.id]);
    expect(await t.membersOf('berlin')).toEqual([picker.id]);
    expect(await t.membersOf('seoul')).toEqual([picker.id]);
    expect(await t.membersOf('lisbon')).toEqual([]);
    expect(await t.audience.countPartition('berlin')).toBe(1);
  });

  it('takes repeated form fields from a page without JavaScript', async () => {
    const t = await setup();
    const email = freshAddress('form');

    const response = await t.call('subscribe', {
      path: '/api/subscribe',
      contentType: 'application/x-www-form-urlencoded',
      body: `email=${encodeURIComponent(email)}&choice=topics&topics=seoul&topics=lisbon`,
    });

    expect(response.statusCode).toBe(200);
    expect((await t.stored(email))?.topics).toEqual(['lisbon', 'seoul']);
  });

  it.each([
    ['an unknown topic', { choice: 'topics', topics: ['berlin', 'paris'] }],
    ['more topics than configured', { choice: 'topics', topics: ['berlin', 'lisbon', 'seoul', 'berlin'] }],
    ['topics that are not strings', { choice: 'topics', topics: [{ id: 'berlin' }] }],
    ['"only these topics" with none picked', { choice: 'topics', topics: [] }],
  ])('refuses %s with 400 and stores nothing', async (_, extra) => {
    const t = await setup();
    const email = freshAddress('bad');

    const response = await t.subscribeJson(email, extra);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).ok).toBe(false);
    expect(await t.items()).toEqual([]);
    expect(await t.emailsTo(email)).toEqual([]);
  });
});

describe('the preference page', () => {
  it('shows the choice on GET and changes nothing', async () => {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('show'), ['berlin']);

    const page = await t.showPage(t.manageToken(sub));

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You get: <strong>Berlin</strong>');
    expect(page.body).toMatch(/<input type="checkbox" name="topics" value="berlin" checked>/);
    expect(page.body).toMatch(/<input type="checkbox" name="topics" value="lisbon">/);
    expect((await t.stored(sub.email))?.version).toBe(sub.version);
  });

  it('changes topics on POST and moves the reader between audience partitions', async () => {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('move'), ['berlin']);
    const token = t.manageToken(sub);

    const response = await t.post([
      ['token', token],
      ['action', 'save'],
      ['choice', 'topics'],
      ['topics', 'seoul'],
      ['topics', 'lisbon'],
    ]);

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Saved. You get: Lisbon, Seoul.');
    expect((await t.stored(sub.email))?.topics).toEqual(['lisbon', 'seoul']);
    expect(await t.membersOf('berlin')).toEqual([]);
    expect(await t.membersOf('lisbon')).toEqual([sub.id]);
    expect(await t.membersOf('seoul')).toEqual([sub.id]);
    expect(await t.audience.readCounts()).toEqual({ berlin: 0, lisbon: 1, seoul: 1 });

    await t.post([
      ['token', token],
      ['action', 'save'],
      ['choice', 'everything'],
      ['topics', 'seoul'],
    ]);

    expect((await t.stored(sub.email))?.topics).toBeUndefined();
    expect(await t.membersOf('*')).toEqual([sub.id]);
    expect(await t.membersOf('seoul')).toEqual([]);
    expect(await t.audience.readCounts()).toEqual({ '*': 1, berlin: 0, lisbon: 0, seoul: 0 });
  });

  it('unsubscribes from everything on POST', async () => {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('leave'), ['berlin', 'lisbon']);

    const response = await t.post([
      ['token', t.manageToken(sub)],
      ['action', 'unsubscribe'],
    ]);

    expect(response.statusCode).toBe(200);
    expect((await t.stored(sub.email))?.status).toBe('unsubscribed');
    expect(await t.membersOf('berlin')).toEqual([]);
    expect(await t.membersOf('lisbon')).toEqual([]);
  });

  it('still unsubscribes a topic reader from everything with RFC 8058 one-click', async () => {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('oneclick'), ['seoul']);
    const token = signToken(t.keys, { purpose: 'unsubscribe', subscriberId: sub.id, issuedAt: t.clock.now });

    const response = await t.call('unsubscribe', {
      path: '/api/unsubscribe',
      query: { token },
      contentType: 'application/x-www-form-urlencoded',
      body: 'List-Unsubscribe=One-Click',
    });

    expect(response.statusCode).toBe(200);
    expect((await t.stored(sub.email))?.status).toBe('unsubscribed');
    expect(await t.membersOf('seoul')).toEqual([]);
  });

  it('is linked, with a working manage token, from every newsletter', async () => {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('link'), ['berlin']);
    const rendered = makeRenderedEmail('p1');
    const compose = await compileNewsletter({
      postId: 'p1',
      delivery: makeDelivery('p1'),
      email: {
        ...rendered,
        html: `${rendered.html}<a href="%%HERALD_MANAGE_URL%%">Manage your subscription</a>`,
      },
      tokenKeys: t.keys,
    });

    const raw = (await compose({ subscriberId: sub.id, email: sub.email }, t.clock.now)).toString('utf8');

    const unfolded = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const match = /https:\/\/recaps\.test\/api\/preferences\?token=([A-Za-z0-9._%-]+)/.exec(unfolded);
    expect(match).not.toBeNull();
    const token = decodeURIComponent(match?.[1] ?? '');
    expect(verifyToken(t.keys, token, { purpose: 'manage', now: t.clock.now })).toMatchObject({ ok: true });
    expect(verifyToken(t.keys, token, { purpose: 'unsubscribe', now: t.clock.now }).ok).toBe(false);
    expect((await t.showPage(token)).statusCode).toBe(200);
  });
});

describe('the preference page: bad input changes nothing', () => {
  async function reader() {
    const t = await setup();
    const sub = await t.confirmed(freshAddress('bad'), ['berlin']);
    const unchanged = async () => {
      const now = await t.stored(sub.email);
      expect(now?.status).toBe('confirmed');
      expect(now?.topics).toEqual(['berlin']);
      expect(now?.version).toBe(sub.version);
      expect(await t.membersOf('berlin')).toEqual([sub.id]);
    };
    return { t, sub, unchanged };
  }

  it('refuses a tampered token with 400', async () => {
    const { t, sub, unchanged } = await reader();
    const token = t.manageToken(sub);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;

    const shown = await t.showPage(tampered);
    const posted = await t.post([
      ['token', tampered],
      ['action', 'unsubscribe'],
    ]);

    expect(shown.statusCode).toBe(400);
    expect(posted.statusCode).toBe(400);
    await unchanged();
  });

  it('refuses an expired token with 410', async () => {
    const { t, sub, unchanged } = await reader();
    const token = t.manageToken(sub, new Date(t.clock.now.getTime() - 91 * DAY));

    const shown = await t.showPage(token);
    const posted = await t.post([
      ['token', token],
      ['action', 'save'],
      ['choice', 'everything'],
    ]);

    expect(shown.statusCode).toBe(410);
    expect(posted.statusCode).toBe(410);
    await unchanged();
  });

  it('refuses unknown topics and more topics than configured with 400', async () => {
    const { t, sub, unchanged } = await reader();
    const token = t.manageToken(sub);

    const unknown = await t.post([
      ['token', token],
      ['action', 'save'],
      ['choice', 'topics'],
      ['topics', 'paris'],
    ]);
    const tooMany = await t.post([
      ['token', token],
      ['action', 'save'],
      ['choice', 'topics'],
      ...(['berlin', 'lisbon', 'seoul', 'seoul'] as const).map((id): [string, string] => ['topics', id]),
    ]);

    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('unknown topic');
    expect(tooMany.statusCode).toBe(400);
    await unchanged();
  });

  it('refuses a manage token used as a confirm or unsubscribe token, and those used as a manage token', async () => {
    const { t, sub, unchanged } = await reader();
    const manage = t.manageToken(sub);
    const pending = freshAddress('pending');
    await t.subscribeJson(pending, {});
    const pendingSub = await t.stored(pending);

    const asConfirm = await t.call('confirm', {
      path: '/api/confirm',
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({
        token: signToken(t.keys, {
          purpose: 'manage',
          subscriberId: pendingSub?.id ?? '',
          issuedAt: t.clock.now,
        }),
      }).toString(),
    });
    const asUnsubscribe = await t.call('unsubscribe', {
      path: '/api/unsubscribe',
      query: { token: manage },
      contentType: 'application/x-www-form-urlencoded',
      body: 'List-Unsubscribe=One-Click',
    });
    const confirmAsManage = await t.post([
      ['token', signToken(t.keys, { purpose: 'confirm', subscriberId: sub.id, issuedAt: t.clock.now })],
      ['action', 'unsubscribe'],
    ]);

    expect(asConfirm.statusCode).toBe(400);
    expect((await t.stored(pending))?.status).toBe('pending');
    expect(asUnsubscribe.statusCode).toBe(400);
    expect(confirmAsManage.statusCode).toBe(400);
    await unchanged();
  });
});

describe('changing topics while a campaign is sending', () => {
  it('neither re-sends nor cancels it: its audience and count stay as they were at the start', async () => {
    const t = await setup();
    const inBerlin = await t.confirmed(freshAddress('a'), ['berlin']);
    const inSeoul = await t.confirmed(freshAddress('b'), ['seoul']);
    const everything = await t.confirmed(freshAddress('c'));
    const started = await t.startTopicCampaign('berlin-night', ['berlin']);
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);

    await t.post([
      ['token', t.manageToken(inBerlin)],
      ['action', 'save'],
      ['choice', 'topics'],
      ['topics', 'berlin'],
      ['topics', 'seoul'],
    ]);
    await t.post([
      ['token', t.manageToken(inSeoul)],
      ['action', 'save'],
      ['choice', 'topics'],
      ['topics', 'berlin'],
    ]);
    const first = await t.fanOut('berlin-night');
    const again = await t.fanOut('berlin-night');

    expect(started.started && started.campaign.recipientCount).toBe(2);
    expect(first.status).toBe('done');
    expect(again.status).toBe('already-done');
    expect(t.enqueued.map((m) => m.subscriberId).sort()).toEqual([inBerlin.id, everything.id].sort());
    const stored = await t.campaigns.get('berlin-night');
    expect(stored?.kind === 'campaign' && stored.status).toBe('sending');
    expect(stored?.kind === 'campaign' && stored.delivery.audience).toEqual({
      kind: 'topics',
      topics: ['berlin'],
    });
  });
});
