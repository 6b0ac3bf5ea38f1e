import { describe, expect, it } from 'vitest';
import { tagSlug } from '../../functions/core/tag-slug.ts';

describe('tagSlug', () => {
  it.each([
    ['community', 'community'],
    ['KV Cache', 'kv-cache'],
    ['kv-cache', 'kv-cache'],
    ['KV_cache', 'kv-cache'],
    ['  Serving / Batching  ', 'serving-batching'],
    ['Café Über', 'cafe-uber'],
    ['C++', 'c'],
    ['東京', '東京'],
    ['v0.9 release', 'v0-9-release'],
  ])('turns %s into %s', (tag, slug) => {
    expect(tagSlug(tag)).toBe(slug);
  });

  it('gives a tag without letters or digits a stable, non-empty slug', () => {
    expect(tagSlug('++')).toBe('tag-2b-2b');
  });

  it('gives a blank tag an empty slug', () => {
    expect(tagSlug('   ')).toBe('');
  });
});
