import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('layers (issue 12)', () => {
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
