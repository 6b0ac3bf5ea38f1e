// `node --import tsx bench/local.ts`: the local cloud's numbers (issue 6).
//   1. `npm start` to ready: a real `herald dev` process, from spawn to the banner, on a fresh data
//      folder (publishes the sample posts) and again on the same folder (content unchanged).
//   2. Idle memory (RSS) of that process a few seconds after ready.
//   3. Saving a post → the newsletter in the local inbox (aws-ses-v2-local's store), for 1 and for
//      1,000 local subscribers (`--demo-subscribers`), through the in-process runtime.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startLocalRuntime } from '../functions/local/runtime.ts';
import { readSesStore } from '../functions/local/services.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'herald.mjs');

async function freshContent(work: string): Promise<string> {
  const dir = join(work, 'content');
  await cp(join(ROOT, 'content'), dir, { recursive: true });
  return dir;
}

/** Spawns `herald dev`, resolves at the banner with the elapsed time; the caller stops it. */
async function startProcess(contentDir: string, dataDir: string) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, 'dev', '--content', contentDir, '--data', dataDir, '--port', '0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const readyMs = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Watching ')) resolve(performance.now() - started);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`herald dev exited with ${code}:\n${output}`)));
  });
  const reported = /ready in ([\d.]+) s/.exec(output)?.[1];
  return {
    readyMs,
    reported,
    async rssMb(): Promise<number> {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async stop(): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}

function postSource(title: string): string {
  return `---\ntitle: "${title}"\ndate: ${new Date(Date.now() - 60_000).toISOString()}\ntags: [community]\n---\n\n<p align="center"><img src="/assets/recaps/2026-berlin/stage.png" width="100%"></p>\n\nA recap for the benchmark.\n`;
}

async function saveToInbox(subscribers: number): Promise<{ firstMs: number; allMs: number; rate: number }> {
  const work = await mkdtemp(join(tmpdir(), 'herald-bench-local-'));
  try {
    const contentDir = await freshContent(work);
    const runtime = await startLocalRuntime({
      contentDir,
      dataDir: join(work, 'data'),
      port: 0,
      demoSubscribers: subscribers,
      debounceMs: 50,
      progressStream: new Writable({ write: (_c, _e, done) => done() }),
    });
    try {
      const title = `Benchmark Night for ${subscribers}`;
      const started = performance.now();
      await writeFile(
        join(contentDir, 'posts', `${new Date().toISOString().slice(0, 10)}-bench.md`),
        postSource(title),
      );
      let firstMs = 0;
      for (;;) {
        const count = (await readSesStore(runtime.endpoints.ses)).filter((e) => e.subject === title).length;
        if (count > 0 && firstMs === 0) firstMs = performance.now() - started;
        if (count >= subscribers) break;
        if (performance.now() - started > 120_000) throw new Error(`only ${count} of ${subscribers} arrived`);
        await new Promise((resolve) => setTimeout(resolve, subscribers > 1 ? 1000 : 25));
      }
      const allMs = performance.now() - started;
      return { firstMs, allMs, rate: subscribers / ((allMs - firstMs) / 1000 || 1) };
    } finally {
      await runtime.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: [string, string][] = [];

const work = await mkdtemp(join(tmpdir(), 'herald-bench-start-'));
try {
  const contentDir = await freshContent(work);
  const dataDir = join(work, 'data');
  const cold = await startProcess(contentDir, dataDir);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rss = await cold.rssMb();
  await cold.stop();
  const warm = await startProcess(contentDir, dataDir);
  await warm.stop();
  rows.push([
    'npm start → ready, fresh data (publishes 3 sample posts)',
    `${fmt(cold.readyMs)} (banner says ${cold.reported} s)`,
  ]);
  rows.push([
    'npm start → ready, restart (content unchanged)',
    `${fmt(warm.readyMs)} (banner says ${warm.reported} s)`,
  ]);
  rows.push(['idle memory of the runtime process (RSS, 3 s after ready)', `${rss.toFixed(0)} MB`]);
} finally {
  await rm(work, { recursive: true, force: true });
}

for (const n of [1, 1000]) {
  const result = await saveToInbox(n);
  rows.push([
    `save a post → email in the local inbox, ${n} subscriber${n === 1 ? '' : 's'}`,
    n === 1
      ? fmt(result.firstMs)
      : `first ${fmt(result.firstMs)}, all ${fmt(result.allMs)} (${Math.round(result.rate)}/s)`,
  ]);
}

const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
