/**
 * The `reconcile` Lambda, run on a schedule (and by `herald campaign POST --reconcile`): for every
 * campaign not yet complete, re-enqueues anyone counted at start who has no terminal state, marks
 * stale `sending` records `unknown`, and restarts a stalled fan-out. Rethrows so failures alarm.
 */
import * as z from 'zod/mini';
import type { CampaignRecord } from '../core/campaign.ts';
import { type ReconcileDeps, type ReconcileResult, reconcileCampaign } from '../core/reconcile.ts';
import type { DeliveryLog } from '../core/send-batch.ts';
import { buildCampaignWiring } from './campaign-deps.ts';
import { loadReconcileConfig } from './delivery-config.ts';
import { createDeliveryLogger, lazyHandler } from './lazy-handler.ts';

const reconcileEvent = z.looseObject({
  postId: z.optional(z.string().check(z.minLength(1))),
  staleAfterMinutes: z.optional(z.number().check(z.positive())),
});

/** Builds the handler. Without `postId` in the event, every unfinished campaign is reconciled. */
export function createReconcileHandler(options: {
  deps: ReconcileDeps;
  listCampaigns(): Promise<CampaignRecord[]>;
  log: DeliveryLog;
}): (event: unknown) => Promise<{ results: ReconcileResult[] }> {
  return async (event) => {
    const parsed = reconcileEvent.safeParse(event ?? {});
    const input = parsed.success ? parsed.data : {};
    const deps: ReconcileDeps =
      input.staleAfterMinutes !== undefined
        ? { ...options.deps, staleAfterMs: input.staleAfterMinutes * 60_000 }
        : options.deps;
    const postIds = input.postId
      ? [input.postId]
      : (await options.listCampaigns()).filter((c) => c.kind === 'campaign').map((c) => c.postId);
    const results: ReconcileResult[] = [];
    for (const postId of postIds) {
      const result = await reconcileCampaign(deps, postId);
      if (result.requeued > 0 || result.markedUnknown > 0) {
        options.log.warn('campaign reconciled', {
          postId,
          requeued: result.requeued,
          markedUnknown: result.markedUnknown,
        });
      }
      results.push(result);
    }
    return { results };
  };
}

/** The Lambda entry point (EventBridge schedule); config and clients are built on the first event. */
export const handler = lazyHandler(async () => {
  const log = createDeliveryLogger();
  const wiring = buildCampaignWiring(loadReconcileConfig(process.env));
  const reconcile = createReconcileHandler({
    deps: wiring.reconcileDeps,
    listCampaigns: () => wiring.store.list(),
    log,
  });
  return (event: unknown, _context: unknown) => reconcile(event);
});
