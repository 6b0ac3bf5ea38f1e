// `npm run bench [-- --only build,bundles,…] [--quick]`: runs every benchmark section in its own
// Node.js process, one after another (they would skew each other in parallel on 2 cores), and
// prints each section's table. Sections:
//   build          issue 2: build 100 / 1,000 / 10,000 posts; MJML-once vs per-recipient mailing
//   subscriptions  issue 3: subscribe / confirm / unsubscribe latency (bundle load: see bundles)
//   delivery       issue 4: per-message cost, pacing accuracy, a large mailing's memory
//   publish        issue 4: one new post into a 1,000-post site
//   bundles        issue 5: Lambda bundle sizes and cold-load times
//   local          issue 6: npm start to ready, save-to-inbox, idle memory
//   static         issue 14: herald build/check against Jekyll on the same posts, --help, 10,000 posts
//   liquid         issue 13: what Liquid in every post adds to building a 1,000-post Jekyll blog
//   topics         issue 15: DynamoDB items read mailing a one-topic post to 10% of 100,000 readers
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const all = [
  'build',
  'subscriptions',
  'delivery',
  'publish',
  'bundles',
  'local',
  'static',
  'liquid',
  'topics',
];
const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? '').split(',') : all;

const sectionArgs: Record<string, string[]> = {
  delivery: quick ? ['--quick'] : [],
  liquid: quick ? ['--quick'] : [],
  topics: quick ? ['--quick'] : [],
  subscriptions: [quick ? '50' : '200'],
};

let failed = 0;
for (const section of all.filter((s) => only.includes(s))) {
  const script = join(here, `${section}.ts`);
  if (!existsSync(script)) {
    console.log(`\n== ${section}: not available in this checkout`);
    continue;
  }
  console.log(`\n== ${section}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...(sectionArgs[section] ?? [])], {
    stdio: 'inherit',
  });
  console.log(`(${section}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (result.status !== 0) {
    failed++;
    console.log(`== ${section} failed with exit code ${result.status}`);
  }
}
process.exitCode = failed ? 1 : 0;
