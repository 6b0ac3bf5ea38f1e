import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { printableLines } from '../core/printable.ts';
import type { BuildReport, EmailSelection } from './build.ts';

// Each command imports its modules when it runs, so `herald --help` loads only commander.
const describeBuildError = async (error: unknown) => (await import('./dev.ts')).describeBuildError(error);

/** Where the CLI writes; tests capture it instead of the process streams. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Records the exit code instead of exiting, so buffered output is flushed. */
  setExitCode: (code: number) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

function packageVersion(): string {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`"${value}" is not a port number (0-65535).`);
  }
  return port;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
    throw new InvalidArgumentError(`"${value}" is not a number of subscribers (0-1000000).`);
  }
  return n;
}

function parseEmails(value: string): EmailSelection {
  if (value !== 'mailable' && value !== 'all') {
    throw new InvalidArgumentError(`"${value}" is neither "mailable" nor "all".`);
  }
  return value;
}

const EMAILS_HELP =
  'preview emails for: mailable (posts that can still be mailed: recent or scheduled) or all';

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function formatSummary(report: BuildReport, outDir: string): string[] {
  const lines = [
    `Built ${report.posts} post${report.posts === 1 ? '' : 's'}${report.drafts ? ` (${report.drafts} draft${report.drafts === 1 ? '' : 's'} left out)` : ''} in ${formatSeconds(report.durationMs)}`,
    `  site    ${join(outDir, 'site')}: ${report.pages} pages, ${report.feeds} feeds, ${report.assets} assets (${report.siteFiles} files)`,
    `  email   ${join(outDir, 'email')}: ${report.emails.length} preview email${report.emails.length === 1 ? '' : 's'} (.html, .txt, .eml)`,
  ];
  if (report.emailsSkipped > 0)
    lines.push(`          ${report.emailsSkipped} more mailable posts not previewed`);
  if (report.emailsPast > 0)
    lines.push(
      `          ${report.emailsPast} older post${report.emailsPast === 1 ? '' : 's'} can no longer be mailed: not previewed (--emails all previews them)`,
    );
  for (const email of report.emails.filter((e) => e.excerpted)) {
    lines.push(`  excerpt ${email.name}: too large in full, mailed as an excerpt (${email.htmlBytes} bytes)`);
  }
  return lines;
}

/**
 * The `herald` command line: `build`, `check` and `dev`. Returned unparsed so `main.ts` can add
 * commands from other modules (e.g. subscribers) and tests can run it in-process.
 */
export function createProgram(io: CliIo = processIo, clock: () => Date = () => new Date()): Command {
  // Lines quote content (titles, file names, values): no control character reaches the terminal.
  const println = (line = '') => io.out(`${printableLines(line)}\n`);
  const eprintln = (line = '') => io.err(`${printableLines(line)}\n`);

  const program = new Command()
    .name('herald')
    .description('Publish meetup recaps by commit: newsletter email, feeds and an archive site.')
    .version(packageVersion(), '-v, --version', 'print the Herald version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('build')
    .description('Build the archive site, feeds and preview emails into OUT (replaced only on success).')
    .option('-c, --content <dir>', 'content folder (site.yml or _config.yml, posts, assets)', 'content')
    .option(
      '-o, --out <dir>',
      'output folder; the site goes to OUT/site, preview emails to OUT/email',
      'dist',
    )
    .option('-t, --templates <dir>', 'templates folder (site/*.html, newsletter.mjml); default: Herald’s own')
    .option('-e, --emails <which>', EMAILS_HELP, parseEmails, 'mailable')
    .option('--drafts', 'Jekyll layout: publish the posts in _drafts/ too, as `jekyll build --drafts` does')
    .action(
      async (opts: {
        content: string;
        out: string;
        templates?: string;
        emails: EmailSelection;
        drafts?: boolean;
      }) => {
        try {
          const { runBuild } = await import('./build.ts');
          const report = await runBuild({
            contentDir: opts.content,
            outDir: opts.out,
            templatesDir: opts.templates,
            emails: opts.emails,
            now: clock(),
            drafts: opts.drafts === true,
          });
          for (const line of formatSummary(report, opts.out)) println(line);
          for (const warning of report.warnings) eprintln(`warning: ${warning}`);
        } catch (error) {
          eprintln(`herald build: nothing was written to ${opts.out}; fix these problems:`);
          for (const line of await describeBuildError(error)) eprintln(line);
          io.setExitCode(1);
        }
      },
    );

  program
    .command('check')
    .description('Validate content, pages, feeds and emails without writing anything.')
    .option('-c, --content <dir>', 'content folder', 'content')
    .option('-t, --templates <dir>', 'templates folder; default: Herald’s own')
    .option('-e, --emails <which>', EMAILS_HELP, parseEmails, 'mailable')
    .option('--drafts', 'Jekyll layout: check the posts in _drafts/ too')
    .action(
      async (opts: { content: string; templates?: string; emails: EmailSelection; drafts?: boolean }) => {
        try {
          const { runCheck } = await import('./check.ts');
          const result = await runCheck({
            contentDir: opts.content,
            templatesDir: opts.templates,
            emails: opts.emails,
            now: clock(),
            drafts: opts.drafts === true,
          });
          for (const line of result.errors) eprintln(line);
          for (const warning of result.warnings) eprintln(`warning: ${warning}`);
          if (result.ok && result.report) {
            const r = result.report;
            println(
              `ok: ${r.posts} posts, ${r.pages} pages, ${r.feeds} feeds, ${r.emails.length} emails` +
                (result.warnings.length ? `, ${result.warnings.length} warning(s)` : ''),
            );
          } else {
            eprintln(`${result.errors.length} problem(s) found`);
            io.setExitCode(1);
          }
        } catch (error) {
          for (const line of await describeBuildError(error)) eprintln(line);
          io.setExitCode(1);
        }
      },
    );

  program
    .command('dev')
    .description(
      'Run all of Herald on this machine: local DynamoDB, S3 and SES, the real handlers, the site on ' +
        'localhost; publishes content/ and re-publishes what you save.',
    )
    .option('-c, --content <dir>', 'content folder', 'content')
    .option('-p, --port <port>', 'port for the site and its API', parsePort, 3000)
    .option('-d, --data <dir>', 'local data: subscribers, buckets, sent mail', '.herald')
    .option('--reset', 'delete the local data first and start fresh')
    .option('--demo-subscribers <n>', 'add N confirmed test readers (reader-N@example.test)', parseCount)
    .option('-t, --templates <dir>', 'templates folder; default: Herald’s own')
    .option('--drafts', 'Jekyll layout: publish the posts in _drafts/ too, as `jekyll serve --drafts` does')
    .action(
      async (opts: {
        content: string;
        port: number;
        data: string;
        reset?: boolean;
        demoSubscribers?: number;
        templates?: string;
        drafts?: boolean;
      }) => {
        const { runLocalDev } = await import('./dev.ts');
        const session = await runLocalDev(
          {
            contentDir: opts.content,
            port: opts.port,
            dataDir: opts.data,
            reset: opts.reset ?? false,
            ...(opts.demoSubscribers !== undefined ? { demoSubscribers: opts.demoSubscribers } : {}),
            ...(opts.templates ? { templatesDir: opts.templates } : {}),
            ...(opts.drafts ? { drafts: true } : {}),
          },
          { out: println, err: eprintln },
        );
        if (!session) {
          io.setExitCode(1);
          return;
        }
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          println('Stopping…');
          void session
            .stop()
            .then(() => println('Stopped. Your local data is kept; `herald dev --reset` deletes it.'));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    );

  program
    .command('preview')
    .description(
      'Build into .herald/preview and serve it with email previews; rebuilds on change (no services).',
    )
    .option('-c, --content <dir>', 'content folder', 'content')
    .option('-p, --port <port>', 'port to serve on', parsePort, 3000)
    .option('-t, --templates <dir>', 'templates folder; default: Herald’s own')
    .option('--drafts', 'Jekyll layout: build the posts in _drafts/ too')
    .action(async (opts: { content: string; port: number; templates?: string; drafts?: boolean }) => {
      const { runDev } = await import('./dev.ts');
      const { PortInUseError } = await import('../adapters/http-listen.ts');
      try {
        const session = await runDev({
          contentDir: opts.content,
          port: opts.port,
          templatesDir: opts.templates,
          drafts: opts.drafts === true,
          out: println,
          err: eprintln,
        });
        const stop = () => {
          void session.close();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        if (error instanceof PortInUseError) {
          eprintln(`herald preview: ${error.message}`);
        } else {
          for (const line of await describeBuildError(error)) eprintln(line);
        }
        io.setExitCode(1);
      }
    });

  program
    .command('doctor')
    .description(
      'Check that this AWS account can mail the newsletter: SES access and quota, the domain’s ' +
        'verification and DNS, the deployed stack. Read-only; exit 1 when mail cannot go out.',
    )
    .option('-s, --stack <name>', 'CloudFormation stack name', 'Herald')
    .option('-r, --region <region>', 'AWS region of the stack (default: AWS_REGION or your profile’s)')
    .action(async (opts: { stack: string; region?: string }) => {
      const { runDoctorCommand } = await import('./doctor.ts');
      io.setExitCode(await runDoctorCommand(opts, { out: println, err: eprintln }));
    });

  return program;
}
