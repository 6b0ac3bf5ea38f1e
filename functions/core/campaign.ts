/**
 * Campaigns and the per-recipient ledger: states, allowed transitions, crash recovery and status.
 *
 * ## Ledger states
 *
 * ```
 *   (none) ──claim──▶ claimed ──before SES call──▶ sending ──SES accepted──▶ sent
 *                       │  ▲                         │  │
 *     unsubscribed /    │  └── SES said "not sent" ──┘  ├── MessageRejected ──▶ failed
 *     suppressed ───────┴──▶ suppressed                 └── outcome unknown ─▶ unknown
 * ```
 *
 * Terminal states: `sent`, `suppressed`, `failed`, `unknown`. A terminal record is never changed
 * again, with one exception: `unknown → sent` when the worker that really did the send comes back
 * with the SES message id (proof beats doubt; it never causes a second send).
 *
 * ## Crash policy (never send twice, never skip silently)
 *
 * Every transition is a conditional write on the state read and on the claim id of the worker that
 * owns the record, so two workers can never both move a record to `sending`.
 *
 * - A record found in `claimed` when a message is redelivered: the worker crashed (or gave up)
 *   before calling SES, so nothing was sent. Safe to retry: the new worker takes the claim over
 *   (conditional on the old claim id) and sends.
 * - A record found in `sending`: the worker crashed during or right after the SES call. SES may
 *   have accepted the message, and SES offers no way to ask. We mark it `unknown` and NEVER retry
 *   it. Such recipients are reported as `unknown` in the campaign status so an operator can decide.
 * - A record in a terminal state: the message is a duplicate; it is acknowledged and dropped.
 * - A SES error that proves the message was not accepted (throttling, quota, 4xx/5xx answers)
 *   moves `sending` back to `claimed` before any retry, so a later crash stays retryable.
 */
import type { RenderedEmail } from './personalize.ts';
import type { CampaignAudience } from './topics.ts';

/** Where one (post, subscriber) pair stands. */
export type LedgerState = 'claimed' | 'sending' | 'sent' | 'failed' | 'suppressed' | 'unknown';

/** Every ledger state, in display order. */
export const LEDGER_STATES: readonly LedgerState[] = [
  'claimed',
  'sending',
  'sent',
  'suppressed',
  'failed',
  'unknown',
];

/** States a recipient ends in; each subscriber counted at start ends in exactly one. */
export type TerminalState = 'sent' | 'suppressed' | 'failed' | 'unknown';

/** The terminal states. */
export const TERMINAL_STATES: readonly TerminalState[] = ['sent', 'suppressed', 'failed', 'unknown'];

/** Whether a ledger state is final. */
export function isTerminal(state: LedgerState): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

const TRANSITIONS: Record<LedgerState | 'none', readonly LedgerState[]> = {
  none: ['claimed'],
  // claimed → claimed is a take-over by a new worker after a crash before the SES call.
  claimed: ['claimed', 'sending', 'suppressed', 'failed'],
  // sending → claimed only when SES proved it did not accept the message.
  sending: ['sent', 'failed', 'unknown', 'claimed'],
  unknown: ['sent'],
  sent: [],
  failed: [],
  suppressed: [],
};

/** Whether the ledger may move from `from` (undefined = no record) to `to`. */
export function canTransition(from: LedgerState | undefined, to: LedgerState): boolean {
  return TRANSITIONS[from ?? 'none'].includes(to);
}

/** One recipient's ledger record. */
export interface LedgerEntry {
  postId: string;
  subscriberId: string;
  /** The subscriber table key, so a reconciler can re-enqueue without another lookup. */
  addressHash: string;
  state: LedgerState;
  /** Id of the worker attempt owning the record; every transition is conditional on it. */
  claimId: string;
  updatedAt: Date;
  /** How many times the record was claimed (first claim = 1). */
  attempts: number;
  /** SES message id, once `sent`. */
  messageId?: string;
  /** Why `failed`, `suppressed` or `unknown`. */
  reason?: string;
}

/** What a worker does when a message arrives for a recipient whose record it could not create. */
export type RecoveryAction =
  | { action: 'claim' }
  | { action: 'take-over'; claimId: string }
  | { action: 'mark-unknown'; claimId: string }
  | { action: 'skip'; state: TerminalState };

/** Applies the crash policy (see the file comment) to the record found for a redelivered message. */
export function recoveryAction(entry: LedgerEntry | undefined): RecoveryAction {
  if (entry === undefined) return { action: 'claim' };
  if (isTerminal(entry.state)) return { action: 'skip', state: entry.state };
  return entry.state === 'claimed'
    ? { action: 'take-over', claimId: entry.claimId }
    : { action: 'mark-unknown', claimId: entry.claimId };
}

/** Stored campaign status. `complete` and `fanning-out` are derived, see {@link summarizeCampaign}. */
export type CampaignStatus = 'sending' | 'paused' | 'halted';

/** Sender details fixed at campaign start, so every message of a campaign looks the same. */
export interface CampaignDelivery {
  /** Absolute URL of the post: the view-in-browser link. */
  postUrl: string;
  /** Site URL with baseurl, no trailing slash; unsubscribe links are `<siteUrl>/api/unsubscribe?token=…`. */
  siteUrl: string;
  from: { name: string; address: string };
  replyTo?: string;
  /** Mailbox for `mailto:` unsubscribe, if any. */
  unsubscribeMailto?: string;
  /** Who the campaign goes to, fixed at start; absent = every confirmed reader (before topics). */
  audience?: CampaignAudience;
}

/** Fan-out progress, saved after every page so a continuation resumes where the last one stopped. */
export interface FanoutProgress {
  done: boolean;
  /** Pages enqueued so far; saves are conditional on it so two fan-outs cannot interleave. */
  page: number;
  cursor?: string;
  /** Recipients enqueued so far. */
  enqueued: number;
  finishedAt?: Date;
}

/** A newsletter campaign: one per post id, ever. */
export interface Campaign {
  kind: 'campaign';
  postId: string;
  status: CampaignStatus;
  startedAt: Date;
  /** Confirmed subscribers at `startedAt`: exactly those are mailed. */
  recipientCount: number;
  subject: string;
  delivery: CampaignDelivery;
  fanout: FanoutProgress;
  pausedUntil?: Date;
  haltReason?: string;
  updatedAt: Date;
}

/** A post remembered as never to be mailed (e.g. too old when first published). */
export interface NotToMail {
  kind: 'not-to-mail';
  postId: string;
  reason: string;
  recordedAt: Date;
}

/** What the campaign table holds per post id. */
export type CampaignRecord = Campaign | NotToMail;

/** A campaign with its rendered email, as the send step needs it. */
export interface CampaignWithEmail extends Campaign {
  email: RenderedEmail;
}

/** Number of ledger records per state. */
export type StateCounts = Record<LedgerState, number>;

/** All-zero counts. */
export function emptyCounts(): StateCounts {
  return { claimed: 0, sending: 0, sent: 0, suppressed: 0, failed: 0, unknown: 0 };
}

/** Where a campaign stands, for `herald campaigns` and the reconciler. */
export interface CampaignProgress {
  postId: string;
  phase: 'fanning-out' | 'sending' | 'paused' | 'halted' | 'complete';
  recipients: number;
  counts: StateCounts;
  /**
   * Counted at start but gone from the confirmed list before fan-out reached them (they
   * unsubscribed or were suppressed): reported with `suppressed` in {@link CampaignProgress.terminal}.
   */
  departed: number;
  /** Recipients in a terminal state, departed included. */
  terminal: number;
  /** Recipients still to be settled (not reached yet, claimed, or sending). */
  pending: number;
}

/**
 * Summarises a campaign from its record and the ledger counts. `now` decides whether a pause has
 * run out. A campaign is complete when fan-out is done and every recipient is terminal.
 */
export function summarizeCampaign(campaign: Campaign, counts: StateCounts, now: Date): CampaignProgress {
  const settled = TERMINAL_STATES.reduce((sum, state) => sum + counts[state], 0);
  const departed = campaign.fanout.done ? Math.max(0, campaign.recipientCount - campaign.fanout.enqueued) : 0;
  const terminal = settled + departed;
  const pending = Math.max(0, campaign.recipientCount - terminal);
  let phase: CampaignProgress['phase'];
  if (campaign.status === 'halted') phase = 'halted';
  else if (campaign.fanout.done && pending === 0) phase = 'complete';
  else if (campaign.status === 'paused' && campaign.pausedUntil && campaign.pausedUntil > now)
    phase = 'paused';
  else phase = campaign.fanout.done ? 'sending' : 'fanning-out';
  return {
    postId: campaign.postId,
    phase,
    recipients: campaign.recipientCount,
    counts,
    departed,
    terminal,
    pending,
  };
}

/** Whether messages for this campaign may be sent at `now`, must wait, or must not be sent. */
export function sendGate(
  campaign: Pick<Campaign, 'status' | 'pausedUntil'>,
  now: Date,
): { go: true } | { go: false; wait: 'until'; until: Date } | { go: false; wait: 'halted' } {
  if (campaign.status === 'halted') return { go: false, wait: 'halted' };
  if (campaign.status === 'paused' && campaign.pausedUntil && campaign.pausedUntil > now) {
    return { go: false, wait: 'until', until: campaign.pausedUntil };
  }
  return { go: true };
}
