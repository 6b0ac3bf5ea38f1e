import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { splitFrontMatter } from '../../functions/core/split-front-matter.ts';
import { seededRandom } from '../support/seeded-random.ts';

/** What gray-matter makes of `source` with a YAML engine that hands back the text it was given. */
function grayMatter(source: string) {
  let parsed: string | undefined;
  const file = matter(source, {
    engines: {
      yaml: (text: string) => {
        parsed = text;
        return {};
      },
    },
  });
  return { matter: file.matter, hasData: parsed !== undefined, content: file.content, parsed };
}

/** Lines that meet every branch: delimiters whole, longer and inside text, comments, blanks, CRs. */
const LINES = [
  '---',
  '----',
  '--- ',
  '---x',
  'a---',
  '',
  ' ',
  '\t',
  '# comment',
  '  # indented comment',
  '#',
  'title: Pi day',
  'tags: [a, b]',
  'note: "# not a comment"',
  'body text',
  '\r',
  'é—',
];

function generated(next: () => number): string {
  const crlf = next() < 0.3;
  const lines = [next() < 0.8 ? '---' : '--- \t'];
  for (let n = Math.floor(next() * 10); n > 0; n--)
    lines.push(LINES[Math.floor(next() * LINES.length)] ?? '');
  const text = lines.join(crlf ? '\r\n' : '\n');
  return next() < 0.2 ? text : `${text}${crlf ? '\r\n' : '\n'}`;
}

describe('splitFrontMatter', () => {
  it('splits 20,000 generated sources as gray-matter does', () => {
    const next = seededRandom(20261203);
    for (let i = 0; i < 20_000; i++) {
      // parsePost hands over sources whose first line is `---` alone (trailing blanks removed).
      const source = generated(next).replace(/^---[ \t]+(\r?\n)/, '---$1');
      if (!/^---\r?\n/.test(source)) continue;
      const expected = grayMatter(source);
      const split = splitFrontMatter(source);
      expect({ ...split, parsed: split.hasData ? split.matter : undefined }, JSON.stringify(source)).toEqual(
        expected,
      );
    }
  });

  it('takes the matter up to the first \\n--- and leaves a comment-only block unparsed', () => {
    expect(splitFrontMatter('---\r\ntitle: x\r\n---\r\nBody\n')).toEqual({
      matter: '\r\ntitle: x\r',
      hasData: true,
      content: 'Body\n',
    });
    expect(splitFrontMatter('---\na: 1\n---more\nBody')).toEqual({
      matter: '\na: 1',
      hasData: true,
      content: 'more\nBody',
    });
    expect(splitFrontMatter('---\n# only a comment\n  \n---\n\nBody')).toEqual({
      matter: '\n# only a comment\n  ',
      hasData: false,
      content: '\nBody',
    });
  });
});
