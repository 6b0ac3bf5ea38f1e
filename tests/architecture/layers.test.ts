import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', 'functions');

function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: `${folder}/${name}`, text: readFileSync(join(root, folder, name), 'utf8') }));
}

function importedPaths(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
}

/** Every source file under `functions/`, keyed by its path from there, with the files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const imports = importedPaths(readFileSync(file, 'utf8'))
      .filter((path) => path.startsWith('.'))
      .map((path) => relative(root, resolve(dirname(file), path)));
    graph.set(relative(root, file), imports);
  }
  return graph;
}

/** The import cycles of `graph`, each as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at >= 0) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

describe('layers (issue 12)', () => {
  it('has no import cycles', () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);

    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('keeps local away from cli, cli away from handlers, and core away from every other layer', () => {
    const rules: [string, string][] = [
      ['local/', 'cli/'],
      ['cli/', 'handlers/'],
      ['core/', 'adapters/'],
      ['core/', 'app/'],
      ['core/', 'wiring/'],
      ['core/', 'handlers/'],
      ['core/', 'local/'],
      ['core/', 'cli/'],
    ];
    const broken = [...importGraph()].flatMap(([file, imports]) =>
      imports
        .filter((target) => rules.some(([from, to]) => file.startsWith(from) && target.startsWith(to)))
        .map((target) => `${file} imports ${target}`),
    );

    expect(broken).toEqual([]);
  });

  it('keeps every Lambda handler file at about 60 lines or fewer', () => {
    const handlers = sources('handlers').filter(({ text }) => /^export const handler\b/m.test(text));

    const tooLong = handlers
      .map(({ file, text }) => ({ file, lines: text.trimEnd().split('\n').length }))
      .filter(({ lines }) => lines > 65);

    expect(handlers.length).toBeGreaterThan(5);
    expect(tooLong).toEqual([]);
  });

  it('lets use cases import only core and their ports, never adapters, wiring, handlers, local or cli', () => {
    const outside = sources('app').flatMap(({ file, text }) =>
      importedPaths(text)
        .filter((path) => path.startsWith('.') && !path.startsWith('./') && !path.startsWith('../core/'))
        .map((path) => `${file} imports ${path}`),
    );

    expect(outside).toEqual([]);
  });
});
