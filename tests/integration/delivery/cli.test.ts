import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCampaignStore } from '../../../functions/adapters/campaign-store.ts';
import { createSesRawSender, createSesSendClient } from '../../../functions/adapters/ses-raw-sender.ts';
import { startCampaign } from '../../../functions/app/start-campaign.ts';
import { registerCampaignCommands } from '../../../functions/cli/campaigns.ts';
import { localDynamoClient } from '../../../functions/local/services.ts';
import { createCampaignWiring } from '../../../functions/wiring/campaign-deps.ts';
import { clockFrom } from '../../support/clock.ts';
import { startThrottlingSes, type ThrottlingSes } from '../../support/throttling-ses.ts';
import { freshTables, makeDelivery, makeRenderedEmail, TOKEN_KEYS } from './harness.ts';

let ses: ThrottlingSes;
beforeAll(async () => {
  ses = await startThrottlingSes();
});
afterAll(async () => {
  await ses.stop();
});

const now = clockFrom('2026-12-02T10:00:00Z');

async function setup() {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const { campaignTable, subscriberTable } = await freshTables(dynamo);
  const store = createCampaignStore({ client: dynamo, tableName: campaignTable });
  const lines: string[] = [];
  const requeued: string[] = [];
  const queue = {
    enqueue: async (messages: readonly { body: string }[]) =>
      void requeued.push(...messages.map((m) => m.body)),
  };
  const wiring = createCampaignWiring({
    dynamo,
    campaignTable,
    subscriberTable,
    deliveryQueue: queue,
    fanoutQueue: queue,
    now,
  });
  const program = new Command().exitOverride();
  registerCampaignCommands(program, {
    reconcileDeps: () => wiring.reconcileDeps,
    store: () => store,
    sender: () =>
      createSesRawSender({
        client: createSesSendClient({
          endpoint: ses.endpoint,
          region: 'eu-central-1',
          credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
        }),
      }),
    tokenKeys: async () => TOKEN_KEYS,
    print: (line) => lines.push(line),
    sleep: async () => {},
    stream: new PassThrough(),
    now,
  });
  return { store, program, lines, requeued };
}

describe('herald campaign commands', () => {
  it('campaign POST --reconcile re-enqueues a recipient left in claimed by a crash', async () => {
    const { program, lines, store, requeued } = await setup();
    const postId = `cli-${randomUUID().slice(0, 8)}`;
    await startCampaign(
      { campaigns: store, countConfirmed: async () => 1, startFanout: async () => {} },
      { postId, email: makeRenderedEmail(postId), delivery: makeDelivery(postId), now: now() },
    );
    await store.saveFanout(postId, 0, { done: true, page: 1, enqueued: 1 }, now());
    await store.claim({ v: 1, postId, subscriberId: 's1', addressHash: 'h1' }, 'dead-worker', now());

    await program.parseAsync(['node', 'herald', 'campaign', postId, '--reconcile', '--stale-after', '0'], {
      from: 'node',
    });

    expect(lines[0]).toBe(`${postId}  reconcile reconciled  requeued 1  marked unknown 0`);
    expect(requeued.map((body) => JSON.parse(body))).toEqual([
      { v: 1, postId, subscriberId: 's1', addressHash: 'h1' },
    ]);
  });

  it('send-test sends one preview marked as a test and touches no ledger', async () => {
    const { program, lines, store } = await setup();
    await program.parseAsync(
      ['node', 'herald', 'send-test', '2026-06-03-hello-herald', '--to', 'editor@example.com'],
      {
        from: 'node',
      },
    );
    const message = ses.accepted.find((m) => m.to === 'editor@example.com');
    const mail = await simpleParser(message?.raw as Buffer);
    expect(mail.subject).toMatch(/^\[TEST\] /);
    expect(mail.headers.get('x-herald-test')).toBe('true');
    expect(lines[0]).toMatch(/^test email for 2026-06-03-hello-herald sent to editor@example.com/);
    expect(await store.list()).toEqual([]);
  });

  it('lists campaigns with counts and follows one to completion', async () => {
    const { program, lines, store } = await setup();
    const postId = `cli-${randomUUID().slice(0, 8)}`;
    await startCampaign(
      { campaigns: store, countConfirmed: async () => 1, startFanout: async () => {} },
      { postId, email: makeRenderedEmail(postId), delivery: makeDelivery(postId), now: now() },
    );
    await store.saveFanout(postId, 0, { done: true, page: 1, enqueued: 1 }, now());
    await store.claim({ v: 1, postId, subscriberId: 's1', addressHash: 'h1' }, 'c', now());
    await store.move(postId, 's1', {
      from: ['claimed'],
      claimId: 'c',
      to: 'suppressed',
      reason: 'unsubscribed',
      now: now(),
    });
    await program.parseAsync(['node', 'herald', 'campaigns'], { from: 'node' });
    await program.parseAsync(['node', 'herald', 'campaign', postId, '--follow'], { from: 'node' });
    expect(lines[0]).toContain(`${postId}  complete  1/1  sent 0  suppressed 1`);
    expect(lines[1]).toContain('complete');
  });
});
