import { describe, expect, it } from 'vitest';
import {
  type ConsentRecord,
  DEFAULT_POLICY,
  decideConfirm,
  decideFeedback,
  decideResend,
  decideSubscribe,
  decideUnsubscribe,
  isMailable,
  type SubscribeRequest,
  type Subscriber,
} from '../../functions/core/subscriber.ts';

const T0 = new Date('2026-05-01T10:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function consent(at = T0): ConsentRecord {
  return {
    at,
    source: 'https://recaps.test/subscribe.html',
    method: 'double-opt-in',
    ip: '203.0.113.1',
    textVersion: '1',
  };
}

function request(now = T0): SubscribeRequest {
  return { id: 'sub-1', email: 'ada@example.org', addressHash: 'h', consent: consent(now), now };
}

function makeSubscriber(overrides: Partial<Subscriber> = {}): Subscriber {
  return {
    id: 'sub-1',
    email: 'ada@example.org',
    addressHash: 'h',
    status: 'pending',
    createdAt: T0,
    updatedAt: T0,
    pendingSince: T0,
    confirmationSentAt: T0,
    softBounces: 0,
    consent: consent(),
    version: 1,
    ...overrides,
  };
}

describe('decideSubscribe', () => {
  it('creates a pending subscriber and sends a confirmation for a new address', () => {
    const decision = decideSubscribe(undefined, request());

    expect(decision.sendConfirmation).toBe(true);
    expect(decision.save).toMatchObject({
      status: 'pending',
      pendingSince: T0,
      confirmationSentAt: T0,
      version: 1,
    });
  });

  it('sends at most three confirmations to one address in any 24 hours, then stays silent', () => {
    let stored: Subscriber | undefined;
    const sentAt: number[] = [];

    for (let m = 0; m < 36 * 60; m += 16) {
      const decision = decideSubscribe(stored, request(minutes(m)));
      if (decision.sendConfirmation) sentAt.push(m);
      stored = decision.save ?? stored;
    }

    expect(sentAt).toEqual([0, 16, 32, 1440, 1456, 1472]);
  });

  it('does not resend to a pending address within 15 minutes, and does after', () => {
    const pending = makeSubscriber();

    const early = decideSubscribe(pending, request(minutes(14)));
    const later = decideSubscribe(pending, request(minutes(15)));

    expect(early).toEqual({ sendConfirmation: false });
    expect(later.sendConfirmation).toBe(true);
    expect(later.save).toMatchObject({ confirmationSentAt: minutes(15), pendingSince: T0, version: 2 });
  });

  it('sends nothing and writes nothing for confirmed or suppressed addresses', () => {
    expect(decideSubscribe(makeSubscriber({ status: 'confirmed' }), request(minutes(60)))).toEqual({
      sendConfirmation: false,
    });
    expect(decideSubscribe(makeSubscriber({ status: 'suppressed' }), request(minutes(60)))).toEqual({
      sendConfirmation: false,
    });
    expect(decideSubscribe('suppressed', request())).toEqual({ sendConfirmation: false });
  });

  it('moves an unsubscribed address back to pending with fresh consent', () => {
    const unsubscribed = makeSubscriber({
      status: 'unsubscribed',
      confirmedAt: T0,
      unsubscribedAt: minutes(5),
    });

    const decision = decideSubscribe(unsubscribed, request(minutes(60)));

    expect(decision.sendConfirmation).toBe(true);
    expect(decision.save).toMatchObject({
      status: 'pending',
      pendingSince: minutes(60),
      confirmedAt: undefined,
    });
    expect(decision.save?.consent.at).toEqual(minutes(60));
  });
});

describe('decideConfirm', () => {
  it('confirms a pending subscriber and records the confirmation evidence', () => {
    const outcome = decideConfirm(makeSubscriber(), {
      tokenIssuedAt: T0,
      now: minutes(3),
      ip: '203.0.113.2',
    });

    expect(outcome.kind).toBe('confirmed');
    if (outcome.kind !== 'confirmed') return;
    expect(outcome.save).toMatchObject({ status: 'confirmed', confirmedAt: minutes(3), version: 2 });
    expect(outcome.save.consent).toMatchObject({
      confirmedAt: minutes(3),
      confirmIp: '203.0.113.2',
      ip: '203.0.113.1',
    });
  });

  it('is idempotent for a confirmed subscriber', () => {
    expect(decideConfirm(makeSubscriber({ status: 'confirmed' }), { tokenIssuedAt: T0, now: T0 })).toEqual({
      kind: 'already-confirmed',
    });
  });

  it('refuses after unsubscribe, after suppression, and for tokens older than the pending period', () => {
    expect(
      decideConfirm(makeSubscriber({ status: 'unsubscribed' }), { tokenIssuedAt: T0, now: T0 }).kind,
    ).toBe('stale');
    expect(decideConfirm(makeSubscriber({ status: 'suppressed' }), { tokenIssuedAt: T0, now: T0 }).kind).toBe(
      'stale',
    );
    expect(
      decideConfirm(makeSubscriber({ pendingSince: minutes(30) }), { tokenIssuedAt: T0, now: minutes(31) })
        .kind,
    ).toBe('stale');
  });
});

describe('decideResend', () => {
  it('resends only to pending subscribers outside the throttle window', () => {
    expect(decideResend(makeSubscriber(), minutes(10)).sendConfirmation).toBe(false);
    expect(decideResend(makeSubscriber(), minutes(20)).sendConfirmation).toBe(true);
    expect(decideResend(makeSubscriber({ status: 'confirmed' }), minutes(20)).sendConfirmation).toBe(false);
  });
});

describe('decideUnsubscribe', () => {
  it('unsubscribes once and is a no-op afterwards; suppression stays', () => {
    const first = decideUnsubscribe(makeSubscriber({ status: 'confirmed' }), minutes(1));

    const second = first.save ? decideUnsubscribe(first.save, minutes(2)) : undefined;

    expect(first.save).toMatchObject({ status: 'unsubscribed', unsubscribedAt: minutes(1) });
    expect(second).toEqual({});
    expect(decideUnsubscribe(makeSubscriber({ status: 'suppressed' }), T0)).toEqual({});
  });
});

describe('decideFeedback', () => {
  it('suppresses at once on a permanent bounce or complaint', () => {
    const sub = makeSubscriber({ status: 'confirmed' });

    const bounce = decideFeedback(sub, 'permanent-bounce', minutes(1));
    const complaint = decideFeedback(sub, 'complaint', minutes(1));

    expect(bounce.save).toMatchObject({ status: 'suppressed', suppressionReason: 'bounce' });
    expect(complaint.save).toMatchObject({ status: 'suppressed', suppressionReason: 'complaint' });
    expect(bounce.save && isMailable(bounce.save)).toBe(false);
  });

  it('counts transient bounces up to the threshold', () => {
    let sub = makeSubscriber({ status: 'confirmed' });
    const statuses: string[] = [];

    for (let i = 0; i < DEFAULT_POLICY.transientBounceThreshold; i++) {
      sub = decideFeedback(sub, 'transient-bounce', minutes(i)).save ?? sub;
      statuses.push(`${sub.status}:${sub.softBounces}`);
    }

    expect(statuses).toEqual(['confirmed:1', 'confirmed:2', 'suppressed:3']);
  });
});
