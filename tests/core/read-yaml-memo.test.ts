import { describe, expect, it } from 'vitest';
import { parsePost } from '../../functions/core/parse-post.ts';
import { readYaml, readYamlMemo, YamlSyntaxError } from '../../functions/core/read-yaml.ts';
import { makeSite } from '../helpers/fixtures.ts';
import { mapMemo } from '../helpers/memo.ts';
import { problemsOf } from '../helpers/problems.ts';

const TEXT =
  'title: "Serving Night"\ntags:\n  - berlin\n  - kv-cache\nspeakers:\n  - name: Aylin\n    talk: Caches\nno: no\nwhen: 2026-09-24\n';

describe('readYamlMemo', () => {
  it('gives the data readYaml gives, the second time without parsing', () => {
    const { memo, counts } = mapMemo();

    const first = readYamlMemo(TEXT, memo);
    const second = readYamlMemo(TEXT, memo);

    expect(first.data).toEqual(readYaml(TEXT).data);
    expect(second.data).toEqual(readYaml(TEXT).data);
    expect(counts.computed).toBe(1);
  });

  it('finds the line of a field from kept data', () => {
    const { memo } = mapMemo();
    readYamlMemo(TEXT, memo);

    const kept = readYamlMemo(TEXT, memo);

    expect(kept.lineOf(['speakers', 0, 'talk'])).toBe(7);
    expect(kept.lineOf(['tags', 1])).toBe(4);
  });

  it('parses every time a document JSON cannot hold exactly', () => {
    const { memo, store } = mapMemo();
    const text = 'big: .inf\nnothing: .nan\nminus: -0\nname: x\n';

    readYamlMemo(text, memo);
    const again = readYamlMemo(text, memo);

    expect(again.data).toEqual({ big: Number.POSITIVE_INFINITY, nothing: Number.NaN, minus: -0, name: 'x' });
    expect(Object.is((again.data as { minus: number }).minus, -0)).toBe(true);
    expect([...store.values()].some((v) => v.includes('null'))).toBe(false);
  });

  it('keeps no flat front matter: reading it again costs less than keeping it', () => {
    const { memo, store } = mapMemo();
    const text = 'title: "Serving Night"\ntags: [berlin, kv-cache]\nno: no\n';

    const read = readYamlMemo(text, memo);

    expect(read.data).toEqual({ title: 'Serving Night', tags: ['berlin', 'kv-cache'], no: 'no' });
    expect(read.lineOf(['tags', 1])).toBe(2);
    expect(store.size).toBe(0);
  });

  it('throws the syntax error and keeps nothing', () => {
    const { memo, store } = mapMemo();

    expect(() => readYamlMemo('title: [unclosed\n', memo)).toThrow(YamlSyntaxError);
    expect(store.size).toBe(0);
  });
});

describe('parsePost with a memo', () => {
  const input = (front: string) => ({
    path: 'content/posts/2026-09-24-serving-night.md',
    source: `---\n${front}---\n\nWe met.\n`,
  });

  it('reads the same post from kept front matter', () => {
    const { memo, counts } = mapMemo();
    const site = makeSite();

    parsePost({ ...input(TEXT), memo }, site);
    const kept = parsePost({ ...input(TEXT), memo }, site);

    expect(kept).toEqual(parsePost(input(TEXT), site));
    expect(counts.computed).toBe(1);
  });

  it('names the same line for a bad field when the front matter was kept', () => {
    const { memo } = mapMemo();
    const site = makeSite();
    const bad = 'title: "Serving Night"\nsummary: "fine"\ntags: 42\n';

    const fresh = problemsOf(() => parsePost(input(bad), site));
    problemsOf(() => parsePost({ ...input(bad), memo }, site));
    const kept = problemsOf(() => parsePost({ ...input(bad), memo }, site));

    expect(fresh[0]?.line).toBe(4);
    expect(kept).toEqual(fresh);
  });
});
