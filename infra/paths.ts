import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, resolved from this file so `cdk synth` works from any working directory. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of a handler source file. */
export function handlerEntry(name: string): string {
  return join(repoRoot, 'functions', 'handlers', `${name}.ts`);
}
