import { defaultOptions, type LiquidOptions, Tokenizer } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { fastTokenizer } from '../../functions/core/liquid/fast-scan.ts';
import { randomPieces, seededRandom } from '../support/seeded-random.ts';

type Options = typeof defaultOptions;

/** Everything a token holds that parsing reads, or the tokenizer's error. */
function tokensOf(make: (text: string) => Tokenizer, text: string, options: Options): unknown {
  try {
    return make(text)
      .readTopLevelTokens(options)
      .map((token) => {
        const t = token as unknown as Record<string, unknown>;
        return [t.kind, t.begin, t.end, t.trimLeft, t.trimRight, t.name, t.args, t.contentRange, t.file];
      });
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const ours = (text: string) => fastTokenizer(text, undefined, 'post.md');
const liquidjs = (text: string) => new Tokenizer(text, undefined, 'post.md');

/** Pieces that meet every branch of the scans: delimiters whole and broken, quotes, escapes, raw. */
const PIECES = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{',
  '}',
  '%',
  '-',
  '"',
  "'",
  '\\',
  ' ',
  '\n',
  'a',
  'text ',
  'raw',
  'endraw',
  '{% raw %}',
  '{% endraw %}',
  '{{ "}}" }}',
  "{{ 'a' }}",
  '{%- if x -%}',
  '{{- y -}}',
  '{%}',
  '{{}}}',
  'é—',
];

const generated = (next: () => number): string => randomPieces(next, PIECES, Math.floor(next() * 24));

describe('the fast top-level scans', () => {
  it("make liquidjs's tokens, or its error, for 20,000 generated texts", () => {
    const next = seededRandom(20261203);
    for (let i = 0; i < 20_000; i++) {
      const text = generated(next);
      const options = next() < 0.5 ? defaultOptions : { ...defaultOptions, greedy: false };
      expect(tokensOf(ours, text, options), JSON.stringify(text)).toEqual(tokensOf(liquidjs, text, options));
    }
  });

  it('make the same tokens for a post with Liquid throughout', () => {
    const text = [
      'Recap of {{ page.title | escape }} — {{ "quoted }} and %}" | upcase }}.',
      '{% for s in site.data.speakers %}- {{ s.name }}{% endfor %}',
      '{% raw %}{{ kept }} {% if %}{% endraw %} {%- comment -%} x {%- endcomment -%}',
      "{% highlight ruby linenos %}puts '{{ 1 }}'{% endhighlight %} { single } % lone }}",
    ].join('\n');
    const first = tokensOf(ours, text, defaultOptions);
    expect(Array.isArray(first) && first.length).toBeGreaterThan(10);
    expect(first).toEqual(tokensOf(liquidjs, text, defaultOptions));
  });

  it("leave other delimiters to liquidjs's own scans", () => {
    const next = seededRandom(1203);
    const options: Options = {
      ...defaultOptions,
      tagDelimiterLeft: '<%',
      tagDelimiterRight: '%>',
      outputDelimiterLeft: '[[',
      outputDelimiterRight: ']]',
    } satisfies LiquidOptions as Options;
    const pieces = ['<%', '%>', '[[', ']]', '"', "'", 'a', ' ', '<', '[', ']', '%'];
    for (let i = 0; i < 5_000; i++) {
      const text = randomPieces(next, pieces, Math.floor(next() * 16));
      expect(tokensOf(ours, text, options), JSON.stringify(text)).toEqual(tokensOf(liquidjs, text, options));
    }
  });
});
