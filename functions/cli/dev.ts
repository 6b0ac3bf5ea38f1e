import { type FSWatcher, watch } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { listen, PortInUseError } from '../adapters/http-listen.ts';
import { EmailTemplateError } from '../adapters/mjml-email-renderer.ts';
import { TemplateError } from '../adapters/templates-fs.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import { FEEDS } from '../core/feeds.ts';
import { printableLines } from '../core/printable.ts';
import { createDebouncedRunner } from '../local/debounced-runner.ts';
import { RuntimeLockedError } from '../local/lock.ts';
import {
  LocalDataError,
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../local/runtime.ts';
import { type BuildReport, DEFAULT_TEMPLATES_DIR, runBuild } from './build.ts';
import { createDevServer } from './dev-server.ts';

export interface DevOptions {
  contentDir: string;
  port: number;
  templatesDir?: string;
  /** Where previews are built. Default `.herald/preview`. */
  outDir?: string;
  /** Quiet period after the last change before rebuilding. */
  debounceMs?: number;
  /** Jekyll layout: build `_drafts/` too. */
  drafts?: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A running `herald dev`. */
export interface DevSession {
  server: Server;
  port: number;
  /** Resolves when the rebuild in flight (if any) is done; tests use it. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Prints a failed build the way `herald build` does, without a stack for known failures. */
export function describeBuildError(error: unknown): string[] {
  if (error instanceof ContentError) return error.problems.map(formatProblem);
  if (error instanceof TemplateError || error instanceof EmailTemplateError) return [error.message];
  return [error instanceof Error ? (error.stack ?? error.message) : String(error)];
}

/**
 * `herald dev`: builds into `.herald/preview/`, serves it on localhost, and rebuilds (debounced)
 * when the content or the templates change. A failed rebuild keeps the last good preview online.
 *
 * @throws PortInUseError when the port is taken.
 */
export async function runDev(options: DevOptions): Promise<DevSession> {
  const contentDir = resolve(options.contentDir);
  const templatesDir = resolve(options.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  const outDir = resolve(options.outDir ?? '.herald/preview');
  let baseurl = '';

  const build = async (): Promise<BuildReport | undefined> => {
    try {
      const report = await runBuild({ contentDir, outDir, templatesDir, drafts: options.drafts === true });
      baseurl = report.baseurl;
      options.out(
        `built ${report.posts} posts, ${report.pages} pages, ${report.emails.length} emails in ${Math.round(report.durationMs)} ms`,
      );
      for (const warning of report.warnings) options.err(`warning: ${warning}`);
      return report;
    } catch (error) {
      options.err('build failed; still serving the last good preview:');
      for (const line of describeBuildError(error)) options.err(`  ${line}`);
      return undefined;
    }
  };

  // Claim the port before the first build, so a busy port fails fast.
  const server = createDevServer({ root: outDir, baseurl: () => baseurl });
  const port = await listen(server, options.port);
  const first = await build();

  const origin = `http://localhost:${port}`;
  const site = `${origin}${baseurl}/`;
  options.out('');
  options.out(`  Site             ${site}`);
  options.out(`  Subscribe page   ${site}subscribe.html`);
  options.out(`  Feeds            ${FEEDS.map((f) => `${site}${f.file}`).join('  ')}`);
  options.out(`  Email previews   ${origin}/_email/${first ? ` (${first.emails.length})` : ''}`);
  options.out('');
  options.out(`watching ${contentDir} and ${templatesDir} for changes; press Ctrl+C to stop`);

  const rebuilds = createDebouncedRunner(build, options.debounceMs ?? 150);
  const onChange = () => rebuilds.trigger();
  const watchers: FSWatcher[] = [contentDir, templatesDir].map((dir) =>
    watch(dir, { recursive: true }, onChange).on('error', (error) =>
      options.err(`watch ${dir}: ${error.message}`),
    ),
  );

  return {
    server,
    port,
    idle: () => rebuilds.idle(),
    async close() {
      for (const w of watchers) w.close();
      await rebuilds.close();
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * `herald dev` (and `npm start`): the whole product on this machine (see `local/runtime.ts`).
 * Every known failure (lock held, busy port, damaged data, broken content) is printed as a message
 * with a way forward and yields `undefined`; nothing prints a stack trace.
 */
export async function runLocalDev(
  options: Omit<LocalRuntimeOptions, 'out' | 'err'>,
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<LocalRuntime | undefined> {
  // The SDK's Node 20 deprecation notice would sit in the middle of the banner; Lambda runs Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const safe = {
    out: (line: string) => io.out(printableLines(line)),
    err: (line: string) => io.err(printableLines(line)),
  };
  try {
    return await startLocalRuntime({ startedAt: 0, ...options, out: safe.out, err: safe.err });
  } catch (error) {
    if (
      error instanceof PortInUseError ||
      error instanceof RuntimeLockedError ||
      error instanceof LocalDataError
    ) {
      safe.err(`herald dev: ${error.message}`);
    } else if (error instanceof ContentError) {
      safe.err('herald dev: fix these problems and start again:');
      for (const problem of error.problems) safe.err(`  ${formatProblem(problem)}`);
    } else {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      safe.err(`herald dev: the local cloud could not start (${what}).`);
      safe.err(
        '  If the local data is damaged, `herald dev --reset` starts fresh; otherwise please report this.',
      );
    }
    return undefined;
  }
}
