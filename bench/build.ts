// `npm run bench` (section "build"): build time and peak memory for synthetic corpora of 100, 1,000 and 10,000
// recaps, and the cost of rendering a 10,000-recipient mailing two ways. Each measurement runs
// in a fresh child process so numbers are independent. Writes bench/results.json.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeCorpus } from './corpus.ts';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const SIZES = (process.env.HERALD_BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
/** Preview emails rendered per build: the newest N mailable posts (MJML costs ~tens of ms each). */
const EMAILS_PER_BUILD = Number(process.env.HERALD_BENCH_EMAILS ?? 20);
const MAILING_SAMPLE = Number(process.env.HERALD_BENCH_MAILING_SAMPLE ?? 200);

async function child<T>(script: string, args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, script), ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

interface BuildResult {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  posts: number;
  pages: number;
  feeds: number;
  siteFiles: number;
  emails: number;
  emailsSkipped: number;
  bytes: number;
  phases: Record<'load' | 'render' | 'site' | 'emails' | 'write', number>;
}

interface MailingResult {
  recipients: number;
  htmlBytes: number;
  once: { ms: number; perSecond: number };
  onceWithMime: { msExtrapolated: number; perSecond: number; sample: number };
  perRecipient: { sample: number; sampleMs: number; msExtrapolated: number; perSecond: number };
  ratio: number;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const work = await mkdtemp(join(tmpdir(), 'herald-bench-'));
const builds: (BuildResult & { size: number; corpusMb: number; generateMs: number })[] = [];
try {
  for (const size of SIZES) {
    const content = join(work, `content-${size}`);
    let t = performance.now();
    const { bytes } = await writeCorpus(content, size);
    const generateMs = performance.now() - t;
    t = performance.now();
    const result = await child<BuildResult>('build-child.ts', [
      content,
      join(work, `out-${size}`),
      String(EMAILS_PER_BUILD),
    ]);
    builds.push({ size, corpusMb: bytes / 1e6, generateMs, ...result });
    console.error(
      `built ${size} posts in ${fmt(result.wallMs)} ms (child process total ${fmt(performance.now() - t)} ms)`,
    );
    await rm(join(work, `out-${size}`), { recursive: true, force: true });
    await rm(content, { recursive: true, force: true });
  }
  const mailing = await child<MailingResult>('mailing-child.ts', [String(MAILING_SAMPLE)]);

  console.log('\nherald build (runBuild: load + render + site + feeds + sitemap + preview emails + write)');
  console.log(
    table(
      [
        'posts',
        'markdown',
        'wall time',
        'CPU time',
        'peak RSS',
        'site files',
        'pages',
        'feeds',
        'emails',
        'output',
      ],
      builds.map((b) => [
        fmt(b.size),
        `${fmt(b.corpusMb, 1)} MB`,
        `${fmt(b.wallMs / 1000, 2)} s`,
        `${fmt(b.cpuMs / 1000, 2)} s`,
        `${fmt(b.maxRssMb)} MB`,
        fmt(b.siteFiles),
        fmt(b.pages),
        fmt(b.feeds),
        `${b.emails} (+${fmt(b.emailsSkipped)} skipped)`,
        `${fmt(b.bytes / 1e6, 1)} MB`,
      ]),
    ),
  );
  console.log('\nwhere the time goes (ms)');
  console.log(
    table(
      ['posts', 'load+parse', 'assets', 'markdown+site+feeds+writing', 'emails', 'write emails+swap'],
      builds.map((b) => [
        fmt(b.size),
        fmt(b.phases.load),
        fmt(b.phases.render),
        fmt(b.phases.site),
        fmt(b.phases.emails),
        fmt(b.phases.write),
      ]),
    ),
  );
  const thousand = builds.find((b) => b.size === 1000);
  if (thousand)
    console.log(
      `target: 1,000 posts under 5 s → ${thousand.wallMs < 5000 ? 'met' : 'MISSED'} (${fmt(thousand.wallMs / 1000, 2)} s)`,
    );
  console.log(
    `emails: the newest ${EMAILS_PER_BUILD} mailable posts per build get .html/.txt/.eml previews; the rest are counted as skipped.`,
  );

  console.log(
    `\nrendering one mailing to ${fmt(mailing.recipients)} recipients (email HTML ${fmt(mailing.htmlBytes / 1024, 1)} KB)`,
  );
  console.log(
    table(
      ['approach', 'time for 10,000', 'messages/s'],
      [
        ['(a) MJML once + compilePersonalizer', `${fmt(mailing.once.ms)} ms`, fmt(mailing.once.perSecond)],
        [
          `(a) + MIME per message (${fmt(mailing.onceWithMime.sample)} timed)`,
          `${fmt(mailing.onceWithMime.msExtrapolated)} ms*`,
          fmt(mailing.onceWithMime.perSecond),
        ],
        [
          `(b) MJML per recipient (${mailing.perRecipient.sample} timed)`,
          `${fmt(mailing.perRecipient.msExtrapolated)} ms*`,
          fmt(mailing.perRecipient.perSecond, 1),
        ],
      ],
    ),
  );
  console.log(`* extrapolated linearly from the timed sample to 10,000 recipients`);
  console.log(
    `ratio (b)/(a): ${fmt(mailing.ratio)}× (target ≥ 100×) → ${mailing.ratio >= 100 ? 'met' : 'MISSED'}`,
  );

  const load = loadavg()[0] ?? 0;
  console.log(
    `\nload average at the end: ${fmt(load, 1)} on ${availableParallelism()} cores (wall times grow when others share them)`,
  );
  const results = {
    loadAverage1m: load,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    emailsPerBuild: EMAILS_PER_BUILD,
    builds,
    mailing,
  };
  await writeFile(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${join('bench', 'results.json')}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
