import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createCampaignStore } from '../../../functions/adapters/campaign-store.ts';
import { recordNotToMail, startCampaign } from '../../../functions/app/start-campaign.ts';
import { localDynamoClient } from '../../../functions/local/services.ts';
import { freshTables, makeDelivery, makeRenderedEmail } from './harness.ts';

const NOW = new Date('2026-03-14T12:00:00Z');

async function makeStore() {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tables = await freshTables(dynamo);
  const store = createCampaignStore({ client: dynamo, tableName: tables.campaignTable });
  const fanouts: string[] = [];
  const deps = {
    campaigns: store,
    countConfirmed: async () => 42,
    startFanout: async (postId: string) => {
      fanouts.push(postId);
    },
  };
  return { store, deps, fanouts };
}

describe('campaign store', () => {
  it('starts exactly one campaign when the same post is started three times at once', async () => {
    const { deps, fanouts, store } = await makeStore();
    const postId = `post-${randomUUID()}`;
    const input = { postId, email: makeRenderedEmail(postId), delivery: makeDelivery(postId), now: NOW };
    const results = await Promise.all([
      startCampaign(deps, input),
      startCampaign(deps, input),
      startCampaign(deps, input),
    ]);
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(results.filter((r) => !r.started).map((r) => !r.started && r.existing.kind)).toEqual([
      'campaign',
      'campaign',
    ]);
    expect(fanouts).toEqual([postId]);
    const stored = await store.loadWithEmail(postId);
    expect(stored).toMatchObject({
      recipientCount: 42,
      status: 'sending',
      startedAt: NOW,
      subject: 'Pi Day Meetup',
    });
    expect(stored?.email.html).toContain('%%HERALD_UNSUBSCRIBE_URL%%');
  });

  it('never starts a campaign for a post recorded as not-to-mail, and keeps the first record', async () => {
    const { deps } = await makeStore();
    const postId = `old-${randomUUID()}`;
    expect(await recordNotToMail(deps, { postId, reason: 'too-old', now: NOW })).toEqual({ recorded: true });
    const result = await startCampaign(deps, {
      postId,
      email: makeRenderedEmail(postId),
      delivery: makeDelivery(postId),
      now: NOW,
    });
    expect(result).toMatchObject({ started: false, existing: { kind: 'not-to-mail', reason: 'too-old' } });
    expect(await recordNotToMail(deps, { postId, reason: 'other', now: NOW })).toMatchObject({
      recorded: false,
    });
  });

  it('lets only one worker claim a recipient and enforces owner-checked transitions', async () => {
    const { store } = await makeStore();
    const message = { v: 1 as const, postId: 'p1', subscriberId: 's1', addressHash: 'h1' };
    const claims = await Promise.all([store.claim(message, 'a', NOW), store.claim(message, 'b', NOW)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const owner = claims[0] ? 'a' : 'b';
    expect(
      await store.move('p1', 's1', { from: ['claimed'], claimId: 'intruder', to: 'sending', now: NOW }),
    ).toBe(false);
    expect(await store.move('p1', 's1', { from: ['claimed'], claimId: owner, to: 'sending', now: NOW })).toBe(
      true,
    );
    expect(
      await store.move('p1', 's1', {
        from: ['sending'],
        claimId: owner,
        to: 'sent',
        messageId: 'm-1',
        now: NOW,
      }),
    ).toBe(true);
    expect(await store.getEntry('p1', 's1')).toMatchObject({
      state: 'sent',
      messageId: 'm-1',
      addressHash: 'h1',
    });
    expect((await store.countStates('p1')).sent).toBe(1);
  });

  it('refuses a ledger move the state machine does not allow, before writing anything', async () => {
    const { store } = await makeStore();
    const message = { v: 1 as const, postId: 'p2', subscriberId: 's1', addressHash: 'h1' };
    await store.claim(message, 'a', NOW);

    const move = store.move('p2', 's1', { from: ['claimed'], claimId: 'a', to: 'sent', now: NOW });

    await expect(move).rejects.toThrow(/claimed → sent is not an allowed move/);
    expect(await store.getEntry('p2', 's1')).toMatchObject({ state: 'claimed' });
  });

  it('saves fan-out progress only from the page it expects, and records pause, halt and resume', async () => {
    const { deps, store } = await makeStore();
    const postId = `fan-${randomUUID()}`;
    await startCampaign(deps, {
      postId,
      email: makeRenderedEmail(postId),
      delivery: makeDelivery(postId),
      now: NOW,
    });
    const next = { done: false, page: 1, cursor: 'abc', enqueued: 10 };
    expect(await store.saveFanout(postId, 0, next, NOW)).toBe(true);
    expect(await store.saveFanout(postId, 0, next, NOW)).toBe(false);
    await store.pause(postId, new Date(NOW.getTime() + 60_000), 'Daily message quota exceeded.', NOW);
    expect(await store.get(postId)).toMatchObject({ status: 'paused', fanout: { page: 1, cursor: 'abc' } });
    await store.halt(postId, 'AccountSendingPausedException', NOW);
    await store.pause(postId, new Date(NOW.getTime() + 60_000), 'quota', NOW);
    expect(await store.get(postId)).toMatchObject({
      status: 'halted',
      haltReason: 'AccountSendingPausedException',
    });
    await store.resume(postId, NOW);
    expect(await store.get(postId)).toMatchObject({ status: 'sending' });
  });

  it('counts a shared rate window atomically', async () => {
    const { store } = await makeStore();
    const totals = await Promise.all([
      store.addToWindow('t', 1000, 3, 60),
      store.addToWindow('t', 1000, 3, 60),
    ]);
    expect(totals.sort()).toEqual([3, 6]);
  });
});
