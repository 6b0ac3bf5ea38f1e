// `npm run bench -- --only liquid` (issue 13): what Liquid adds to `herald build` of a Jekyll blog. The
// 1,000-post corpus gets Liquid in every post (page and site variables, site.data, a loop, filters, an
// include, a highlight block, post_url). It is built as it is, and as the same blog with each post's Liquid
// output written out in its place (the Markdown Herald's Liquid step produces), so the difference is the
// Liquid step alone, not the extra text it adds. Each build is a whole `herald build` process of the
// compiled CLI, as a user runs it (no post is recent enough to be mailed, so no preview email dilutes the
// difference); runs alternate so both corpora see the same machine load, and the table compares medians.
// Each corpus is built cold (Herald's build cache emptied) and then warm (with what the cold build kept:
// in a warm build each post's rendered Liquid comes from the cache, after hashing its key).
// Target: at most +10%. Writes bench/liquid-results.json.
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFsSiteFiles } from '../functions/adapters/site-files-fs.ts';
import { readJekyllSettings } from '../functions/core/jekyll-config.ts';
import { loadJekyllPosts } from '../functions/core/jekyll-site.ts';
import { parseSiteConfig } from '../functions/core/site-config.ts';
import { writeCorpus } from './corpus.ts';
import { measure, median } from './process-time.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(here, '..', 'bin', 'herald.mjs');
/** Herald's build cache (see the README's Development section). */
const BUILD_CACHE = join(here, '..', 'node_modules', '.cache', 'herald', 'cli', 'build-cache');
const quick = process.argv.includes('--quick');
const SIZE = Number(process.env.HERALD_BENCH_LIQUID_SIZE ?? 1000);
const ROUNDS = Number(process.env.HERALD_BENCH_LIQUID_ROUNDS ?? (quick ? 3 : 7));

const CONFIG = `title: Bench Meetups
description: Synthetic recaps for the Herald benchmark.
url: https://bench.example.org
timezone: Europe/Berlin
author:
  name: Bench Organisers
feed:
  posts_limit: 20
herald:
  newsletter:
    from_address: news@bench.example.org
    postal_address: Example Street 1, 10115 Berlin, Germany
`;

/** What every post gets: most of what real posts use, roughly 1 KB of Liquid. */
function liquidBlock(previous: string | undefined): string {
  return [
    '',
    'This recap, "{{ page.title }}", was written by {{ page.author }} on {{ page.date | date_to_long_string }} for {{ site.title }}.',
    '',
    '{% assign r = site.data.releases | where: "version", "3.4.0" | first %}We ran release {{ r.version }} ({{ r.sha256 | slice: 0, 7 }}).',
    '',
    '{% for s in site.data.speakers %}- {{ s.name | escape }} from {{ s.city | upcase }}\n{% endfor %}',
    '{% include note.html text="Slides are linked below" %}',
    '',
    '{% highlight python %}\nengine = Engine(model="{{ page.slug }}")\n{% endhighlight %}',
    '',
    `Tags: {{ page.tags | array_to_sentence_string }}. Read more at {{ page.url | absolute_url }}.${previous ? ` Previously: [the last one]({% post_url ${previous} %}).` : ''}`,
    '',
  ].join('\n');
}

/** The same blog with every post's Liquid replaced by its output, rendered by Herald's own Liquid step. */
async function writeRenderedCopy(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  const text = await readFile(join(from, '_config.yml'), 'utf8');
  const site = parseSiteConfig(text, '_config.yml', 'jekyll');
  const names = (await readdir(join(from, '_posts'))).sort();
  const files = await Promise.all(
    names.map(async (name) => ({
      relativePath: `_posts/${name}`,
      path: name,
      source: await readFile(join(from, '_posts', name), 'utf8'),
    })),
  );
  const { posts } = await loadJekyllPosts(files, {
    site,
    settings: readJekyllSettings(text),
    siteFiles: createFsSiteFiles(from),
    now: new Date('2027-01-01T00:00:00Z'),
  });
  const original = new Map(files.map((f) => [f.path, f.source]));
  await Promise.all(
    posts.map(async (post) => {
      const source = original.get(post.sourcePath) ?? '';
      const frontMatter = source
        .split('\n')
        .slice(0, post.bodyLine - 1)
        .join('\n');
      if (/\{[{%]/.test(post.body)) throw new Error(`${post.sourcePath}: Liquid left after rendering`);
      await writeFile(join(to, '_posts', post.sourcePath), `${frontMatter}\n${post.body}`);
    }),
  );
}

async function writeJekyllCorpus(dir: string, liquid: boolean): Promise<void> {
  // Dated years ago: no post can still be mailed, so the builds write no preview emails.
  await writeCorpus(dir, SIZE, new Date('2020-06-30T00:00:00Z'));
  await rm(join(dir, 'site.yml'));
  await writeFile(join(dir, '_config.yml'), CONFIG);
  await rename(join(dir, 'posts'), join(dir, '_posts'));
  await mkdir(join(dir, '_data'));
  await mkdir(join(dir, '_includes'));
  await writeFile(
    join(dir, '_data', 'releases.yml'),
    '- version: "3.3.0"\n  sha256: 0a1b2c3d4e5f\n- version: "3.4.0"\n  sha256: 9f8e7d6c5b4a\n',
  );
  await writeFile(
    join(dir, '_data', 'speakers.csv'),
    'name,city\nAylin,Berlin\nRita,Lisbon\nMin-jun,Seoul\n',
  );
  await writeFile(join(dir, '_includes', 'note.html'), '<aside class="note">{{ include.text }}</aside>\n');
  if (!liquid) return;
  const names = (await readdir(join(dir, '_posts'))).sort();
  await Promise.all(
    names.map(async (name, i) => {
      const file = join(dir, '_posts', name);
      const previous = i > 0 ? names[i - 1]?.replace(/\.md$/, '') : undefined;
      await writeFile(file, (await readFile(file, 'utf8')) + liquidBlock(previous));
    }),
  );
}

async function memoryTmp(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

interface BuildResult {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
}

async function build(content: string, out: string, scratch: string): Promise<BuildResult> {
  const run = measure(process.execPath, [BIN, 'build', '--content', content, '--out', out], {
    cwd: scratch,
    scratch,
  });
  await rm(out, { recursive: true, force: true });
  if (run.cpuMs === undefined || run.maxRssMb === undefined) {
    throw new Error('the liquid bench needs GNU time (/usr/bin/time) for CPU time');
  }
  return { wallMs: run.wallMs, cpuMs: run.cpuMs, maxRssMb: run.maxRssMb };
}

// Corpora and output in memory (tmpfs) where the machine has one: on this VM's disk, the time the kernel
// takes to create the site's thousands of files grows from run to run (seen: a build's system time from
// 0.5 s to 2 s over eight runs), swamping the difference measured here; Liquid does not write files.
const work = await mkdtemp(join(await memoryTmp(), 'herald-bench-liquid-'));
try {
  const plain = join(work, 'plain');
  const withLiquid = join(work, 'liquid');
  await writeJekyllCorpus(withLiquid, true);
  await writeRenderedCopy(withLiquid, plain);
  const posts = (await readdir(join(plain, '_posts'))).length;
  // The CLI compiles itself on first use after a change; do it now, outside the timings.
  measure(process.execPath, [BIN, '--version'], { cwd: work, scratch: work });
  type Corpus = 'plain' | 'liquid';
  type State = 'cold' | 'warm';
  const runs: Record<State, Record<Corpus, BuildResult[]>> = {
    cold: { plain: [], liquid: [] },
    warm: { plain: [], liquid: [] },
  };
  const dirs: Record<Corpus, string> = { plain, liquid: withLiquid };
  for (let i = 0; i < ROUNDS; i++) {
    for (const k of ['plain', 'liquid'] as const) {
      // Cold: Herald's build cache emptied (Liquid, Markdown, front matter, feeds made afresh); warm: the
      // same build again, with what the cold one kept.
      await rm(BUILD_CACHE, { recursive: true, force: true });
      runs.cold[k].push(await build(dirs[k], join(work, 'out'), work));
      runs.warm[k].push(await build(dirs[k], join(work, 'out'), work));
    }
  }
  const summary = (state: State, k: Corpus) => ({
    wallMs: median(runs[state][k].map((r) => r.wallMs)),
    cpuMs: median(runs[state][k].map((r) => r.cpuMs)),
    maxRssMb: Math.max(...runs[state][k].map((r) => r.maxRssMb)),
  });
  const pct = (x: number, y: number) => ((y - x) / x) * 100;
  console.log(`Jekyll blog of ${SIZE} posts, median of ${ROUNDS} herald build processes each (no emails)`);
  console.log('build  corpus                 posts  wall ms  cpu ms  peak MB');
  const results: Record<string, unknown> = {};
  for (const state of ['cold', 'warm'] as const) {
    const a = summary(state, 'plain');
    const b = summary(state, 'liquid');
    for (const [name, r] of [
      ['Liquid output inlined', a],
      ['Liquid in every post', b],
    ] as const) {
      console.log(
        `${state.padEnd(5)}  ${name.padEnd(22)} ${String(posts).padStart(5)}  ${r.wallMs.toFixed(0).padStart(7)}  ${r.cpuMs.toFixed(0).padStart(6)}  ${r.maxRssMb.toFixed(0).padStart(7)}`,
      );
    }
    const wallPct = pct(a.wallMs, b.wallMs);
    const cpuPct = pct(a.cpuMs, b.cpuMs);
    // Each round builds both corpora back to back, so the round's own difference is the least exposed
    // to the machine's speed drifting over minutes: the median of those is printed too.
    const paired = (field: 'wallMs' | 'cpuMs') =>
      median(runs[state].plain.map((p, i) => pct(p[field], runs[state].liquid[i]?.[field] ?? p[field])));
    results[state] = {
      withoutLiquid: a,
      withLiquid: b,
      addedWallPercent: Number(wallPct.toFixed(1)),
      addedCpuPercent: Number(cpuPct.toFixed(1)),
      pairedAddedWallPercent: Number(paired('wallMs').toFixed(1)),
      pairedAddedCpuPercent: Number(paired('cpuMs').toFixed(1)),
    };
    console.log(
      `${state}: Liquid adds ${wallPct.toFixed(1)}% wall time, ${cpuPct.toFixed(1)}% CPU time (target: at most +10%)`,
    );
    console.log(
      `${state}: median of each round's own difference: ${paired('wallMs').toFixed(1)}% wall, ${paired('cpuMs').toFixed(1)}% CPU`,
    );
  }
  // Every run, so the spread behind the medians is visible.
  for (const state of ['cold', 'warm'] as const)
    for (const k of ['plain', 'liquid'] as const)
      console.log(
        `${state} ${k} runs, wall ms: ${runs[state][k].map((r) => r.wallMs.toFixed(0)).join(' ')}; cpu ms: ${runs[state][k].map((r) => r.cpuMs.toFixed(0)).join(' ')}`,
      );
  await writeFile(
    join(here, 'liquid-results.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model,
        loadAverage1m: loadavg()[0],
        size: SIZE,
        rounds: ROUNDS,
        posts,
        measured: 'whole herald build processes (compiled CLI), cold and warm build cache',
        folder: dirname(work),
        ...results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
