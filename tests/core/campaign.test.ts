import { describe, expect, it } from 'vitest';
import {
  type Campaign,
  canTransition,
  emptyCounts,
  isTerminal,
  type LedgerEntry,
  recoveryAction,
  sendGate,
  summarizeCampaign,
} from '../../functions/core/campaign.ts';

const NOW = new Date('2026-03-14T12:00:00Z');

function makeCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    kind: 'campaign',
    postId: '2026-03-14-pi-day-meetup',
    status: 'sending',
    startedAt: NOW,
    recipientCount: 10,
    subject: 'Pi Day Meetup',
    delivery: {
      postUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
      siteUrl: 'https://recaps.test',
      from: { name: 'Test Meetups', address: 'news@recaps.test' },
    },
    fanout: { done: true, page: 1, enqueued: 10 },
    updatedAt: NOW,
    ...overrides,
  };
}

function makeEntry(state: LedgerEntry['state']): LedgerEntry {
  return {
    postId: 'p',
    subscriberId: 's1',
    addressHash: 'h1',
    state,
    claimId: 'c1',
    updatedAt: NOW,
    attempts: 1,
  };
}

describe('ledger states', () => {
  it('knows the four terminal states', () => {
    expect(
      ['sent', 'suppressed', 'failed', 'unknown'].every((s) => isTerminal(s as LedgerEntry['state'])),
    ).toBe(true);
    expect(isTerminal('claimed')).toBe(false);
    expect(isTerminal('sending')).toBe(false);
  });

  it('allows only the documented transitions', () => {
    expect(canTransition(undefined, 'claimed')).toBe(true);
    expect(canTransition(undefined, 'sending')).toBe(false);
    expect(canTransition('claimed', 'sending')).toBe(true);
    expect(canTransition('sending', 'sent')).toBe(true);
    expect(canTransition('sending', 'claimed')).toBe(true);
    expect(canTransition('sent', 'claimed')).toBe(false);
    expect(canTransition('failed', 'sending')).toBe(false);
    expect(canTransition('unknown', 'sending')).toBe(false);
    // Proof of a send arriving late may settle an unknown.
    expect(canTransition('unknown', 'sent')).toBe(true);
  });
});

describe('recoveryAction (crash policy)', () => {
  it('claims when there is no record', () => {
    expect(recoveryAction(undefined)).toEqual({ action: 'claim' });
  });

  it('retries a record left in claimed: the worker stopped before calling SES', () => {
    expect(recoveryAction(makeEntry('claimed'))).toEqual({ action: 'take-over', claimId: 'c1' });
  });

  it('never retries a record left in sending: it becomes unknown', () => {
    expect(recoveryAction(makeEntry('sending'))).toEqual({ action: 'mark-unknown', claimId: 'c1' });
  });

  it('skips terminal records (duplicate deliveries)', () => {
    for (const state of ['sent', 'suppressed', 'failed', 'unknown'] as const) {
      expect(recoveryAction(makeEntry(state))).toEqual({ action: 'skip', state });
    }
  });
});

describe('summarizeCampaign', () => {
  it('is complete when fan-out is done and everyone is terminal', () => {
    const counts = { ...emptyCounts(), sent: 7, suppressed: 1, failed: 1, unknown: 1 };
    const progress = summarizeCampaign(makeCampaign(), counts, NOW);
    expect(progress).toMatchObject({ phase: 'complete', terminal: 10, pending: 0, departed: 0 });
  });

  it('counts those who left before fan-out reached them as settled', () => {
    const campaign = makeCampaign({ fanout: { done: true, page: 1, enqueued: 9 } });
    const progress = summarizeCampaign(campaign, { ...emptyCounts(), sent: 9 }, NOW);
    expect(progress).toMatchObject({ phase: 'complete', departed: 1, terminal: 10 });
  });

  it('reports claimed and sending as pending', () => {
    const counts = { ...emptyCounts(), sent: 5, claimed: 2, sending: 1 };
    expect(summarizeCampaign(makeCampaign(), counts, NOW)).toMatchObject({ phase: 'sending', pending: 5 });
  });

  it('shows fan-out, pause and halt phases', () => {
    expect(
      summarizeCampaign(makeCampaign({ fanout: { done: false, page: 0, enqueued: 0 } }), emptyCounts(), NOW)
        .phase,
    ).toBe('fanning-out');
    const paused = makeCampaign({ status: 'paused', pausedUntil: new Date(NOW.getTime() + 1000) });
    expect(summarizeCampaign(paused, emptyCounts(), NOW).phase).toBe('paused');
    expect(summarizeCampaign(makeCampaign({ status: 'halted' }), emptyCounts(), NOW).phase).toBe('halted');
  });
});

describe('sendGate', () => {
  it('lets a sending campaign go, holds a paused one until its time, stops a halted one', () => {
    expect(sendGate({ status: 'sending' }, NOW)).toEqual({ go: true });
    const until = new Date(NOW.getTime() + 60_000);
    expect(sendGate({ status: 'paused', pausedUntil: until }, NOW)).toEqual({
      go: false,
      wait: 'until',
      until,
    });
    expect(sendGate({ status: 'paused', pausedUntil: until }, new Date(until.getTime() + 1))).toEqual({
      go: true,
    });
    expect(sendGate({ status: 'halted' }, NOW)).toEqual({ go: false, wait: 'halted' });
  });
});
