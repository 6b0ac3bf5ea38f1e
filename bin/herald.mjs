#!/usr/bin/env node
// Runs the CLI compiled to JavaScript (bin/compile-cli.mjs, run by `npm ci`), recompiling first
// when a source file changed since. Without esbuild (or with HERALD_TSX=1) tsx compiles on load.
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 lets the heap grow to several times what a build keeps alive before collecting; a build of
// 10,000 posts then peaks near 1 GB. Growing it by 30% at a time keeps that peak near half, at no
// measurable cost in time (`npm run bench -- --only static`).
setFlagsFromString('--heap-growing-percent=30');

const CACHE = new URL('../node_modules/.cache/herald/cli/', import.meta.url);

/**
 * True when the compiled CLI was built from this checkout (a node_modules copied from another
 * checkout carries that one's build) and every source it was built from is unchanged (one stat per file).
 */
function compiledIsFresh() {
  try {
    const { root, inputs } = JSON.parse(readFileSync(new URL('manifest.json', CACHE), 'utf8'));
    if (root !== new URL('..', import.meta.url).pathname) return false;
    return inputs.every(([file, mtimeMs, size]) => {
      const s = statSync(file, { throwIfNoEntry: false });
      return s !== undefined && s.mtimeMs === mtimeMs && s.size === size;
    });
  } catch {
    return false;
  }
}

async function compiledEntry() {
  if (process.env.HERALD_TSX) return undefined;
  if (compiledIsFresh()) return new URL('main.mjs', CACHE);
  try {
    const { compileCli } = await import('./compile-cli.mjs');
    return await compileCli();
  } catch (error) {
    if (process.env.HERALD_DEBUG) console.error('herald: cannot compile the CLI, using tsx:', error);
    return undefined;
  }
}

const entry = await compiledEntry();
if (entry) {
  if (process.env.HERALD_DEBUG) process.setSourceMapsEnabled(true);
  await import(entry.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../functions/cli/main.ts');
}
