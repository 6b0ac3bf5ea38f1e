import { Drop, Liquid, Parser, type Template } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { withDirectRender } from '../../functions/core/liquid/direct-render.ts';

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
];

function renders(liquid: Liquid, text: string) {
  const direct = new Parser(liquid);
  const own = direct.parseToken.bind(direct);
  direct.parseToken = ((token, remain) => withDirectRender(own(token, remain), token)) as typeof own;
  const templates: Template[] = direct.parse(text, 'post.md');
  return {
    reference: liquid.parseAndRenderSync(text, scope()),
    sync: liquid.renderSync(templates, scope()),
    async: liquid.render(templates, scope()),
  };
}

describe('direct rendering of text, outputs and assign', () => {
  for (const options of [{}, { lenientIf: true }, { ownPropertyOnly: false }]) {
    it(`renders what liquidjs renders (${JSON.stringify(options)})`, async () => {
      const liquid = new Liquid(options);
      for (const text of TEMPLATES) {
        const { reference, sync, async } = renders(liquid, text);
        expect(sync, text).toBe(reference);
        expect(await async, text).toBe(reference);
      }
    });
  }

  it('gives text, outputs and assign a plain render, and other tags their generator', () => {
    const liquid = new Liquid();
    const parser = new Parser(liquid);
    const own = parser.parseToken.bind(parser);
    parser.parseToken = ((token, remain) => withDirectRender(own(token, remain), token)) as typeof own;
    const kinds = parser
      .parse('text {{ page.title }}{% assign a = 1 %}{% if a %}x{% endif %}', 'post.md')
      .map((t) => t.render.constructor.name);
    expect(kinds).toEqual(['Function', 'Function', 'Function', 'GeneratorFunction']);
  });

  it('leaves generator rendering to asynchronous renders', async () => {
    const liquid = new Liquid();
    liquid.registerFilter('later', async (v: string) => `${v} later`);
    expect(await renders(liquid, '{{ page.title | later }}').async).toBe('Pi day later');
  });

  it("raises liquidjs's own errors", () => {
    const liquid = new Liquid({ strictVariables: true });
    liquid.registerFilter('boom', () => {
      throw new Error('filter failed');
    });
    for (const text of ['{{ missing.x }}', '{{ page.title | boom }}', '{% assign a = nope.x %}']) {
      const reference = (() => {
        try {
          liquid.parseAndRenderSync(text, scope());
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })();
      expect(reference).not.toBe('no error');
      expect(() => renders(liquid, text).sync).toThrow(reference);
    }
  });
});
