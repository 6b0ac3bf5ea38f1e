import { describe, expect, it } from 'vitest';
import { readYaml, readYamlDocument, YamlSyntaxError } from '../../functions/core/read-yaml.ts';
import { readSimpleYaml } from '../../functions/core/simple-yaml.ts';
import { seededRandom } from '../support/seeded-random.ts';

/** The yaml library's reading of `text`, or the error it reports. */
function library(text: string): { data: unknown } | { error: string } {
  try {
    return { data: readYamlDocument(text).data };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Deep equality that tells -0 from 0, NaN from null and key order apart, as JSON and the memo do. */
function exactly(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (Object.is(value, -0)) return '-0';
    if (!Number.isFinite(value)) return String(value);
    return value;
  }
  if (Array.isArray(value)) return value.map(exactly);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => [k, exactly(v)]);
  }
  return value;
}

const KEYS = [
  'title',
  'date',
  'tags',
  'x',
  '_draft',
  'last-modified',
  'null',
  'True',
  'constructor',
  '__proto__',
  'toString',
  'título',
  '1st',
  'a b',
  '-k',
  'title',
];
const SEPARATORS = [': ', ':', ':  ', ' : ', ':\t'];
const SCALARS = [
  '',
  'post',
  'Min-jun Park',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'no',
  'yes',
  'on',
  '0',
  '00',
  '-0',
  '+0',
  '12',
  '-12',
  '+12',
  '012',
  '08',
  '0o17',
  '0o8',
  '0O17',
  '0x1F',
  '0X1F',
  '-0x1F',
  '0b101',
  '1_000',
  '12345678901234567890',
  '1.5',
  '1.50',
  '1.',
  '.5',
  '-.5',
  '+.5',
  '.',
  '-.',
  '1e3',
  '1E-3',
  '-1.5e+3',
  '.e3',
  '1e',
  '.inf',
  '-.inf',
  '+.inf',
  '.Inf',
  '.INF',
  '.nan',
  '.NaN',
  '.NAN',
  '-.nan',
  'inf',
  'nan',
  '2026-12-03',
  '2026-12-03 18:30:22 +0100',
  '18:30',
  'a:b',
  'a: b',
  'a:',
  'https://example.org/x?y=1#z',
  'C#',
  'a #b',
  'a#b',
  '"quoted"',
  '"a: b # c"',
  '"with \\"escape\\""',
  '"with \\n"',
  '""',
  '"  spaced  "',
  "'single'",
  "'it''s'",
  "''",
  "'a\"b'",
  '"a\'b"',
  '"unclosed',
  "'unclosed",
  '"a" b',
  '[a, b]',
  '[]',
  '[ ]',
  '[a, "b, c"]',
  '[a,b ,c]',
  '[a, [b]]',
  '[a, b: c]',
  '[a,]',
  '[1, 2.5, true, null, ~]',
  '["x", \'y\']',
  '[a',
  'a]',
  '{a: 1}',
  '&anchor x',
  '*alias',
  '!!str 1',
  '|',
  '>-',
  '- item',
  '-item',
  '-1',
  '+1',
  '?',
  '?x',
  ':x',
  '@x',
  '`x`',
  '%x',
  'x%',
  'back\\slash',
  'é à',
  'tab\there',
  '😀',
  'a  b',
  '(paren)',
  '=',
  'a=b',
  '>x',
  'x>',
  'x|y',
  'x!',
  'x&y',
  'x*y',
  'x,y',
  'x{y',
  'x}y',
];
const EXTRA_LINES = [
  '',
  '# a comment',
  '  indented: 1',
  '- item',
  '---',
  '...',
  '%YAML 1.2',
  'plain line',
  ' ',
  '#',
  '\t# tab',
  'k: v # c',
];

function document(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines: string[] = [''];
  const count = 1 + Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    if (next() < 0.1) lines.push(pick(EXTRA_LINES));
    else
      lines.push(
        `${pick(KEYS)}${next() < 0.85 ? ': ' : pick(SEPARATORS)}${pick(SCALARS)}${next() < 0.1 ? ' ' : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

describe('readSimpleYaml', () => {
  it('reads a document exactly as the yaml library does, or declines it', () => {
    const next = seededRandom(31);
    let answered = 0;
    const total = 20_000;
    for (let n = 0; n < total; n++) {
      const text = document(next);
      const simple = readSimpleYaml(text);
      if (simple === undefined) continue;
      answered++;
      expect({ text, data: exactly(simple) }).toEqual({
        text,
        data: exactly((library(text) as { data: unknown }).data),
      });
    }
    // Enough documents are answered (about one in ten: most generated ones hold something it declines).
    expect(answered).toBeGreaterThan(1_000);
  });

  it('reads each scalar on its own line as the yaml library does', () => {
    for (const scalar of SCALARS) {
      const text = `\nvalue: ${scalar}\n`;
      const simple = readSimpleYaml(text);
      if (simple !== undefined)
        expect({ scalar, data: exactly(simple) }).toEqual({
          scalar,
          data: exactly((library(text) as { data: unknown }).data),
        });
    }
  });

  it('reads the front matter of a typical recap', () => {
    const text = [
      '',
      'layout: post',
      'title: "Meetup 12: Serving LLMs on one GPU"',
      'date: 2026-11-20 18:30:00 +0100',
      'author: Aylin Demir',
      'tags: [gpu, inference, "kv cache"]',
      'image: /assets/recaps/meetup-12/photo-1.png',
      'canonical_url: https://example.org/recaps/12/',
      'email: false',
      'weight: 1.5',
      '',
    ].join('\n');
    expect(readSimpleYaml(text)).toEqual({
      layout: 'post',
      title: 'Meetup 12: Serving LLMs on one GPU',
      date: '2026-11-20 18:30:00 +0100',
      author: 'Aylin Demir',
      tags: ['gpu', 'inference', 'kv cache'],
      image: '/assets/recaps/meetup-12/photo-1.png',
      canonical_url: 'https://example.org/recaps/12/',
      email: false,
      weight: 1.5,
    });
  });

  it('leaves duplicate keys, nesting, anchors and escapes to the yaml library', () => {
    expect(readSimpleYaml('a: 1\na: 2\n')).toBeUndefined();
    expect(readSimpleYaml('a:\n  b: 1\n')).toBeUndefined();
    expect(readSimpleYaml('a: &x 1\nb: *x\n')).toBeUndefined();
    expect(readSimpleYaml('a: "line\\nbreak"\n')).toBeUndefined();
    expect(readSimpleYaml('\n# only a comment\n')).toBeUndefined();
  });
});

describe('readYaml', () => {
  it('still reports a broken document with its line, and finds lines in a flat one', () => {
    expect(() => readYaml('title: a\ntitle: b\n')).toThrow(YamlSyntaxError);
    const flat = readYaml('\ntitle: Hello\ntags: [a, b]\n');
    expect(flat.data).toEqual({ title: 'Hello', tags: ['a', 'b'] });
    expect(flat.lineOf(['tags', 1])).toBe(3);
  });
});
