/**
 * The subscriber lifecycle as pure transitions. Every function takes the current record and the
 * time and returns the next record plus what the caller must do (send mail or not); the caller
 * persists with an optimistic version check, so two racing requests cannot both win.
 *
 * ```
 *   (none) ──subscribe──▶ pending ──confirm──▶ confirmed
 *      ▲                    │  ▲                  │
 *      │              unsubscribe └──subscribe──┐ │ unsubscribe
 *      │                    ▼                   │ ▼
 *      │               unsubscribed ◀───────────┴─┘
 *   any state ──permanent bounce / complaint / erase──▶ suppressed (forever)
 * ```
 */

/** Where a subscriber stands. Only `confirmed` subscribers are ever mailed newsletters. */
export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';

/** Why an address is suppressed. */
export type SuppressionReason = 'bounce' | 'complaint' | 'erased' | 'manual';

/** Evidence of consent (GDPR Art. 7): who agreed to what, when, where, and when they confirmed. */
export interface ConsentRecord {
  /** When the subscription was requested (or, for imports, when the source tool says it was). */
  at: Date;
  /** Page URL the form was on, or `import:<file>`. */
  source: string;
  /** `double-opt-in` (confirmed by link) or `import` (consent asserted by the operator). */
  method: 'double-opt-in' | 'import';
  ip?: string;
  userAgent?: string;
  /** Version of the consent wording shown next to the form. */
  textVersion: string;
  confirmedAt?: Date;
  confirmIp?: string;
  confirmUserAgent?: string;
}

/** One subscriber. `version` increments on every write (optimistic locking). */
export interface Subscriber {
  id: string;
  /** Normalised address (see `normalizeEmailAddress`). */
  email: string;
  /** `addressHash(email)`: the table key, and what survives erasure. */
  addressHash: string;
  status: SubscriberStatus;
  createdAt: Date;
  updatedAt: Date;
  /** When the current pending period began; confirm tokens issued before it are stale. */
  pendingSince?: Date;
  /** When the last confirmation email was sent (throttles resends). */
  confirmationSentAt?: Date;
  /** When confirmation emails went out in the last 24 hours (caps them per day). */
  recentConfirmations?: Date[];
  confirmedAt?: Date;
  unsubscribedAt?: Date;
  suppressedAt?: Date;
  suppressionReason?: SuppressionReason;
  /** Transient bounces since the last confirmation. */
  softBounces: number;
  consent: ConsentRecord;
  /** Topic ids the reader chose (sorted); undefined = everything (see `core/topics.ts`). */
  topics?: string[];
  version: number;
}

/** Policy knobs with the defaults. */
export interface SubscriptionPolicy {
  /** At most one confirmation email per this many ms for a pending address. Default 15 minutes. */
  resendIntervalMs: number;
  /** At most this many confirmation emails per address in any 24 hours, then silence. Default 3. */
  maxConfirmationsPerDay: number;
  /** Confirm links expire after this many ms. Default 7 days. */
  confirmTokenMaxAgeMs: number;
  /** Transient bounces before an address is suppressed. Default 3. */
  transientBounceThreshold: number;
}

/** The defaults. */
export const DEFAULT_POLICY: SubscriptionPolicy = {
  resendIntervalMs: 15 * 60 * 1000,
  maxConfirmationsPerDay: 3,
  confirmTokenMaxAgeMs: 7 * 24 * 60 * 60 * 1000,
  transientBounceThreshold: 3,
};

/** What the caller must do after a subscribe request. `save` undefined = write nothing. */
export interface SubscribeDecision {
  save?: Subscriber;
  sendConfirmation: boolean;
}

/** A subscribe request that passed validation. */
export interface SubscribeRequest {
  id: string;
  email: string;
  addressHash: string;
  consent: ConsentRecord;
  /** The topics picked on the form; undefined = everything. */
  topics?: string[];
  now: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Confirmation sends of the last 24 hours, as of `now`. */
function sentToday(sub: Subscriber, now: Date): Date[] {
  return (sub.recentConfirmations ?? []).filter((at) => now.getTime() - at.getTime() < DAY_MS);
}

function canResend(sub: Subscriber, now: Date, policy: SubscriptionPolicy): boolean {
  const last = sub.confirmationSentAt?.getTime();
  if (last !== undefined && now.getTime() - last < policy.resendIntervalMs) return false;
  // Someone signing a victim up over and over gets three emails to them a day, then nothing.
  return sentToday(sub, now).length < policy.maxConfirmationsPerDay;
}

/** The fields that record one more confirmation email sent at `now`. */
function confirmationSent(sub: Subscriber, now: Date): Partial<Subscriber> {
  return { confirmationSentAt: now, recentConfirmations: [...sentToday(sub, now), now] };
}

function bump(sub: Subscriber, now: Date, changes: Partial<Subscriber>): Subscriber {
  return { ...sub, ...changes, updatedAt: now, version: sub.version + 1 };
}

/**
 * Decides what a subscribe request does. The caller answers the same way whatever comes out,
 * so the HTTP response reveals nothing about the address.
 * @param existing the stored subscriber, `'suppressed'` for an erased/suppressed address with no record, or undefined.
 */
export function decideSubscribe(
  existing: Subscriber | 'suppressed' | undefined,
  request: SubscribeRequest,
  policy: SubscriptionPolicy = DEFAULT_POLICY,
): SubscribeDecision {
  const { now } = request;
  if (existing === 'suppressed') return { sendConfirmation: false };
  if (existing === undefined) {
    return {
      save: {
        id: request.id,
        email: request.email,
        addressHash: request.addressHash,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        pendingSince: now,
        confirmationSentAt: now,
        recentConfirmations: [now],
        softBounces: 0,
        consent: request.consent,
        ...(request.topics ? { topics: request.topics } : {}),
        version: 1,
      },
      sendConfirmation: true,
    };
  }
  switch (existing.status) {
    case 'suppressed':
    case 'confirmed':
      return { sendConfirmation: false };
    case 'pending':
      if (!canResend(existing, now, policy)) return { sendConfirmation: false };
      // Fresh consent evidence: this request is the one the reader will confirm.
      return {
        save: bump(existing, now, {
          ...confirmationSent(existing, now),
          consent: request.consent,
          topics: request.topics,
        }),
        sendConfirmation: true,
      };
    case 'unsubscribed':
      if (!canResend(existing, now, policy)) return { sendConfirmation: false };
      return {
        save: bump(existing, now, {
          status: 'pending',
          pendingSince: now,
          ...confirmationSent(existing, now),
          consent: request.consent,
          confirmedAt: undefined,
          topics: request.topics,
        }),
        sendConfirmation: true,
      };
  }
}

/** Outcome of a confirm attempt. `stale` covers links from before an unsubscribe or re-subscribe. */
export type ConfirmOutcome =
  | { kind: 'confirmed'; save: Subscriber }
  | { kind: 'already-confirmed' }
  | { kind: 'stale' };

/** Confirms a pending subscriber with a token issued at `tokenIssuedAt` (already verified). */
export function decideConfirm(
  sub: Subscriber,
  input: { tokenIssuedAt: Date; now: Date; ip?: string; userAgent?: string },
): ConfirmOutcome {
  if (sub.status === 'confirmed') return { kind: 'already-confirmed' };
  if (sub.status !== 'pending') return { kind: 'stale' };
  const since = sub.pendingSince?.getTime() ?? sub.createdAt.getTime();
  if (input.tokenIssuedAt.getTime() < since) return { kind: 'stale' };
  return {
    kind: 'confirmed',
    save: bump(sub, input.now, {
      status: 'confirmed',
      confirmedAt: input.now,
      softBounces: 0,
      consent: {
        ...sub.consent,
        confirmedAt: input.now,
        confirmIp: input.ip,
        confirmUserAgent: input.userAgent,
      },
    }),
  };
}

/** Decides whether a pending subscriber gets another confirmation email (expired-link resend). */
export function decideResend(sub: Subscriber, now: Date, policy: SubscriptionPolicy = DEFAULT_POLICY) {
  if (sub.status !== 'pending' || !canResend(sub, now, policy)) return { sendConfirmation: false } as const;
  return { save: bump(sub, now, confirmationSent(sub, now)), sendConfirmation: true } as const;
}

/** Unsubscribes; idempotent, and a suppressed subscriber stays suppressed. `save` undefined = nothing to write. */
export function decideUnsubscribe(sub: Subscriber, now: Date): { save?: Subscriber } {
  if (sub.status === 'unsubscribed' || sub.status === 'suppressed') return {};
  return { save: bump(sub, now, { status: 'unsubscribed', unsubscribedAt: now }) };
}

/**
 * Changes a reader's topics from the preference page (`undefined` = everything). Only a pending or
 * confirmed reader has topics to change; the same choice writes nothing.
 */
export function decideTopics(
  sub: Subscriber,
  topics: string[] | undefined,
  now: Date,
): { save?: Subscriber } {
  if (sub.status !== 'confirmed' && sub.status !== 'pending') return {};
  if (
    (sub.topics ?? []).join(',') === (topics ?? []).join(',') &&
    (sub.topics === undefined) === (topics === undefined)
  ) {
    return {};
  }
  return { save: bump(sub, now, { topics }) };
}

/** Kinds of delivery feedback SES reports. */
export type Feedback = 'permanent-bounce' | 'transient-bounce' | 'complaint';

/** Applies one bounce or complaint: permanent bounces and complaints suppress at once; transient ones count. */
export function decideFeedback(
  sub: Subscriber,
  feedback: Feedback,
  now: Date,
  policy: SubscriptionPolicy = DEFAULT_POLICY,
): { save?: Subscriber } {
  if (sub.status === 'suppressed') return {};
  if (feedback === 'transient-bounce') {
    const softBounces = sub.softBounces + 1;
    if (softBounces < policy.transientBounceThreshold) return { save: bump(sub, now, { softBounces }) };
    return {
      save: bump(sub, now, {
        softBounces,
        status: 'suppressed',
        suppressedAt: now,
        suppressionReason: 'bounce',
      }),
    };
  }
  return {
    save: bump(sub, now, {
      status: 'suppressed',
      suppressedAt: now,
      suppressionReason: feedback === 'complaint' ? 'complaint' : 'bounce',
    }),
  };
}

/** Whether a newsletter may be sent to this subscriber now. */
export function isMailable(sub: Subscriber): boolean {
  return sub.status === 'confirmed';
}
