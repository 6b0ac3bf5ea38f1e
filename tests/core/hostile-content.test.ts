import { describe, expect, it } from 'vitest';
import { parsePost } from '../../functions/core/parse-post.ts';
import { readYaml, YamlSyntaxError } from '../../functions/core/read-yaml.ts';
import { MAX_MARKDOWN_NESTING, tooDeeplyNested } from '../../functions/core/render-markdown.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { problemsOf } from '../helpers/problems.ts';
import { seededRandom } from '../support/seeded-random.ts';

function aliasBomb(levels: number): string {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) {
    lines.push(
      `l${i}: &l${i} [${Array(9)
        .fill(i === 1 ? '*a' : `*l${i - 1}`)
        .join(', ')}]`,
    );
  }
  return lines.join('\n');
}

describe('hostile content', () => {
  it('stops a YAML alias bomb with a syntax error on the line of the first alias', () => {
    const error = (() => {
      try {
        readYaml(aliasBomb(8));
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect((error as YamlSyntaxError).line).toBe(2);
    expect((error as Error).message).toMatch(/too much data/);
  });

  it('keeps ordinary aliases working', () => {
    expect(readYaml('base: &b [x, y]\ncopy: *b\n').data).toEqual({ base: ['x', 'y'], copy: ['x', 'y'] });
  });

  it('reports an alias bomb in front matter as a content problem with file and line', () => {
    const source = `---\ntitle: T\n${aliasBomb(8)}\n---\n\nBody.\n`;

    const problems = problemsOf(() => parsePost({ path: 'posts/2026-03-01-bomb.md', source }, makeSite()));

    expect(problems).toEqual([
      {
        file: 'posts/2026-03-01-bomb.md',
        line: 4,
        message: expect.stringMatching(/^invalid YAML front matter: aliases/),
      },
    ]);
  });

  it('refuses 20,000 nested quotes before rendering, naming the line in the file', () => {
    const source = `---\ntitle: T\n---\n\nIntro.\n\n${'>'.repeat(20_000)} deep\n`;

    const problems = problemsOf(() => parsePost({ path: 'posts/2026-03-02-deep.md', source }, makeSite()));

    expect(problems).toEqual([
      {
        file: 'posts/2026-03-02-deep.md',
        line: 7,
        message: `quotes or lists nested 20000 levels deep; at most ${MAX_MARKDOWN_NESTING} are allowed`,
      },
    ]);
  });

  it('measures nesting of quotes, bullets, numbers and indentation, and passes ordinary posts', () => {
    const nestedList = Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');

    expect(tooDeeplyNested('> quote\n> > reply\n\n- a\n  - b\n    1. c\n')).toBeUndefined();
    expect(tooDeeplyNested(`${'> - '.repeat(30)}x`)).toEqual({ line: 1, depth: 60 });
    expect(tooDeeplyNested(nestedList)).toEqual({
      line: MAX_MARKDOWN_NESTING + 1,
      depth: MAX_MARKDOWN_NESTING + 1,
    });
    expect(tooDeeplyNested(`${'>'.repeat(MAX_MARKDOWN_NESTING)} fine`)).toBeUndefined();
  });

  it('measures nesting line by line as a split-and-match reference does, on generated text', () => {
    // The straightforward reading: split into lines, strip one marker at a time from the line's start.
    const reference = (markdown: string) => {
      const lines = markdown.split('\n');
      for (let i = 0; i < lines.length; i++) {
        let rest = lines[i] ?? '';
        let depth = 0;
        const marker = /^([ \t]*)(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))/;
        for (let m = marker.exec(rest); m; m = marker.exec(rest)) {
          depth += 1 + Math.floor((m[1] ?? '').replace(/\t/g, '    ').length / 2);
          rest = rest.slice(m[0].length);
        }
        if (depth > MAX_MARKDOWN_NESTING) return { line: i + 1, depth };
      }
      return undefined;
    };
    const markers = ['>', '> ', '- ', '* ', '+\t', '1. ', '12) ', '1234567890. ', '  ', '\t', ' '];
    const breakers = ['a', '-', '\r', '1234567890123.'];
    const next = seededRandom(5050);
    let deepLines = 0;
    for (let i = 0; i < 5_000; i++) {
      // A few lines of 40 to 80 pieces, now and then one that ends the markers: depths around the limit, lines starting with every kind of marker.
      const lines: string[] = [];
      for (let l = 1 + Math.floor(next() * 4); l > 0; l--) {
        let line = '';
        for (let n = 40 + Math.floor(next() * 40); n > 0; n--) {
          const from = next() < 0.01 ? breakers : markers;
          line += from[Math.floor(next() * from.length)];
        }
        lines.push(line);
      }
      const text = lines.join('\n');
      const expected = reference(text);
      if (expected) deepLines++;
      expect(tooDeeplyNested(text), JSON.stringify(text)).toEqual(expected);
    }
    expect(deepLines).toBeGreaterThan(100);
    const deep = `intro\n\n${'> - \t'.repeat(20)}x\n${'  '.repeat(60)}- y`;
    expect(tooDeeplyNested(deep)).toEqual(reference(deep));
    expect(reference(deep)).toBeDefined();
  });

  it('turns a stack overflow while rendering into a content problem naming the file', () => {
    const post = makePost({ sourcePath: 'posts/2026-03-03-deep.md', body: `${'>'.repeat(20_000)} deep\n` });

    const problems = problemsOf(() => renderPost(post, makeSite()));

    expect(problems).toEqual([
      {
        file: 'posts/2026-03-03-deep.md',
        message: 'the Markdown is nested too deeply to render; flatten it',
      },
    ]);
  });
});
