import { Drop, Liquid, type LiquidOptions, Parser, type Template } from 'liquidjs';
import { describe, expect, it, vi } from 'vitest';
import { renderTemplatesDirectly, withDirectRender } from '../../functions/core/liquid/direct-render.ts';

/** A drop with a method, a missing-method fallback and a value, as liquidjs's own drops have. */
class PersonDrop extends Drop {
  name = 'Aylin';
  shout(): string {
    return 'AYLIN!';
  }
  override liquidMethodMissing(key: string): string {
    return `missing:${key}`;
  }
}

class CountDrop extends Drop {
  override valueOf(): number {
    return 42;
  }
}

const scope = () => ({
  page: { title: 'Pi day', tags: ['js', 'ts'], 'odd key': 'spaced', nested: { deep: { er: 'yes' } } },
  site: { data: { speakers: [{ name: 'Rita', city: 'Lisbon' }, { name: 'Min-jun' }], key: 'name' } },
  person: new PersonDrop(),
  count: new CountDrop(),
  fn: () => 'called',
  empty: [],
  nothing: null,
  zero: 0,
  flag: false,
  n: 7,
  letters: new Set(['x', 'y']),
});

const TEMPLATES = [
  'plain text only',
  '{{ page.title }}',
  '{{ page.title | upcase | append: "!" }}',
  '{{ page.tags | join: ", " }} {{ page.tags.size }} {{ page.tags.first }} {{ page.tags.last }} {{ page.tags[1] }} {{ page.tags[-1] }}',
  '{{ page["odd key"] }} {{ page.nested.deep.er }} {{ page.nested["deep"].er }}',
  '{{ site.data.speakers[0][site.data.key] }} {{ site.data.speakers[1].city | default: "nowhere" }}',
  '{{ missing }}|{{ missing.deeper.still }}|{{ nothing.x }}|{{ nothing }}',
  '{{ flag | default: "dflt" }} {{ flag | default: "dflt", allow_false: true }} {{ zero | default: 5 }}',
  '{{ person.name }} {{ person.shout }} {{ person.unknown }}',
  '{{ count }} {{ count | plus: 1 }} {{ fn }} {{ n | times: 3 | minus: 1 }} {{ 3.5 | ceil }} {{ "lit" }} {{ true }}',
  '{{ empty | size }} {{ empty.first }} {{ page.tags | first }} {{ site.data.speakers | map: "name" | join: "+" }}',
  '{% assign r = site.data.speakers | where: "name", "Rita" | first %}{{ r.city }}-{{ r.name | downcase }}',
  '{% assign x = n | plus: 1 %}{% assign y = x | times: 2 %}{{ x }},{{ y }}',
  '{% for s in site.data.speakers %}[{{ forloop.index }} {{ s.name | escape }} {{ s.city | upcase }}]{% endfor %}',
  '{% for i in (1..n) limit: 3 %}{{ i }}{% if i == 2 %}{% break %}{% endif %}{% endfor %}',
  '{% capture c %}{{ page.title }} & {{ person.name }}{% endcapture %}{{ c | size }} {{ c }}',
  '{% if page.tags contains "ts" %}{{ page.title | slice: 0, 2 }}{% else %}no{% endif %}',
  '{{ "<b>" | escape }} {{ page.title | split: " " | reverse | join: "_" }} {{ page | size }}',
  '{% for t in page.tags reversed %}{% if forloop.first %}<{% endif %}{{ t }}{% unless forloop.last %},{% endunless %}{% endfor %}',
  '{% for i in (1..6) offset: 1 limit: 4 %}{% if i == 3 %}{% continue %}{% endif %}{{ i }}{% cycle "a", "b" %}{% endfor %}',
  '{% for i in (1..3) %}{% for j in (1..3) %}{% if j > i %}{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}|{% endfor %}',
  '{% for x in empty %}never{% else %}empty {{ page.title }}{% endfor %}',
  '{% case page.tags.size %}{% when 1 %}one{% when 2 %}two {% increment c %}{% increment c %}{% else %}many{% endcase %}',
  '{% tablerow t in page.tags cols: 1 %}{{ t }}{% endtablerow %}',
  '{%- for s in site.data.speakers -%}\n  {{ s.name }}\n{%- endfor -%}\n{% raw %}{{ kept }}{% endraw %}',
  '{% for p in page.nested %}{{ p[0] }}={{ p[1].er }};{% endfor %}{% for c in page.title %}[{{ c }}]{% endfor %}',
  '{% for x in nothing %}a{% else %}b{% endfor %}{% for x in missing %}a{% endfor %}{% for x in zero %}z{% endfor %}{% for x in flag %}f{% endfor %}',
  '{% for t in page.tags %}{{ forloop.index0 }}{{ forloop.rindex }}{{ forloop.length }}{{ forloop.last }} {{ forloop }}{% endfor %}',
  '{% for t in page.tags %}{{ t }}{% endfor %}{% for t in page.tags offset: continue %}[{{ t }}]{% endfor %}',
  '{% for i in (1..5) limit: 2 %}{{ i }}{% endfor %}{% for i in (1..5) offset: continue %}{{ i }}{% endfor %}{% for i in (1..2) %}{{ i }}{% endfor %}{% for i in (1..5) offset: continue %}{{ i }}{% endfor %}',
  '{% for t in page.tags %}{% assign kept = t %}{% if t == "ts" %}{% continue %}{% endif %}{{ t }}{% endfor %}{{ kept }}|{{ t }}|{{ forloop.index }}',
  '{% for l in letters %}{{ l }}{{ forloop.index }}{% endfor %}',
  '{% for s in site.data.speakers %}{% for t in page.tags %}{% if t == "js" %}{% break %}{% endif %}{{ s.name }}{{ t }}{{ forloop.index }}{% endfor %}{{ forloop.index }}{% endfor %}',
];

/** Files for `include`, as liquidjs's in-memory `templates` option holds them. */
const INCLUDES = {
  'note.html':
    '<{{ include.text }}|{{ include.n | plus: 1 }}|{{ page.title }}>{% assign leaked = include.text %}',
  'loop.html': '{% for t in include.list %}{{ t }}{% unless forloop.last %}+{% endunless %}{% endfor %}',
  'plain.html': '[{{ text }}|{{ n }}|{{ plain.html }}]',
};

/** A parser that gives text, outputs and assign their direct render, as Herald's fragment parser does. */
function directParser(liquid: Liquid): Parser {
  const parser = new Parser(liquid);
  const own = parser.parseToken.bind(parser);
  parser.parseToken = ((token, remain) => withDirectRender(own(token, remain), token)) as typeof own;
  return parser;
}

/** The same text rendered by plain liquidjs, and with every direct render installed (sync and async). */
function renders(options: LiquidOptions, text: string, setup: (liquid: Liquid) => void = () => {}) {
  const reference = new Liquid(options);
  setup(reference);
  const liquid = new Liquid(options);
  setup(liquid);
  renderTemplatesDirectly(liquid);
  const templates: Template[] = directParser(liquid).parse(text, 'post.md');
  return {
    reference: () => reference.renderSync(new Parser(reference).parse(text, 'post.md'), scope()) as string,
    sync: () => liquid.renderSync(templates, scope()) as string,
    async: () => liquid.render(templates, scope()) as Promise<string>,
  };
}

const message = (render: () => unknown): string => {
  try {
    render();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('direct rendering of text, outputs, assign and template lists', () => {
  for (const options of [{}, { lenientIf: true }, { ownPropertyOnly: false }]) {
    it(`renders what liquidjs renders (${JSON.stringify(options)})`, async () => {
      for (const text of TEMPLATES) {
        const { reference, sync, async } = renders(options, text);
        expect(sync(), text).toBe(reference());
        expect(await async(), text).toBe(reference());
      }
    });
  }

  for (const [name, options, text] of [
    [
      'Jekyll style',
      { jekyllInclude: true, dynamicPartials: false },
      '{% include note.html text="hi" n=2 %}{% include note.html text=page.title %}{{ leaked }}{% include loop.html list=page.tags %}{% include note.html %}{{ include.text }}',
    ],
    [
      'liquidjs style',
      { dynamicPartials: false },
      "{% include plain.html, text: 'hi', n: 2 %}{% include plain.html with page.title %}{% include plain.html %}{{ text }}",
    ],
    [
      'with dynamic names',
      {},
      `{% include "plain.html", text: "hi" %}{% include "plai{{ 'n' }}.html", n: 3 %}`,
    ],
  ] as const) {
    it(`renders include as liquidjs does (${name})`, async () => {
      const { reference, sync, async } = renders({ ...options, templates: INCLUDES }, text);
      expect(sync()).toBe(reference());
      expect(await async()).toBe(reference());
    });
  }

  it("looks an include's file up once, not at every render", () => {
    const liquid = new Liquid({ jekyllInclude: true, dynamicPartials: false, templates: INCLUDES });
    renderTemplatesDirectly(liquid);
    const lookups = vi.spyOn(liquid, '_parsePartialFile');
    const templates = directParser(liquid).parse(
      '{% for t in page.tags %}{% include note.html text=t n=1 %}{% endfor %}',
      'post.md',
    );

    const first = liquid.renderSync(templates, scope());
    expect(liquid.renderSync(templates, scope())).toBe(first);
    expect(first).toBe('<js|2|Pi day><ts|2|Pi day>');
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it("does not read a value's next (a post's drop computes its neighbours there)", () => {
    const liquid = new Liquid();
    renderTemplatesDirectly(liquid);
    let reads = 0;
    const page = { title: 'Pi day' };
    Object.defineProperty(page, 'next', {
      get: () => {
        reads++;
        return { title: 'Tau day' };
      },
    });
    const templates = directParser(liquid).parse(
      '{{ page.title }} {{ page }}{% assign p = page %}{{ p.title | append: page.title }}',
      'a',
    );
    expect(liquid.renderSync(templates, { page })).toBe('Pi day [object Object]Pi dayPi day');
    expect(reads).toBe(0);
  });

  it('gives text, outputs, assign, plain for loops and includes a plain render, other tags their generator', () => {
    const liquid = new Liquid({ jekyllInclude: true, dynamicPartials: false, templates: INCLUDES });
    const kinds = directParser(liquid)
      .parse(
        'text {{ page.title }}{% assign a = 1 %}{% if a %}x{% endif %}{% for t in page.tags %}{% endfor %}' +
          '{% for t in page.tags limit: 1 %}{% endfor %}{% include note.html text="hi" %}',
        'post.md',
      )
      .map((t) => t.render.constructor.name);
    expect(kinds).toEqual([
      'Function',
      'Function',
      'Function',
      'GeneratorFunction',
      'Function',
      'GeneratorFunction',
      'Function',
    ]);
  });

  it('renders template lists directly in synchronous renders only', () => {
    const liquid = new Liquid();
    const generator = liquid.renderer.renderTemplates;
    renderTemplatesDirectly(liquid);
    expect(liquid.renderer.renderTemplates).not.toBe(generator);
    expect(liquid.renderer.renderTemplates.constructor.name).toBe('Function');
  });

  it('leaves generator rendering to asynchronous renders', async () => {
    const { async } = renders({}, '{% for t in page.tags %}{{ t | later }}{% endfor %}', (liquid) =>
      liquid.registerFilter('later', async (v: string) => `${v} later`),
    );
    expect(await async()).toBe('js laterts later');
  });

  it("raises liquidjs's own errors", () => {
    const boom = (liquid: Liquid) =>
      liquid.registerFilter('boom', () => {
        throw new Error('filter failed');
      });
    for (const [options, text] of [
      [{ strictVariables: true }, '{{ missing.x }}'],
      [{ strictVariables: true }, '{% assign a = nope.x %}'],
      [{}, '{{ page.title | boom }}'],
      [{}, 'a {% for t in page.tags %}{% if t == "ts" %}{{ t | boom }}{% endif %}{% endfor %}'],
      [{ renderLimit: 0 }, '{{ page.title }}'],
    ] as const) {
      const { reference, sync } = renders(options, text, boom);
      const expected = message(reference);
      expect(expected, text).not.toBe('no error');
      expect(message(sync), text).toBe(expected);
    }
  });
});
