// `npm run bench` (section "bundles"): size (raw and gzipped) and cold module-load time of every
// Lambda bundle exactly as `cdk synth` builds it. Each load is a fresh Node.js process started with
// the function's own NODE_OPTIONS (source maps on, as deployed); the number is the median of the
// runs. Targets: functions that do not render < 500 KB and < 60 ms, the render (publish) function
// < 400 ms. HERALD_BENCH_NODE=/path/to/node measures with another Node.js (the Lambda runtime is
// Node.js 22; this machine has 20).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadInfraConfig } from '../infra/config.ts';
import { HeraldStack } from '../infra/herald-stack.ts';
import { repoRoot } from '../infra/paths.ts';

const RUNS = Number(process.env.HERALD_BENCH_LOAD_RUNS ?? 21);
const NODE = process.env.HERALD_BENCH_NODE ?? process.execPath;
const contentDir = join(repoRoot, 'content');
const outdir = mkdtempSync(join(tmpdir(), 'herald-bundles-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Time to load the bundle in a fresh process with the function's NODE_OPTIONS, measured inside it:
 * `import()` for an ES module, `require` for CommonJS, as the Lambda runtime loads them.
 */
function loadMs(file: string, nodeOptions: string): number {
  const load = file.endsWith('.mjs')
    ? `await import(${JSON.stringify(file)})`
    : `require(${JSON.stringify(file)})`;
  const script = `(async () => { const t = performance.now(); const m = ${load}; if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(performance.now() - t)); })();`;
  const out = execFileSync(NODE, ['--no-warnings', '-e', script], {
    encoding: 'utf8',
    // No NODE_PATH: a bundle must carry everything it needs.
    env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
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
  const bundles = functions.flatMap((fn) => {
    const name = fn.Properties.Environment?.Variables?.HERALD_FUNCTION;
    if (!name?.startsWith('herald-')) return [];
    const dir = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const file = existsSync(join(dir, 'index.mjs')) ? join(dir, 'index.mjs') : join(dir, 'index.js');
    const nodeOptions = fn.Properties.Environment?.Variables?.NODE_OPTIONS ?? '';
    return [{ name, file, nodeOptions, times: [] as number[] }];
  });
  // Round-robin: a slow moment on the machine hits every function alike, not one function's runs.
  for (let run = 0; run < RUNS; run++) {
    for (const b of bundles) b.times.push(loadMs(b.file, b.nodeOptions));
  }
  const rows = bundles.map(({ name, file, times }) => {
    const bytes = readFileSync(file);
    const renders = name === 'herald-publish';
    const load = median(times);
    return {
      name: name.replace(/^herald-/, ''),
      raw: bytes.length,
      gzip: gzipSync(bytes).length,
      loadMs: load,
      target: renders ? '< 400 ms' : '< 500 KB, < 60 ms',
      met: renders ? load < 400 : bytes.length < 500 * 1024 && load < 60,
    };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `\nLambda bundles (cdk synth, esbuild, minified; median cold load of ${RUNS} fresh Node.js ${execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()} processes with the function's NODE_OPTIONS)`,
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
