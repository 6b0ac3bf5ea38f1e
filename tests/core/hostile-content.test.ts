import { describe, expect, it } from 'vitest';
import { parsePost } from '../../functions/core/parse-post.ts';
import { readYaml, YamlSyntaxError } from '../../functions/core/read-yaml.ts';
import { MAX_MARKDOWN_NESTING, tooDeeplyNested } from '../../functions/core/render-markdown.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { problemsOf } from '../helpers/problems.ts';

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
