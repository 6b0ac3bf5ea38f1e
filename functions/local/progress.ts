/**
 * Live progress of local mailings: a `cli-progress` bar per running campaign (counts per state and
 * the send rate) while it runs, and one summary line when it completes. It reads the same campaign
 * records and ledger counts `herald campaign POST --follow` reads; it only polls while woken (a
 * campaign started, the queues are busy), so an idle runtime does no work.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import {
  type Campaign,
  type CampaignProgress,
  type CampaignRecord,
  type StateCounts,
  summarizeCampaign,
} from '../core/campaign.ts';
import { printable } from '../core/printable.ts';

/** What the progress display reads. */
export interface CampaignSource {
  list(): Promise<CampaignRecord[]>;
  countStates(postId: string): Promise<StateCounts>;
}

/** Options for {@link createMailingProgress}. */
export interface MailingProgressOptions {
  source: CampaignSource;
  /** Where the bars draw; nothing is drawn when it is not a terminal. */
  stream: NodeJS.WritableStream;
  /** Summary lines. */
  print: (line: string) => void;
  /** Campaigns that finished before this moment are not reported. */
  since: Date;
  /** Whether delivery still has work queued (keeps polling while true). */
  busy: () => boolean;
  now?: () => Date;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}

/** The running display. */
export interface MailingProgress {
  /** Starts polling if it is not already. */
  wake(): void;
  /** Resolves when polling has stopped (nothing running, nothing queued). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** One summary line for a finished campaign. */
export function formatMailingSummary(campaign: Campaign, progress: CampaignProgress, doneAt: Date): string {
  const seconds = Math.max(0.001, (doneAt.getTime() - campaign.startedAt.getTime()) / 1000);
  const c = progress.counts;
  const rate = c.sent / seconds;
  const people = progress.recipients === 1 ? 'subscriber' : 'subscribers';
  return (
    `mailed "${printable(campaign.subject)}" to ${progress.recipients} confirmed ${people}: ` +
    `${c.sent} sent, ${c.suppressed + progress.departed} suppressed, ${c.failed} failed, ${c.unknown} unknown` +
    ` in ${seconds.toFixed(1)} s (${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s)` +
    (progress.phase === 'halted' ? ' — HALTED, see the log above' : '')
  );
}

/** Builds the display; call `wake()` when a mailing may have started. */
export function createMailingProgress(options: MailingProgressOptions): MailingProgress {
  const now = options.now ?? (() => new Date());
  const intervalMs = options.intervalMs ?? 500;
  const reported = new Set<string>();
  const bars = new Map<string, SingleBar>();
  let multi: MultiBar | undefined;
  let loop: Promise<void> | undefined;
  let stopped = false;
  let woken = false;

  const payload = (p: CampaignProgress, campaign: Campaign) => {
    const seconds = Math.max(0.001, (now().getTime() - campaign.startedAt.getTime()) / 1000);
    return {
      subject: printable(campaign.subject).slice(0, 40),
      sent: p.counts.sent,
      suppressed: p.counts.suppressed + p.departed,
      failed: p.counts.failed,
      rate: Math.round(p.counts.sent / seconds),
    };
  };

  async function poll(): Promise<boolean> {
    let active = false;
    for (const record of await options.source.list()) {
      if (record.kind !== 'campaign' || reported.has(record.postId)) continue;
      const progress = summarizeCampaign(record, await options.source.countStates(record.postId), now());
      const done = progress.phase === 'complete' || progress.phase === 'halted';
      if (done && record.updatedAt < options.since && !bars.has(record.postId)) {
        reported.add(record.postId);
        continue;
      }
      if (done) {
        bars.get(record.postId)?.stop();
        if (multi && bars.has(record.postId)) multi.remove(bars.get(record.postId) as SingleBar);
        bars.delete(record.postId);
        reported.add(record.postId);
        options.print(formatMailingSummary(record, progress, now()));
        continue;
      }
      active = true;
      multi ??= new MultiBar({
        format:
          '{subject} {bar} {value}/{total} | sent {sent} | suppressed {suppressed} | failed {failed} | {rate}/s',
        stream: options.stream,
        hideCursor: true,
        clearOnComplete: true,
      });
      const bar = bars.get(record.postId);
      if (bar) {
        bar.setTotal(progress.recipients);
        bar.update(progress.terminal, payload(progress, record));
      } else {
        bars.set(
          record.postId,
          multi.create(progress.recipients, progress.terminal, payload(progress, record)),
        );
      }
    }
    if (bars.size === 0 && multi) {
      multi.stop();
      multi = undefined;
    }
    return active;
  }

  async function run(): Promise<void> {
    // One extra pass after the queues go quiet catches the last ledger writes.
    let quietPasses = 0;
    while (!stopped && quietPasses < 2) {
      woken = false;
      let active = false;
      try {
        active = await poll();
      } catch (error) {
        options.onError?.(error);
      }
      quietPasses = active || woken || options.busy() ? 0 : quietPasses + 1;
      if (quietPasses < 2 && !stopped) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  function wake(): void {
    if (stopped) return;
    woken = true;
    loop ??= run().finally(() => {
      loop = undefined;
      // Woken during the last pass: go again.
      if (woken && !stopped) wake();
    });
  }

  return {
    wake,
    async settled() {
      while (loop) await loop;
    },
    async stop() {
      stopped = true;
      await loop;
      multi?.stop();
      multi = undefined;
    },
  };
}
