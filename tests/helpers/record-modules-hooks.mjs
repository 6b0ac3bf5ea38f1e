// Module loader hooks for record-modules.mjs (they run on the loader's own thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.HERALD_MODULE_LOG) appendFileSync(process.env.HERALD_MODULE_LOG, `${resolved.url}\n`);
  return resolved;
}
