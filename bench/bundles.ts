// `npm run bench` (section "bundles"): size (raw and gzipped) and cold module-load time of every
// Lambda bundle exactly as `cdk synth` builds it. Each load is a fresh Node.js process; the
// number is the median of the runs. Targets: functions that do not render < 500 KB and < 60 ms,
// the render (publish) function < 400 ms.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadInfraConfig } from '../infra/config.ts';
import { HeraldStack } from '../infra/herald-stack.ts';
import { repoRoot } from '../infra/paths.ts';

const RUNS = Number(process.env.HERALD_BENCH_LOAD_RUNS ?? 10);
const contentDir = join(repoRoot, 'content');
const outdir = mkdtempSync(join(tmpdir(), 'herald-bundles-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Time to `require` the bundle in a fresh process, measured inside that process. */
function loadMs(file: string): number {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    // The Lambda runtime provides the AWS SDK; locally it comes from node_modules.
    env: { PATH: process.env.PATH, NODE_PATH: join(repoRoot, 'node_modules') },
  });
  return Number(out);
}

try {
  const app = new App({ outdir });
  const config = loadInfraConfig({ contentDir, context: () => undefined });
  const stack = new HeraldStack(app, 'Herald', {
    config,
    contentDir,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  app.synth();
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
    Properties: { Code: { S3Key: string }; Environment?: { Variables?: Record<string, string> } };
  }[];
  const rows: { name: string; raw: number; gzip: number; loadMs: number; target: string; met: boolean }[] =
    [];
  for (const fn of functions) {
    const name = fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (!name?.startsWith('herald-')) continue;
    const file = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    const bytes = readFileSync(file);
    const times = Array.from({ length: RUNS }, () => loadMs(file));
    const renders = name === 'herald-publish';
    const load = median(times);
    const met = renders ? load < 400 : bytes.length < 500 * 1024 && load < 60;
    rows.push({
      name: name.replace(/^herald-/, ''),
      raw: bytes.length,
      gzip: gzipSync(bytes).length,
      loadMs: load,
      target: renders ? '< 400 ms' : '< 500 KB, < 60 ms',
      met,
    });
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `\nLambda bundles (cdk synth, esbuild, CommonJS, minified; median cold load of ${RUNS} fresh processes)`,
  );
  console.log(
    ['function'.padEnd(20), 'raw'.padStart(9), 'gzipped'.padStart(9), 'load'.padStart(9), '  target'].join(
      '',
    ),
  );
  for (const r of rows) {
    console.log(
      [
        r.name.padEnd(20),
        kb(r.raw).padStart(9),
        kb(r.gzip).padStart(9),
        `${r.loadMs.toFixed(0)} ms`.padStart(9),
        `  ${r.target} ${r.met ? 'met' : 'MISSED'}`,
      ].join(''),
    );
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
