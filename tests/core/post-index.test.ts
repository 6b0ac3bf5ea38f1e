import { describe, expect, it } from 'vitest';
import { buildFeeds } from '../../functions/core/build-feeds.ts';
import { filePath } from '../../functions/core/build-site.ts';
import type { Post } from '../../functions/core/model.ts';
import {
  emptyIndex,
  entryForSource,
  entryPost,
  forgetRefusal,
  indexEntry,
  nextInLine,
  POST_INDEX_VERSION,
  PostIndexError,
  parsePostIndex,
  pathConflict,
  publishedEntries,
  refuseSource,
  removeEntry,
  upsertEntry,
} from '../../functions/core/post-index.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

function post(slug: string, iso: string, overrides: Partial<Post> = {}): Post {
  const date = new Date(iso);
  const path = `/${iso.slice(0, 10).replace(/-/g, '/')}/${slug}.html`;
  return makePost({
    slug,
    date,
    updated: date,
    path,
    id: `${iso.slice(0, 10)}-${slug}`,
    url: `https://recaps.test${path}`,
    guid: `https://recaps.test${path.replace(/\.html$/, '')}`,
    sourcePath: `posts/${iso.slice(0, 10)}-${slug}.md`,
    ...overrides,
  });
}

function entry(p: Post, firstPublishedAt?: Date) {
  return indexEntry(renderPost(p, makeSite()), p.sourcePath, firstPublishedAt);
}

describe('indexEntry', () => {
  it('keeps the metadata pages and feeds need, with ISO dates and the listing excerpt', () => {
    // No summary, so the excerpt is the first paragraph.
    const p = post('pi-day', '2026-03-14T18:00:00Z', {
      summary: undefined,
      image: 'https://recaps.test/a.png',
    });

    const e = entry(p, new Date('2026-03-15T09:00:00Z'));

    expect(e).toEqual({
      id: '2026-03-14-pi-day',
      sourceKey: 'posts/2026-03-14-pi-day.md',
      slug: 'pi-day',
      title: 'Pi Day Meetup',
      date: '2026-03-14T18:00:00.000Z',
      updated: '2026-03-14T18:00:00.000Z',
      path: '/2026/03/14/pi-day.html',
      url: 'https://recaps.test/2026/03/14/pi-day.html',
      guid: 'https://recaps.test/2026/03/14/pi-day',
      excerpt: 'We met on Pi Day.',
      tags: ['community'],
      authors: [{ name: 'Ada Example' }],
      image: 'https://recaps.test/a.png',
      draft: false,
      firstPublishedAt: '2026-03-15T09:00:00.000Z',
    });
  });

  it('rebuilds a post whose feeds are byte-identical to the original post’s', () => {
    const site = makeSite();
    const rendered = renderPost(
      post('pi-day', '2026-03-14T18:00:00Z', {
        tags: ['community', 'KV Cache'],
        authors: [{ name: 'Ada', url: 'https://ada.example' }],
        updated: new Date('2026-03-16T10:00:00Z'),
      }),
      site,
    );
    const e = indexEntry(rendered, 'posts/2026-03-14-pi-day.md');

    const rebuilt = buildFeeds(site, [
      {
        post: entryPost(JSON.parse(JSON.stringify(e))),
        html: rendered.html,
        portableHtml: rendered.portableHtml,
      },
    ]);

    expect(rebuilt).toEqual(buildFeeds(site, [rendered]));
  });
});

describe('index changes', () => {
  it('adds, replaces and removes entries without changing the index it was given', () => {
    const original = emptyIndex();
    const a = entry(post('a', '2026-03-01T10:00:00Z'));

    const added = upsertEntry(original, a);
    const replaced = upsertEntry(added, { ...a, title: 'Renamed' });
    const removed = removeEntry(replaced, a.id);

    expect(original.posts).toEqual({});
    expect(added.posts[a.id]?.title).toBe('Pi Day Meetup');
    expect(replaced.posts[a.id]?.title).toBe('Renamed');
    expect(removed.posts).toEqual({});
  });

  it('finds a post by its source key only while that key is still its source', () => {
    // Renamed with a stable id, the entry now names the new key.
    const moved = { ...entry(post('a', '2026-03-01T10:00:00Z')), sourceKey: 'posts/2026-03-01-new-name.md' };
    const index = upsertEntry(emptyIndex(), moved);

    const byOld = entryForSource(index, 'posts/2026-03-01-a.md');
    const byNew = entryForSource(index, 'posts/2026-03-01-new-name.md');

    expect(byOld).toBeUndefined();
    expect(byNew?.id).toBe(moved.id);
  });

  it('remembers refused duplicates and names the first in line (by key) for an id', () => {
    const original = upsertEntry(emptyIndex(), entry(post('a', '2026-03-01T10:00:00Z')));

    const refused = refuseSource(
      refuseSource(refuseSource(original, 'posts/z.md', 'pi'), 'posts/b.md', 'pi'),
      'posts/c.md',
      'other',
    );
    const forgotten = forgetRefusal(refused, 'posts/b.md');

    expect(original.refused).toBeUndefined();
    expect(nextInLine(refused, 'pi')).toBe('posts/b.md');
    expect(nextInLine(forgotten, 'pi')).toBe('posts/z.md');
    expect(nextInLine(forgetRefusal(forgotten, 'posts/z.md'), 'pi')).toBeUndefined();
    expect(forgetRefusal(original, 'posts/b.md')).toBe(original);
    expect(parsePostIndex(JSON.parse(JSON.stringify(refused)), 'index.json')).toEqual(refused);
  });

  it('lists published entries newest first, same instant by path, drafts left out', () => {
    let index = emptyIndex();
    for (const p of [
      post('b', '2026-03-01T10:00:00Z'),
      post('c', '2026-03-05T10:00:00Z'),
      post('a', '2026-03-01T10:00:00Z'),
      post('draft', '2026-03-09T10:00:00Z', { draft: true }),
    ]) {
      index = upsertEntry(index, entry(p));
    }

    const order = publishedEntries(index).map((e) => e.slug);

    expect(order).toEqual(['c', 'a', 'b']);
  });
});

describe('parsePostIndex', () => {
  it('accepts what JSON.stringify made of an index', () => {
    const index = { ...upsertEntry(emptyIndex(), entry(post('a', '2026-03-01T10:00:00Z'))), renderKey: 'k1' };

    const parsed = parsePostIndex(JSON.parse(JSON.stringify(index)), 'index.json');

    expect(parsed).toEqual(index);
  });

  it('names the file and field of a damaged index', () => {
    const damaged = { version: POST_INDEX_VERSION, posts: { x: { id: 'x', date: 'soon' } } };

    const parse = () => parsePostIndex(damaged, 's3://site/_herald/state/index.json');

    expect(parse).toThrow(PostIndexError);
    expect(parse).toThrow(/^s3:\/\/site\/_herald\/state\/index\.json: posts\.x\./);
  });

  it('drops the render key of an index of another version, so everything is re-rendered', () => {
    const parsed = parsePostIndex({ version: POST_INDEX_VERSION + 1, renderKey: 'old', posts: {} }, 'i.json');

    expect(parsed).toEqual({ version: POST_INDEX_VERSION, posts: {} });
  });

  it('keeps the refused duplicates of an index of another version, so they still take over later', () => {
    const refused = { 'posts/2026-03-16-copy.md': 'pi' };

    const parsed = parsePostIndex({ version: POST_INDEX_VERSION + 1, posts: {}, refused }, 'i.json');

    expect(parsed).toEqual({ version: POST_INDEX_VERSION, posts: {}, refused });
  });
});

describe('pathConflict', () => {
  const index = upsertEntry(emptyIndex(), entry(post('a', '2026-03-01T10:00:00Z')));

  it('names both files when another post already has the page', () => {
    const other = { ...entry(post('b', '2026-03-02T10:00:00Z')), path: '/2026/03/01/a.html' };

    const problem = pathConflict(index, other, filePath);

    expect(problem).toEqual({
      file: 'posts/2026-03-02-b.md',
      field: 'permalink',
      message: 'writes /2026/03/01/a.html, which posts/2026-03-01-a.md also writes',
    });
  });

  it('refuses generated pages, tag pages and the private state prefix, but not the same post', () => {
    const base = entry(post('b', '2026-03-02T10:00:00Z'));
    const at = (path: string) => pathConflict(index, { ...base, path }, filePath);

    expect(at('/feed.xml')?.message).toMatch(/generated page \/feed\.xml/);
    expect(at('/')?.message).toMatch(/\/index\.html/);
    expect(at('/tags/x/')?.field).toBe('permalink');
    expect(at('/_herald/state/index.json')?.message).toMatch(/private state/);
    expect(
      pathConflict(index, { ...base, id: '2026-03-01-a', path: '/2026/03/01/a.html' }, filePath),
    ).toBeUndefined();
    expect(pathConflict(index, { ...base, draft: true, path: '/feed.xml' }, filePath)).toBeUndefined();
  });
});
