/**
 * The per-recipient send algorithm, over ports: claim in the ledger, re-check the subscriber, build
 * the personal message, wait for a global rate slot, mark `sending`, call SES, record the outcome.
 * The crash policy it implements is written down in `campaign.ts`.
 *
 * Errors from the ledger, the campaign store and the subscriber check are NOT caught: they mean
 * "this worker cannot go on", the queue redelivers the message, and the ledger tells the next
 * worker what happened. Only errors from the SES call are classified and handled here.
 */
// zod/mini: the classic build adds ~450 KB to every send worker's cold start.
import * as z from 'zod/mini';
import { buildMime, compileMimeTemplate } from '../core/build-mime.ts';
import {
  type Campaign,
  type CampaignDelivery,
  type CampaignRecord,
  type CampaignWithEmail,
  type LedgerEntry,
  type LedgerState,
  recoveryAction,
  sendGate,
} from '../core/campaign.ts';
import { mapLimit } from '../core/map-limit.ts';
import { backoffDelay, dailyQuotaResumeAt, queueDelaySeconds, SEND_CONCURRENCY } from '../core/pacing.ts';
import {
  compilePersonalizer,
  type PersonalEmail,
  type Recipient,
  type RenderedEmail,
} from '../core/personalize.ts';
import type { RateGate } from '../core/rate-gate.ts';
import { classifySesError } from '../core/ses-errors.ts';
import { signToken, type TokenKeys } from '../core/tokens.ts';

/** One queue message: one recipient of one campaign. */
export const deliveryMessageSchema = z.object({
  v: z.literal(1),
  postId: z.string().check(z.minLength(1), z.maxLength(512)),
  subscriberId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  /** The subscriber table key, so the send-time check is one strongly consistent read. */
  addressHash: z.string().check(z.minLength(1), z.maxLength(128)),
});

/** One queue message: one recipient of one campaign. */
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/** The ledger, with conditional writes. Every method returns false when its condition failed. */
export interface LedgerPort {
  /** Creates the record in `claimed` if none exists. */
  claim(message: DeliveryMessage, claimId: string, now: Date): Promise<boolean>;
  /** Strongly consistent read. */
  get(postId: string, subscriberId: string): Promise<LedgerEntry | undefined>;
  /** Moves the record if it is in one of `from` and owned by `claimId`. */
  move(
    postId: string,
    subscriberId: string,
    change: {
      from: readonly LedgerState[];
      claimId: string;
      to: LedgerState;
      /** Take-over: the new owner (also counts an attempt). */
      newClaimId?: string;
      messageId?: string;
      reason?: string;
      now: Date;
    },
  ): Promise<boolean>;
}

/** Campaign records, as the send step uses them. */
export interface CampaignPort {
  /** The campaign with its rendered email (read once per worker and cached). */
  loadWithEmail(postId: string): Promise<CampaignWithEmail | undefined>;
  /** The record without the email (cheap; re-read to notice pauses and halts by other workers). */
  get(postId: string): Promise<CampaignRecord | undefined>;
  pause(postId: string, until: Date, reason: string, now: Date): Promise<void>;
  halt(postId: string, reason: string, now: Date): Promise<void>;
}

/** Send-time check of the subscriber: still confirmed and not suppressed? */
export type RecipientCheck = (
  message: DeliveryMessage,
) => Promise<{ ok: true; email: string; name?: string } | { ok: false; reason: string }>;

/** SES `SendRawEmail`. Throws SES errors as the SDK does. */
export interface RawSender {
  send(message: { raw: Buffer; from: string; to: string }): Promise<{ messageId: string }>;
}

/** Minimal structured logger. */
export interface DeliveryLog {
  warn(message: string, context: Record<string, unknown>): void;
  error(message: string, context: Record<string, unknown>): void;
}

/** Everything {@link createSendBatch} needs. */
export interface SendDeps {
  campaigns: CampaignPort;
  ledger: LedgerPort;
  recipients: RecipientCheck;
  sender: RawSender;
  rate: RateGate;
  /** Puts a message back on the queue with a delay (pauses). */
  requeue(message: DeliveryMessage, delaySeconds: number): Promise<void>;
  tokenKeys: TokenKeys;
  now: () => Date;
  newId: () => string;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  log: DeliveryLog;
  /** In-process retries after throttling before the message goes back to the queue. Default 5. */
  maxThrottleRetries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Recipients of one batch handled at once. Default `SEND_CONCURRENCY.perBatch`. */
  concurrency?: number;
  /** How long a worker trusts its cached campaign status. Default 5 s. */
  campaignTtlMs?: number;
  /** Pause after "Daily message quota exceeded". Default one hour. */
  dailyQuotaRetryMs?: number;
  /**
   * How long (total backoff) to keep retrying the ledger write that records a message SES
   * accepted, before giving up. Default 20 s (the send function has 60 s).
   */
  sentRecordRetryMs?: number;
}

/**
 * What happened to one message. `retry` asks the queue to redeliver it (batch item failure);
 * everything else is acknowledged.
 */
export type SendOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'suppressed' | 'failed' | 'unknown'; reason: string }
  | { status: 'duplicate'; state: LedgerState }
  | { status: 'lost-race' | 'deferred' | 'halted' | 'orphan' }
  | { status: 'retry'; reason: string };

interface CachedCampaign {
  campaign: Campaign;
  compose: NewsletterComposer;
  checkedAt: number;
}

/** One campaign's message, compiled once; returns the raw MIME for one recipient. */
export type NewsletterComposer = (
  recipient: { subscriberId: string; email: string; name?: string },
  now: Date,
) => Promise<Buffer>;

/** Characters a Message-ID left part may carry; anything else becomes `-`. */
function idPart(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 120) || 'x';
}

/** The unsubscribe URL for one recipient (the subscription API contract). */
export function unsubscribeUrl(siteUrl: string, token: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/api/unsubscribe?token=${encodeURIComponent(token)}`;
}

/** The preference page URL for one recipient ("Manage your subscription"). */
export function manageUrl(siteUrl: string, token: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/api/preferences?token=${encodeURIComponent(token)}`;
}

function signedManageUrl(siteUrl: string, keys: TokenKeys, subscriberId: string, now: Date): string {
  return manageUrl(siteUrl, signToken(keys, { purpose: 'manage', subscriberId, issuedAt: now }));
}

/**
 * Builds the raw MIME for one recipient: personalised parts, a fresh unsubscribe token, one-click
 * `List-Unsubscribe` headers. `test` marks a preview (`[TEST]` subject prefix, `X-Herald-Test`).
 */
export async function composeNewsletter(input: {
  postId: string;
  delivery: CampaignDelivery;
  personalize: (recipient: Recipient) => PersonalEmail;
  recipient: { subscriberId: string; email: string; name?: string };
  tokenKeys: TokenKeys;
  now: Date;
  test?: boolean;
}): Promise<Buffer> {
  const { delivery, recipient } = input;
  const token = signToken(input.tokenKeys, {
    purpose: 'unsubscribe',
    subscriberId: recipient.subscriberId,
    issuedAt: input.now,
  });
  const unsubscribe = unsubscribeUrl(delivery.siteUrl, token);
  const personal = input.personalize({
    email: recipient.email,
    ...(recipient.name ? { name: recipient.name } : {}),
    unsubscribeUrl: unsubscribe,
    manageUrl: signedManageUrl(delivery.siteUrl, input.tokenKeys, recipient.subscriberId, input.now),
    viewUrl: delivery.postUrl,
  });
  const host = delivery.from.address.split('@')[1] ?? 'herald.invalid';
  const headers: Record<string, string> = { 'X-Herald-Post': idPart(input.postId) };
  if (input.test) headers['X-Herald-Test'] = 'true';
  return buildMime({
    from: delivery.from,
    to: recipient.email,
    ...(delivery.replyTo ? { replyTo: delivery.replyTo } : {}),
    subject: input.test ? `[TEST] ${personal.subject}` : personal.subject,
    html: personal.html,
    text: personal.text,
    messageId: input.test
      ? `<test.${idPart(input.postId)}.${input.now.getTime()}@${host}>`
      : `<${idPart(input.postId)}.${recipient.subscriberId}@${host}>`,
    date: input.now,
    listUnsubscribe: {
      url: unsubscribe,
      ...(delivery.unsubscribeMailto ? { mailto: delivery.unsubscribeMailto } : {}),
    },
    headers,
  });
}

/**
 * The fast path of {@link composeNewsletter} for a whole campaign: personaliser and MIME skeleton
 * are compiled once (see `compileMimeTemplate`), so each recipient costs a token signature, a
 * placeholder fill and two body encodings. Produces the same message as `composeNewsletter`
 * (boundaries aside); previews (`test`) keep using `composeNewsletter`.
 */
export async function compileNewsletter(input: {
  postId: string;
  delivery: CampaignDelivery;
  email: RenderedEmail;
  tokenKeys: TokenKeys;
}): Promise<NewsletterComposer> {
  const { delivery, tokenKeys } = input;
  const personalize = compilePersonalizer(input.email);
  const host = delivery.from.address.split('@')[1] ?? 'herald.invalid';
  const postPart = idPart(input.postId);
  const template = await compileMimeTemplate({
    from: delivery.from,
    ...(delivery.replyTo ? { replyTo: delivery.replyTo } : {}),
    subject: input.email.subject,
    html: input.email.html,
    text: input.email.text,
    ...(delivery.unsubscribeMailto ? { listUnsubscribeMailto: delivery.unsubscribeMailto } : {}),
    headers: { 'X-Herald-Post': postPart },
  });
  return (recipient, now) => {
    const token = signToken(tokenKeys, {
      purpose: 'unsubscribe',
      subscriberId: recipient.subscriberId,
      issuedAt: now,
    });
    const unsubscribe = unsubscribeUrl(delivery.siteUrl, token);
    const personal = personalize({
      email: recipient.email,
      ...(recipient.name ? { name: recipient.name } : {}),
      unsubscribeUrl: unsubscribe,
      manageUrl: signedManageUrl(delivery.siteUrl, tokenKeys, recipient.subscriberId, now),
      viewUrl: delivery.postUrl,
    });
    return template({
      to: recipient.email,
      messageId: `<${postPart}.${recipient.subscriberId}@${host}>`,
      date: now,
      html: personal.html,
      text: personal.text,
      listUnsubscribeUrl: unsubscribe,
    });
  };
}

/**
 * Builds the batch sender for one worker. The returned function settles each message and
 * returns one outcome (or the error that stopped it) per message, in order.
 */
export function createSendBatch(
  deps: SendDeps,
): (messages: readonly DeliveryMessage[]) => Promise<(SendOutcome | { status: 'error'; error: unknown })[]> {
  const maxThrottleRetries = deps.maxThrottleRetries ?? 5;
  const campaignTtlMs = deps.campaignTtlMs ?? 5000;
  const cache = new Map<string, Promise<CachedCampaign | undefined>>();

  async function campaignFor(postId: string): Promise<CachedCampaign | undefined> {
    let entry = cache.get(postId);
    if (!entry) {
      entry = deps.campaigns.loadWithEmail(postId).then(async (loaded) => {
        if (!loaded) return undefined;
        const { email, ...campaign } = loaded;
        const compose = await compileNewsletter({
          postId,
          delivery: campaign.delivery,
          email,
          tokenKeys: deps.tokenKeys,
        });
        return { campaign, compose, checkedAt: deps.now().getTime() };
      });
      cache.set(postId, entry);
      entry.catch(() => cache.delete(postId));
    }
    const cached = await entry;
    if (!cached) {
      cache.delete(postId);
      return undefined;
    }
    const nowMs = deps.now().getTime();
    if (nowMs - cached.checkedAt > campaignTtlMs) {
      cached.checkedAt = nowMs;
      const fresh = await deps.campaigns.get(postId);
      if (fresh?.kind === 'campaign') cached.campaign = fresh;
    }
    return cached;
  }

  async function settle(message: DeliveryMessage, cached: CachedCampaign): Promise<SendOutcome | undefined> {
    const gate = sendGate(cached.campaign, deps.now());
    if (gate.go) return undefined;
    if (gate.wait === 'halted') return { status: 'halted' };
    await deps.requeue(message, queueDelaySeconds(deps.now(), gate.until));
    return { status: 'deferred' };
  }

  /**
   * The write after SES accepted a message is idempotent (same owner, same target), so a
   * failure (timeout, throttling) is retried with backoff: giving up would leave the recipient
   * in `sending`, which a redelivery or the reconciler can only call `unknown`.
   */
  async function recordSent(message: DeliveryMessage, write: () => Promise<boolean>): Promise<void> {
    const budgetMs = deps.sentRecordRetryMs ?? 20_000;
    let waitedMs = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        const delay = Math.max(1, backoffDelay(attempt, { random: deps.random, baseMs: 50, capMs: 2000 }));
        if (waitedMs + delay > budgetMs) throw error;
        deps.log.warn('ledger write after send failed; retrying', {
          postId: message.postId,
          subscriberId: message.subscriberId,
          attempt,
          error,
        });
        waitedMs += delay;
        await deps.sleep(delay);
      }
    }
  }

  async function deliver(message: DeliveryMessage): Promise<SendOutcome> {
    const { postId, subscriberId } = message;
    const cached = await campaignFor(postId);
    if (!cached) {
      deps.log.warn('message for unknown campaign', { postId, subscriberId });
      return { status: 'orphan' };
    }
    const held = await settle(message, cached);
    if (held) return held;

    const move = (from: readonly LedgerState[], claimId: string, to: LedgerState, extra: object = {}) =>
      deps.ledger.move(postId, subscriberId, { from, claimId, to, now: deps.now(), ...extra });

    // Claim first: the common case is one conditional put; only a redelivery needs a read.
    let claimId = deps.newId();
    if (!(await deps.ledger.claim(message, claimId, deps.now()))) {
      const action = recoveryAction(await deps.ledger.get(postId, subscriberId));
      switch (action.action) {
        case 'skip':
          return { status: 'duplicate', state: action.state };
        case 'mark-unknown': {
          const reason = 'worker stopped during the SES call; SES may have accepted the message';
          if (await move(['sending'], action.claimId, 'unknown', { reason })) {
            deps.log.warn('recipient outcome unknown', { postId, subscriberId });
            return { status: 'unknown', reason };
          }
          return { status: 'lost-race' };
        }
        case 'take-over': {
          const next = deps.newId();
          if (!(await move(['claimed'], action.claimId, 'claimed', { newClaimId: next }))) {
            return { status: 'lost-race' };
          }
          claimId = next;
          break;
        }
        case 'claim':
          // The record vanished between put and get: let the queue try again.
          return { status: 'retry', reason: 'ledger record changed under us' };
      }
    }

    const check = await deps.recipients(message);
    if (!check.ok) {
      if (await move(['claimed'], claimId, 'suppressed', { reason: check.reason })) {
        return { status: 'suppressed', reason: check.reason };
      }
      return { status: 'lost-race' };
    }

    const raw = await cached.compose(
      { subscriberId, email: check.email, ...(check.name ? { name: check.name } : {}) },
      deps.now(),
    );

    for (let attempt = 0; ; attempt++) {
      await deps.rate.acquire();
      // A pause or halt by another recipient of this batch applies before the next SES call.
      const stop = await settle(message, cached);
      if (stop) return stop;
      if (!(await move(['claimed'], claimId, 'sending'))) return { status: 'lost-race' };
      let messageId: string;
      try {
        ({ messageId } = await deps.sender.send({
          raw,
          from: cached.campaign.delivery.from.address,
          to: check.email,
        }));
      } catch (error) {
        const kind = classifySesError(error);
        const reason = `${kind.code}: ${kind.message}`;
        switch (kind.kind) {
          case 'rejected':
            await move(['sending'], claimId, 'failed', { reason });
            return { status: 'failed', reason };
          case 'unknown-outcome':
            await move(['sending'], claimId, 'unknown', { reason });
            deps.log.warn('recipient outcome unknown', { postId, subscriberId, reason });
            return { status: 'unknown', reason };
        }
        // SES answered "no": nothing was sent, so the record goes back to a retryable claim.
        await move(['sending'], claimId, 'claimed');
        if (kind.kind === 'throttled') {
          if (attempt < maxThrottleRetries) {
            await deps.sleep(
              backoffDelay(attempt, {
                random: deps.random,
                ...(deps.backoffBaseMs !== undefined ? { baseMs: deps.backoffBaseMs } : {}),
                ...(deps.backoffCapMs !== undefined ? { capMs: deps.backoffCapMs } : {}),
              }),
            );
            continue;
          }
          return { status: 'retry', reason };
        }
        if (kind.kind === 'daily-quota') {
          const until = dailyQuotaResumeAt(deps.now(), {
            ...(deps.dailyQuotaRetryMs !== undefined ? { retryMs: deps.dailyQuotaRetryMs } : {}),
          });
          cached.campaign = { ...cached.campaign, status: 'paused', pausedUntil: until };
          await deps.campaigns.pause(postId, until, reason, deps.now());
          deps.log.warn('campaign paused: daily quota exceeded', { postId, until: until.toISOString() });
          await deps.requeue(message, queueDelaySeconds(deps.now(), until));
          return { status: 'deferred' };
        }
        if (kind.kind === 'halt') {
          cached.campaign = { ...cached.campaign, status: 'halted', haltReason: reason };
          await deps.campaigns.halt(postId, reason, deps.now());
          // Alarmable: a metric filter on this message pages the operator.
          deps.log.error('campaign halted', { postId, code: kind.code, reason });
          return { status: 'halted' };
        }
        return { status: 'retry', reason };
      }
      // `unknown` too: a reconciler may have given up on us while SES was answering.
      await recordSent(message, () => move(['sending', 'unknown'], claimId, 'sent', { messageId }));
      return { status: 'sent', messageId };
    }
  }

  return (messages) =>
    mapLimit(messages, deps.concurrency ?? SEND_CONCURRENCY.perBatch, (message) =>
      deliver(message).catch((error: unknown) => ({ status: 'error' as const, error })),
    );
}
