/**
 * `herald campaigns`, `herald campaign POST [--follow] [--resume] [--reconcile]` and `herald send-test POST --to ADDRESS`.
 * Talks to DynamoDB and SES directly (table from `--table` or `CAMPAIGN_TABLE_NAME`; endpoints from
 * the AWS SDK's usual environment, e.g. `AWS_ENDPOINT_URL_DYNAMODB` for the local stand-ins).
 */
import type { Command } from 'commander';
import type { CampaignStore } from '../adapters/campaign-store.ts';
import type { ReconcileDeps, ReconcileResult } from '../app/reconcile.ts';
import type { RawSender } from '../app/send-batch.ts';
import { type CampaignProgress, type CampaignRecord, summarizeCampaign } from '../core/campaign.ts';
import type { RenderedEmail } from '../core/personalize.ts';
import { printableLines } from '../core/printable.ts';
import type { TokenKeys } from '../core/tokens.ts';

// The AWS SDK, mjml, the content loader and the progress bar load inside the actions, so
// `herald campaign --help` stays as quick as `herald --help` (tests/cli/compiled-cli.test.ts).

/** Seams for tests and the local runtime; each defaults to the real thing. */
export interface CampaignCommandContext {
  store?: (table: string | undefined) => CampaignStore | Promise<CampaignStore>;
  sender?: () => RawSender;
  tokenKeys?: () => Promise<TokenKeys>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
  /** Where the progress bar draws (default stderr). */
  stream?: NodeJS.WritableStream;
  /**
   * The reconcile ports for `campaign POST --reconcile`. Default: the reconcile Lambda's wiring
   * from the environment it validates (`CAMPAIGN_TABLE_NAME`, `SUBSCRIBER_TABLE_NAME`,
   * `DELIVERY_QUEUE_URL`, `FANOUT_QUEUE_URL`; `--table` overrides the first).
   */
  reconcileDeps?: (table: string | undefined) => ReconcileDeps | Promise<ReconcileDeps>;
}

async function defaultReconcileDeps(table: string | undefined): Promise<ReconcileDeps> {
  const { loadReconcileConfig } = await import('../wiring/delivery-config.ts');
  const { buildCampaignWiring } = await import('../wiring/campaign-deps.ts');
  const env = { ...process.env, ...(table ? { CAMPAIGN_TABLE_NAME: table } : {}) };
  return buildCampaignWiring(loadReconcileConfig(env)).reconcileDeps;
}

/** One line for a reconcile pass. */
export function formatReconcile(result: ReconcileResult): string {
  return `${result.postId}  reconcile ${result.action}  requeued ${result.requeued}  marked unknown ${result.markedUnknown}`;
}

/** Something the operator must fix (missing table, unknown post). */
export class CampaignCommandError extends Error {
  override name = 'CampaignCommandError';
}

async function defaultStore(table: string | undefined): Promise<CampaignStore> {
  const { resolveTable } = await import('./local-tables.ts');
  const target = await resolveTable({ table, envName: 'CAMPAIGN_TABLE_NAME', kind: 'campaigns' });
  if (!target)
    throw new CampaignCommandError(
      'no campaign table: pass --table, set CAMPAIGN_TABLE_NAME, or run `npm start` on this machine',
    );
  return (await import('../adapters/campaign-store.ts')).createCampaignStore(target);
}

/** One line per campaign: post, phase, counts per state. */
export function formatProgress(p: CampaignProgress): string {
  const c = p.counts;
  return `${p.postId}  ${p.phase}  ${p.terminal}/${p.recipients}  sent ${c.sent}  suppressed ${c.suppressed + p.departed}  failed ${c.failed}  unknown ${c.unknown}  pending ${p.pending}`;
}

async function progressOf(
  store: CampaignStore,
  record: CampaignRecord,
  now: Date,
): Promise<CampaignProgress | undefined> {
  if (record.kind !== 'campaign') return undefined;
  return summarizeCampaign(record, await store.countStates(record.postId), now);
}

/** Lists campaigns (and not-to-mail records) with counts per state. */
export async function listCampaigns(store: CampaignStore, now: Date): Promise<string[]> {
  const lines: string[] = [];
  for (const record of await store.list()) {
    const progress = await progressOf(store, record, now);
    lines.push(
      progress
        ? formatProgress(progress)
        : `${record.postId}  not mailed  (${record.kind === 'not-to-mail' ? record.reason : ''})`,
    );
  }
  return lines.length > 0 ? lines : ['no campaigns yet'];
}

/**
 * Shows one campaign; with `follow`, redraws a progress bar every `intervalMs` until the campaign is
 * complete or halted.
 */
export async function showCampaign(
  store: CampaignStore,
  postId: string,
  options: {
    follow: boolean;
    intervalMs: number;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
    stream: NodeJS.WritableStream;
  },
): Promise<CampaignProgress> {
  const read = async () => {
    const record = await store.get(postId);
    if (!record) throw new CampaignCommandError(`no campaign for post "${postId}"`);
    const progress = await progressOf(store, record, options.now());
    if (!progress) throw new CampaignCommandError(`post "${postId}" is recorded as not to be mailed`);
    return progress;
  };
  let progress = await read();
  if (!options.follow) return progress;
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    format:
      '{bar} {percentage}% | {value}/{total} | sent {sent} | suppressed {suppressed} | failed {failed} | unknown {unknown} | {phase}',
    stream: options.stream,
    hideCursor: true,
  });
  const payload = (p: CampaignProgress) => ({
    sent: p.counts.sent,
    suppressed: p.counts.suppressed + p.departed,
    failed: p.counts.failed,
    unknown: p.counts.unknown,
    phase: p.phase,
  });
  bar.start(progress.recipients, progress.terminal, payload(progress));
  while (progress.phase !== 'complete' && progress.phase !== 'halted') {
    await options.sleep(options.intervalMs);
    progress = await read();
    bar.setTotal(progress.recipients);
    bar.update(progress.terminal, payload(progress));
  }
  bar.stop();
  return progress;
}

/** Sends one preview of a post, marked as a test; touches no campaign or ledger. */
export async function sendTest(input: {
  postId: string;
  to: string;
  contentDir: string;
  templatesDir: string;
  store?: CampaignStore;
  sender: RawSender;
  tokenKeys: TokenKeys;
  now: Date;
}): Promise<{ messageId: string }> {
  const [
    { loadContent },
    { createEmailRenderer },
    { renderPost },
    { campaignDelivery },
    { composeNewsletter },
    { compilePersonalizer },
  ] = await Promise.all([
    import('../adapters/content-fs.ts'),
    import('../adapters/mjml-email-renderer.ts'),
    import('../core/render-post.ts'),
    import('../app/start-campaign.ts'),
    import('../app/send-batch.ts'),
    import('../core/personalize.ts'),
  ]);
  const content = await loadContent(input.contentDir);
  const post = content.posts.find((p) => p.id === input.postId || p.slug === input.postId);
  if (!post) throw new CampaignCommandError(`no post "${input.postId}" in ${input.contentDir}`);
  // Prefer the email the campaign stored, so the preview is exactly what subscribers got.
  const stored = input.store ? await input.store.loadWithEmail(post.id).catch(() => undefined) : undefined;
  const email: RenderedEmail =
    stored?.email ??
    (await createEmailRenderer({ templatesDir: input.templatesDir }).render(
      renderPost(post, content.site),
      content.site,
    ));
  const delivery = stored?.delivery ?? campaignDelivery(post, content.site);
  const raw = await composeNewsletter({
    postId: post.id,
    delivery,
    personalize: compilePersonalizer(email),
    recipient: { subscriberId: 'send-test', email: input.to },
    tokenKeys: input.tokenKeys,
    now: input.now,
    test: true,
  });
  return input.sender.send({ raw, from: delivery.from.address, to: input.to });
}

/** Adds the campaign commands to the `herald` program. */
export function registerCampaignCommands(program: Command, context: CampaignCommandContext = {}): void {
  const print = context.print ?? ((line: string) => console.log(printableLines(line)));
  const store = context.store ?? defaultStore;
  const now = context.now ?? (() => new Date());
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fail = (error: unknown) => {
    console.error(error instanceof CampaignCommandError ? printableLines(`herald: ${error.message}`) : error);
    process.exitCode = 1;
  };

  program
    .command('campaigns')
    .description('List newsletter campaigns with counts per recipient state.')
    .option('--table <name>', 'campaign table (default CAMPAIGN_TABLE_NAME)')
    .action(async (opts: { table?: string }) => {
      try {
        for (const line of await listCampaigns(await store(opts.table), now())) print(line);
      } catch (error) {
        fail(error);
      }
    });

  program
    .command('campaign')
    .description('Show one campaign; --follow draws live progress until it completes.')
    .argument('<post>', 'post id')
    .option('--table <name>', 'campaign table (default CAMPAIGN_TABLE_NAME)')
    .option('-f, --follow', 'keep watching with a progress bar', false)
    .option('--interval <ms>', 'refresh interval for --follow', (v) => Number.parseInt(v, 10), 1000)
    .option('--resume', 'clear a pause or halt so sending continues', false)
    .option(
      '--reconcile',
      're-enqueue recipients without a terminal state and mark stale `sending` ones unknown now (what the scheduled reconciler does)',
      false,
    )
    .option(
      '--stale-after <minutes>',
      'with --reconcile: only recipients untouched this long (default 15; 0 after a crash when nothing is sending)',
      Number.parseFloat,
    )
    .action(
      async (
        postId: string,
        opts: {
          table?: string;
          follow: boolean;
          interval: number;
          resume: boolean;
          reconcile: boolean;
          staleAfter?: number;
        },
      ) => {
        try {
          const s = await store(opts.table);
          if (opts.resume) await s.resume(postId, now());
          if (opts.reconcile) {
            if (opts.staleAfter !== undefined && !(opts.staleAfter >= 0))
              throw new CampaignCommandError(
                `--stale-after must be a number of minutes, not ${opts.staleAfter}`,
              );
            const deps = await (context.reconcileDeps ?? defaultReconcileDeps)(opts.table);
            const { reconcileCampaign } = await import('../app/reconcile.ts');
            const result = await reconcileCampaign(
              {
                ...deps,
                ...(opts.staleAfter !== undefined ? { staleAfterMs: opts.staleAfter * 60_000 } : {}),
              },
              postId,
            );
            print(formatReconcile(result));
          }
          const progress = await showCampaign(s, postId, {
            follow: opts.follow,
            intervalMs: opts.interval,
            now,
            sleep,
            stream: context.stream ?? process.stderr,
          });
          print(formatProgress(progress));
        } catch (error) {
          fail(error);
        }
      },
    );

  program
    .command('send-test')
    .description(
      'Send one preview of a post, marked as a test ([TEST] subject, X-Herald-Test); no ledger is touched.',
    )
    .argument('<post>', 'post id or slug')
    .requiredOption('--to <address>', 'where to send the preview')
    .option('-c, --content <dir>', 'content folder', 'content')
    .option('-t, --templates <dir>', 'templates folder; default: Herald’s own')
    .option('--table <name>', 'campaign table, to preview the stored email if the post was mailed')
    .option('--keys <file>', 'token keys file (default TOKEN_KEYS_FILE or .herald/token-keys.json)')
    .action(
      async (
        postId: string,
        opts: { to: string; content: string; templates?: string; table?: string; keys?: string },
      ) => {
        try {
          const { loadTokenKeysFile } = await import('../adapters/token-keys.ts');
          const { createSesRawSender, createSesSendClient } = await import('../adapters/ses-raw-sender.ts');
          const keys = context.tokenKeys
            ? await context.tokenKeys()
            : await loadTokenKeysFile(opts.keys ?? process.env.TOKEN_KEYS_FILE ?? '.herald/token-keys.json', {
                create: true,
              });
          const sender =
            context.sender?.() ??
            createSesRawSender({
              client: createSesSendClient(),
              ...(process.env.SES_CONFIGURATION_SET
                ? { configurationSetName: process.env.SES_CONFIGURATION_SET }
                : {}),
            });
          const tableName = opts.table ?? process.env.CAMPAIGN_TABLE_NAME;
          const result = await sendTest({
            postId,
            to: opts.to,
            contentDir: opts.content,
            templatesDir: opts.templates ?? (await import('./build.ts')).DEFAULT_TEMPLATES_DIR,
            ...(tableName ? { store: await store(tableName) } : {}),
            sender,
            tokenKeys: keys,
            now: now(),
          });
          print(`test email for ${postId} sent to ${opts.to} (SES message id ${result.messageId})`);
        } catch (error) {
          fail(error);
        }
      },
    );
}
