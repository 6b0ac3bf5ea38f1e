// Whole-process timing for the benchmarks that compare command lines (`static`, `liquid`): wall time,
// and, where GNU time is installed, user + system CPU time and peak memory of the process tree.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
const gnuTime = existsSync(GNU_TIME);

export interface Run {
  wallMs: number;
  /** User + system CPU time of the process tree; undefined without GNU time. */
  cpuMs?: number;
  maxRssMb?: number;
}

/**
 * Runs a command to completion in `cwd` and measures it; GNU time writes its figures to a file in
 * `scratch`. Throws when the command fails.
 */
export function measure(command: string, args: string[], options: { cwd: string; scratch: string }): Run {
  const stats = join(options.scratch, 'time.txt');
  const [file, argv] = gnuTime
    ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', stats, command, ...args]]
    : [command, args];
  const started = performance.now();
  const result = spawnSync(file, argv, {
    cwd: options.cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  }
  if (!gnuTime) return { wallMs };
  const [, user = '0', system = '0', maxKb = '0'] = readFileSync(stats, 'utf8').trim().split(/\s+/).slice(-4);
  return {
    wallMs,
    cpuMs: (Number(user) + Number(system)) * 1000,
    maxRssMb: Number(maxKb) / 1024,
  };
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
