import { describe, expect, it } from 'vitest';
import { findCollisions } from '../../functions/core/find-collisions.ts';
import { makePost } from '../helpers/fixtures.ts';

describe('findCollisions', () => {
  it('finds nothing among distinct posts', () => {
    const posts = [makePost({ slug: 'a', id: 'a' }), makePost({ slug: 'b', id: 'b' })];

    const problems = findCollisions(posts);

    expect(problems).toEqual([]);
  });

  it('names both files when two posts share an id', () => {
    const posts = [
      makePost({ id: 'spring', slug: 'a', sourcePath: 'posts/2026-03-14-a.md' }),
      makePost({ id: 'spring', slug: 'b', sourcePath: 'posts/2026-03-15-b.md' }),
    ];

    const problems = findCollisions(posts);

    expect(problems).toEqual([
      {
        file: 'posts/2026-03-14-a.md',
        field: 'id',
        message: "id 'spring' is also used by posts/2026-03-15-b.md",
      },
      {
        file: 'posts/2026-03-15-b.md',
        field: 'id',
        message: "id 'spring' is also used by posts/2026-03-14-a.md",
      },
    ]);
  });

  it('names both files when two posts share a URL path', () => {
    const posts = [
      makePost({ id: 'a', path: '/recaps/same.html', sourcePath: 'posts/2026-03-14-a.md' }),
      makePost({ id: 'b', path: '/recaps/same.html', sourcePath: 'posts/2026-03-15-b.md' }),
    ];

    const problems = findCollisions(posts);

    expect(problems).toEqual([
      expect.objectContaining({
        file: 'posts/2026-03-14-a.md',
        field: 'permalink',
        message: expect.stringContaining('posts/2026-03-15-b.md'),
      }),
      expect.objectContaining({
        file: 'posts/2026-03-15-b.md',
        field: 'permalink',
        message: expect.stringContaining('posts/2026-03-14-a.md'),
      }),
    ]);
  });

  it('treats a trailing slash and index.html as the same page', () => {
    const posts = [
      makePost({ id: 'a', path: '/recaps/same/', sourcePath: 'a.md' }),
      makePost({ id: 'b', path: '/recaps/same/index.html', sourcePath: 'b.md' }),
    ];

    const problems = findCollisions(posts);

    expect(problems.map((p) => p.file)).toEqual(['a.md', 'b.md']);
  });

  it('lists every other file when three posts collide, drafts included', () => {
    const posts = [
      makePost({ id: 'x', slug: 'a', sourcePath: 'a.md' }),
      makePost({ id: 'x', slug: 'b', sourcePath: 'b.md', draft: true }),
      makePost({ id: 'x', slug: 'c', sourcePath: 'c.md' }),
    ];

    const problems = findCollisions(posts);

    expect(problems.map((p) => p.message)).toEqual([
      "id 'x' is also used by b.md, c.md",
      "id 'x' is also used by a.md, c.md",
      "id 'x' is also used by a.md, b.md",
    ]);
  });
});
