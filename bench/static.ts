// `npm run bench -- --only static` (issue 14): Herald's CLI against a static site generator, as
// whole processes. The same generated recaps are laid out as a Jekyll blog (minima + jekyll-feed)
// and built by Debian's `jekyll` when installed, and by `herald build` / `herald check`; runs
// alternate so both tools see the same machine load, and the medians are compared. Each tool is
// timed cold (its cache emptied: Jekyll's .jekyll-cache, Herald's build cache) and warm (the cache
// its previous build left), and compared with the other in the same state. Also:
// `herald --help` and `herald <command> --help` against a bare `node -e 0`, and 10,000 posts.
// Environment: HERALD_BENCH_STATIC_POSTS (default 125), HERALD_BENCH_REPEAT (default 5),
// HERALD_BENCH_LARGE (default 10000; 0 skips). The last line of output is JSON.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCorpus, writeJekyllCorpus } from './corpus.ts';
import { measure as measureIn, median, type Run } from './process-time.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'herald.mjs');
const POSTS = Number(process.env.HERALD_BENCH_STATIC_POSTS ?? 125);
const REPEAT = Number(process.env.HERALD_BENCH_REPEAT ?? 5);
const LARGE = Number(process.env.HERALD_BENCH_LARGE ?? 10_000);

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Runs a command to completion and measures it; throws when it fails. */
const measure = (command: string, args: string[], cwd = ROOT): Run =>
  measureIn(command, args, { cwd, scratch: work });

interface Summary {
  name: string;
  wallMs: number;
  cpuMs?: number;
  maxRssMb?: number;
  runs: number;
}

function summarize(name: string, runs: Run[]): Summary {
  const cpu = runs.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs]));
  const rss = runs.flatMap((r) => (r.maxRssMb === undefined ? [] : [r.maxRssMb]));
  return {
    name,
    wallMs: median(runs.map((r) => r.wallMs)),
    ...(cpu.length ? { cpuMs: median(cpu) } : {}),
    ...(rss.length ? { maxRssMb: Math.max(...rss) } : {}),
    runs: runs.length,
  };
}

const fmtS = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const fmtMb = (mb: number | undefined) => (mb === undefined ? '—' : `${Math.round(mb)} MB`);

function table(rows: Summary[], against?: Summary): string {
  const header = ['', 'wall (median)', 'CPU (median)', 'peak RSS', ...(against ? ['wall ×', 'CPU ×'] : [])];
  const lines = rows.map((r) => [
    r.name,
    fmtS(r.wallMs),
    fmtS(r.cpuMs),
    fmtMb(r.maxRssMb),
    ...(against
      ? [
          (r.wallMs / against.wallMs).toFixed(2),
          r.cpuMs && against.cpuMs ? (r.cpuMs / against.cpuMs).toFixed(2) : '—',
        ]
      : []),
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  const line = (l: string[]) =>
    l.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)));
  return [
    line(header).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map((l) => line(l).join('  ')),
  ].join('\n');
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

/** Herald's caches: the build cache (in the compiled CLI's folder) and the compiled email shapes. */
async function clearHeraldCaches(): Promise<void> {
  const cache = join(ROOT, 'node_modules', '.cache', 'herald');
  await rm(join(cache, 'cli', 'build-cache'), { recursive: true, force: true });
  await rm(join(cache, 'mjml'), { recursive: true, force: true });
}

const work = await mkdtemp(join(tmpdir(), 'herald-bench-static-'));
try {
  // The CLI compiles itself on first use after a change; do it now, outside the timings.
  measure(process.execPath, [BIN, '--version']);

  const jekyll = which('jekyll');
  const blog = join(work, 'blog');
  // Dated up to today, so the newest week of posts can still be mailed and gets preview emails.
  await writeJekyllCorpus(blog, POSTS, new Date());

  const runs: Record<string, Run[]> = {};
  const record = (name: string, run: Run) => {
    runs[name] ??= [];
    runs[name].push(run);
  };
  for (let i = 0; i < REPEAT; i++) {
    // Cold: neither tool has its cache (Jekyll's .jekyll-cache, Herald's build cache and email shapes).
    if (jekyll) {
      await rm(join(blog, '.jekyll-cache'), { recursive: true, force: true });
      record(
        'jekyll build, cold',
        measure(jekyll, ['build', '--quiet', '-s', blog, '-d', join(work, 'jekyll-out')], blog),
      );
    }
    await clearHeraldCaches();
    record(
      'herald build, cold',
      measure(process.execPath, [BIN, 'build', '--content', blog, '--out', join(work, 'out')]),
    );
    // Warm: each tool again with the cache its previous build left, as on an author's machine.
    if (jekyll) {
      record(
        'jekyll build',
        measure(jekyll, ['build', '--quiet', '-s', blog, '-d', join(work, 'jekyll-out')], blog),
      );
    }
    record(
      'herald build',
      measure(process.execPath, [BIN, 'build', '--content', blog, '--out', join(work, 'out')]),
    );
    record('herald check', measure(process.execPath, [BIN, 'check', '--content', blog]));
    record(
      'herald build --emails all',
      measure(process.execPath, [
        BIN,
        'build',
        '--content',
        blog,
        '--out',
        join(work, 'out-all'),
        '--emails',
        'all',
      ]),
    );
  }
  const builds = Object.entries(runs).map(([name, r]) => summarize(name, r));
  const named = (name: string) => builds.find((b) => b.name === name);
  const jekyllWarm = named('jekyll build');
  const jekyllCold = named('jekyll build, cold');
  console.log(`\n${POSTS} recaps, the same Markdown for both tools; ${REPEAT} alternating runs each`);
  console.log(table(builds, jekyllWarm));
  const build = named('herald build');
  const buildCold = named('herald build, cold');
  const check = named('herald check');
  if (jekyllWarm && jekyllCold && build && buildCold && check) {
    // Judged on wall time, what an author waits for (Herald renders preview emails on a second core,
    // so its CPU time is higher than its wall time; both are shown). Each build is compared with
    // Jekyll's in the same state: warm with warm, cold with cold.
    const against = (s: Summary, jekyllRun: Summary) => {
      const wall = s.wallMs / jekyllRun.wallMs;
      const cpu = s.cpuMs && jekyllRun.cpuMs ? s.cpuMs / jekyllRun.cpuMs : undefined;
      return `${verdict(wall <= 1)} (${wall.toFixed(2)}× wall${cpu === undefined ? '' : `, ${cpu.toFixed(2)}× CPU`})`;
    };
    console.log(`target: herald build ≤ jekyll build, both warm → ${against(build, jekyllWarm)}`);
    console.log(`target: herald build ≤ jekyll build, both cold → ${against(buildCold, jekyllCold)}`);
    console.log(`target: herald check ≤ jekyll build, both warm → ${against(check, jekyllWarm)}`);
  } else {
    console.log('jekyll is not installed (apt-get install jekyll ruby-jekyll-feed): no ratio');
  }

  const helpRuns: Record<string, Run[]> = {};
  const helps: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['herald --help', [BIN, '--help']],
    ['herald build --help', [BIN, 'build', '--help']],
    ['herald dev --help', [BIN, 'dev', '--help']],
    ['herald subscribers --help', [BIN, 'subscribers', '--help']],
    ['herald campaign --help', [BIN, 'campaign', '--help']],
  ];
  for (let i = 0; i < REPEAT * 2; i++) {
    for (const [name, args] of helps) {
      helpRuns[name] ??= [];
      helpRuns[name].push(measure(process.execPath, args));
    }
  }
  const helpSummaries = Object.entries(helpRuns).map(([name, r]) => summarize(name, r));
  const bare = helpSummaries[0];
  console.log(`\nhelp against a bare Node start (${REPEAT * 2} runs each)`);
  console.log(table(helpSummaries, bare));
  const slowest = Math.max(...helpSummaries.slice(1).map((h) => h.wallMs));
  if (bare) {
    console.log(
      `target: every --help ≤ 3× node -e 0 → ${verdict(slowest <= 3 * bare.wallMs)} (slowest ${(slowest / bare.wallMs).toFixed(2)}×)`,
    );
  }

  let large: Summary | undefined;
  let largeCold: Summary | undefined;
  let largeReusing: Summary | undefined;
  if (LARGE > 0) {
    const content = join(work, `content-${LARGE}`);
    await writeCorpus(content, LARGE, new Date());
    const buildLarge = () =>
      measure(process.execPath, [BIN, 'build', '--content', content, '--out', join(work, `out-${LARGE}`)]);
    await clearHeraldCaches();
    largeCold = summarize(`herald build, ${LARGE} posts, cold`, [buildLarge()]);
    // The first rebuild writes every file afresh (there is no kept output yet); later ones reuse it.
    large = summarize(`herald build, ${LARGE} posts, warm`, [buildLarge()]);
    largeReusing = summarize(`herald build, ${LARGE} posts, warm, reusing kept output`, [buildLarge()]);
    console.log(`\n${LARGE.toLocaleString('en-US')} recaps (one run each)`);
    console.log(table([largeCold, large, largeReusing]));
    for (const run of [largeCold, large, largeReusing]) {
      console.log(
        `target: ${run.name}: under 8 s and 600 MB → ${verdict(run.wallMs < 8000 && (run.maxRssMb ?? 0) < 600)}`,
      );
    }
  }

  const load = loadavg()[0] ?? 0;
  console.log(
    `\nload average at the end: ${load.toFixed(1)} on ${availableParallelism()} cores (wall times grow when others share them; CPU times less so)`,
  );
  console.log('publishing one post into a 1,000-post site: see the publish section');
  console.log(
    JSON.stringify({
      posts: POSTS,
      repeat: REPEAT,
      builds,
      help: helpSummaries,
      largeCold,
      large,
      largeReusing,
      loadAverage1m: load,
    }),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
