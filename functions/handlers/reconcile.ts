/**
 * The `reconcile` Lambda, run on a schedule (and by `herald campaign POST --reconcile`): for every
 * campaign not yet complete, re-enqueues anyone counted at start who has no terminal state, marks
 * stale `sending` records `unknown`, and restarts a stalled fan-out. Rethrows so failures alarm.
 */
import * as z from 'zod/mini';
import { type ReconcileDeps, type ReconcileResult, reconcileCampaigns } from '../app/reconcile.ts';
import type { DeliveryLog } from '../app/send-batch.ts';
import type { CampaignRecord } from '../core/campaign.ts';
import { buildCampaignWiring } from '../wiring/campaign-deps.ts';
import { loadReconcileConfig } from '../wiring/delivery-config.ts';
import { defineHandler, serviceLogger } from './define-handler.ts';

const reconcileEvent = z.looseObject({
  postId: z.optional(z.string().check(z.minLength(1))),
  staleAfterMinutes: z.optional(z.number().check(z.positive())),
});

/** Builds the handler. Without `postId` in the event, every unfinished campaign is reconciled. */
export function createReconcileHandler(options: {
  deps: ReconcileDeps;
  listCampaigns(): Promise<CampaignRecord[]>;
  log: DeliveryLog & { info?(message: string, context: Record<string, unknown>): void };
  /** Readers per topic (`*` = everything), logged on every run for the dashboard's metric filter. */
  topicCounts?(): Promise<Record<string, number>>;
}): (event: unknown) => Promise<{ results: ReconcileResult[] }> {
  return async (event) => {
    const parsed = reconcileEvent.safeParse(event ?? {});
    const input = parsed.success ? parsed.data : {};
    const deps: ReconcileDeps =
      input.staleAfterMinutes !== undefined
        ? { ...options.deps, staleAfterMs: input.staleAfterMinutes * 60_000 }
        : options.deps;
    const results = await reconcileCampaigns(
      { ...deps, listCampaigns: options.listCampaigns, log: options.log },
      input.postId,
    );
    if (options.topicCounts && input.postId === undefined) {
      for (const [topic, readers] of Object.entries(await options.topicCounts())) {
        options.log.info?.('topic readers', { topic, readers });
      }
    }
    return { results };
  };
}

/** The Lambda entry point (EventBridge schedule); config and clients are built on the first event. */
export const handler = defineHandler(loadReconcileConfig, (config) => {
  const wiring = buildCampaignWiring(config);
  const log = serviceLogger('herald-delivery');
  return createReconcileHandler({
    deps: wiring.reconcileDeps,
    listCampaigns: () => wiring.store.list(),
    log,
    topicCounts: () => wiring.audience.topics.readCounts(),
  });
});
