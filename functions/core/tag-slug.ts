/**
 * Turns a tag as authors write it into the path segment of its pages and feeds: `/tags/<slug>/`.
 *
 * Lower case, accents folded (`Café` → `cafe`), every run of characters other than letters and
 * digits collapsed to one hyphen, so `KV Cache`, `kv-cache` and `KV_cache` share one page. Letters
 * of any script are kept. A tag with no letter or digit at all (`++`) gets `tag-` plus the hex code
 * points of its characters, so it still has a stable, non-empty address.
 */
export function tagSlug(tag: string): string {
  let slug = slugs.get(tag);
  if (slug === undefined) {
    slug = computeSlug(tag);
    if (slugs.size >= 10_000) slugs.clear();
    slugs.set(tag, slug);
  }
  return slug;
}

// A site has a few dozen tags, slugged for every post on every listing: remembered.
const slugs = new Map<string, string>();

function computeSlug(tag: string): string {
  const slug = tag
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  if (slug !== '') return slug;
  const trimmed = tag.trim();
  if (trimmed === '') return '';
  return `tag-${Array.from(trimmed, (ch) => (ch.codePointAt(0) ?? 0).toString(16)).join('-')}`;
}
