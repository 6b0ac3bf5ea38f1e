import { Lexer, Marked } from 'marked';
import { describe, expect, it } from 'vitest';
import {
  mayBeUnderlined,
  plainTextEnd,
  scanningTokenizer,
  secondLineHasDash,
} from '../../functions/core/markdown-scan.ts';
import { randomPieces, seededRandom } from '../support/seeded-random.ts';

const GFM_TEXT = Lexer.rules.inline.gfm.text;
const GFM_LHEADING = Lexer.rules.block.gfm.lheading;

/** Pieces that sit on every branch of marked's text rule, and plain words around them. */
const PIECES = [
  'word',
  'Latency',
  'p99',
  ' ',
  ' ',
  '  ',
  '\n',
  '  \n',
  '   \n',
  '\t',
  '\u00a0',
  '.',
  ',',
  ':',
  '(',
  ')',
  '_',
  '__',
  '*',
  '**',
  '~',
  '~~',
  '`',
  '``',
  '\\',
  '<',
  '>',
  '!',
  '[',
  ']',
  '&',
  '&#35;',
  '&amp;',
  '#',
  '@',
  'a@b.org',
  'me@example.com',
  'mailto:',
  'mailto:x@y.z',
  'xmpp:',
  'xmpp:me@chat.org',
  'MAILTO:',
  'http',
  'HTTP',
  'hTtP',
  'https://example.org',
  'ftp://files.example.org',
  'FTP://',
  'ftp:/',
  'www.',
  'www.example.org',
  'WWW.',
  'x!y',
  "o'k",
  '{|}',
  '=',
  '?',
  '+',
  '-',
  '/',
  'é',
  '日本',
  '😀',
  '\ud800',
];

const text = (next: () => number, count: number): string => randomPieces(next, PIECES, count);

describe('plainTextEnd', () => {
  it('ends a text run where marked’s GFM text rule does, or declines', () => {
    const next = seededRandom(20261203);
    let answered = 0;
    const total = 30_000;
    for (let n = 0; n < total; n++) {
      const src = text(next, 1 + Math.floor(next() * 12));
      const end = plainTextEnd(src);
      if (end === undefined) continue;
      answered++;
      // `end` names the input in the failure message.
      expect({ src, end }).toEqual({ src, end: GFM_TEXT.exec(src)?.[0].length });
    }
    // Most runs are answered by the scan, not handed back to marked.
    expect(answered).toBeGreaterThan(total / 3);
  });

  it('ends long runs where marked does: several places to look at, blanks and breaks in one run', () => {
    const next = seededRandom(20261204);
    for (let n = 0; n < 5_000; n++) {
      const src = text(next, 20 + Math.floor(next() * 60));
      const end = plainTextEnd(src);
      if (end !== undefined) expect({ src, end }).toEqual({ src, end: GFM_TEXT.exec(src)?.[0].length });
    }
  });

  it('answers every run without an @, mailto: or xmpp:, as long prose has', () => {
    const prose = 'Batch prefill and decode share the GPU; the scheduler (continuous) won.  \nNext: ';
    expect(plainTextEnd(prose)).toBe(GFM_TEXT.exec(prose)?.[0].length);
    expect(plainTextEnd('Scheduler latency was 3 ms at p99, see http://x.org')).toBe(
      'Scheduler latency was 3 ms at p99, see '.length,
    );
    expect(plainTextEnd('visit www.example.org')).toBe('visit '.length);
    expect(plainTextEnd('visitwww.example.org')).toBe('visitwww.example.org'.length);
  });

  it('declines where an email address or a mailto:/xmpp: link could start', () => {
    expect(plainTextEnd('write to me@example.com today')).toBeUndefined();
    expect(plainTextEnd('word!name@example.com')).toBeUndefined();
    expect(plainTextEnd('or (mailto:x@y.z)')).toBeUndefined();
    expect(plainTextEnd(' xmpp:me')).toBeUndefined();
    expect(plainTextEnd('')).toBeUndefined();
  });

  it('reads at most 64 address characters past a run, then leaves the run to marked', () => {
    // marked's own lookahead reads the whole run at every call (quadratic on `a_a_a_…`); the scan must
    // not read it a second time.
    expect(plainTextEnd(`a_${'b'.repeat(62)} x`)).toBe(1);
    expect(plainTextEnd(`a_${'b'.repeat(63)} x`)).toBeUndefined();
  });
});

describe('secondLineHasDash', () => {
  it('looks at the second line only', () => {
    expect(secondLineHasDash('a | b\n--- | ---\n')).toBe(true);
    expect(secondLineHasDash('a | b\n | :-\n')).toBe(true);
    expect(secondLineHasDash('a - b\nc | d\n- e')).toBe(false);
    expect(secondLineHasDash('a | b')).toBe(false);
    expect(secondLineHasDash('a\n')).toBe(false);
  });
});

describe('mayBeUnderlined', () => {
  /** Lines that end a paragraph, underline it, or only look like it. */
  const LINES = [
    'Latency dropped',
    'word *x* y',
    '===',
    '---',
    '   ===',
    '    ===',
    '  - -',
    '= x',
    '-x',
    '- item',
    '1. item',
    '> quote',
    '# heading',
    '```',
    '<div>',
    '| a | b |',
    '',
    '   ',
    '\t',
    '\u00a0',
    ' \u2028 ',
    '***',
  ];

  it('finds every underline marked’s setext-heading rule finds', () => {
    const next = seededRandom(20261205);
    let headings = 0;
    for (let n = 0; n < 20_000; n++) {
      const lines = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
        next() < 0.4
          ? text(next, 1 + Math.floor(next() * 6))
          : (LINES[Math.floor(next() * LINES.length)] ?? ''),
      );
      const src = lines.join('\n') + (next() < 0.5 ? '\n' : '');
      if (!GFM_LHEADING.exec(src)) continue;
      headings++;
      expect({ src, found: mayBeUnderlined(src) }).toEqual({ src, found: true });
    }
    expect(headings).toBeGreaterThan(1_000);
  });

  it('stops at the first blank line', () => {
    expect(mayBeUnderlined('Title\n===\n')).toBe(true);
    expect(mayBeUnderlined('Title\nmore\n   ---\n')).toBe(true);
    expect(mayBeUnderlined('Title\n    ---\n')).toBe(false);
    expect(mayBeUnderlined('Title\n \t\n---\n')).toBe(false);
    expect(mayBeUnderlined('One long paragraph without a second line')).toBe(false);
  });
});

describe('scanningTokenizer', () => {
  const plain = new Marked({ gfm: true, breaks: false });
  const fast = new Marked({ gfm: true, breaks: false, tokenizer: scanningTokenizer });

  const BLOCKS = [
    (t: string) => `${t}\n`,
    (t: string) => `## ${t}\n`,
    (t: string) => `- ${t}\n- *${t}*\n`,
    (t: string) => `> ${t}\n`,
    (t: string) => `| a | b |\n| - | - |\n| ${t} | **${t}** |\n`,
    (t: string) =>
      `[${t}](https://example.org/${t.replace(/[\s()<>]/g, '')}) and <https://example.org> ${t}\n`,
    (t: string) => `<pre>\n${t}\n</pre>\n\n<span>${t}</span> \`${t}\`\n`,
    (t: string) => `<script>${t}</script> ${t}\n`,
    (t: string) => `${t} | b\n--- | :-:\n${t} | c\n`,
    (t: string) => `${t}\n${t}\n`,
    (t: string) => `${t}\n---\n`,
    (t: string) => `| ${t} |\n| - |\n`,
    (t: string) => `${t}\n  ${t} | -\n`,
    (t: string) => `${t}\n${t}\n===\n`,
    (t: string) => `${t}\n   --\n`,
    (t: string) => `${t}\n    ==\n`,
  ];

  it('gives the same tokens as marked’s own rule on generated documents', () => {
    const next = seededRandom(1203);
    for (let n = 0; n < 600; n++) {
      const doc = Array.from(
        { length: 1 + Math.floor(next() * 4) },
        () => BLOCKS[Math.floor(next() * BLOCKS.length)]?.(text(next, 1 + Math.floor(next() * 16))) ?? '',
      ).join('\n');
      expect({ doc, tokens: fast.lexer(doc) }).toEqual({ doc, tokens: plain.lexer(doc) });
      expect(fast.parse(doc, { async: false })).toBe(plain.parse(doc, { async: false }));
    }
  });

  it('keeps entity decoding and raw HTML as marked has them', () => {
    const doc = 'Room &#35;4 &amp; <code>&#35;5</code>, see &#x41;.\n';
    expect(fast.parse(doc, { async: false })).toBe(plain.parse(doc, { async: false }));
    expect(fast.parse(doc, { async: false })).toContain('Room #4 &amp; <code>&#35;5</code>, see A.');
  });
});
