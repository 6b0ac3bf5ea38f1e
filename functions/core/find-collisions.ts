import type { ContentProblem } from './errors.ts';
import type { Post } from './model.ts';

/**
 * Finds posts that would overwrite each other: the same `id` (one campaign per id, so the second post
 * would never be mailed) or the same page on disk (`/x/` and `/x/index.html` are one file).
 * Every post involved gets a problem naming the other files, drafts included, so that publishing a draft
 * later cannot surprise anyone.
 */
export function findCollisions(posts: Post[]): ContentProblem[] {
  return [
    ...collide(
      posts,
      (p) => p.id,
      'id',
      (id) => `id '${id}' is also used by`,
    ),
    ...collide(
      posts,
      (p) => pageFile(p.path),
      'permalink',
      (_, p) => `URL path '${p.path}' is also used by`,
    ),
  ];
}

function collide(
  posts: Post[],
  keyOf: (post: Post) => string,
  field: string,
  describe: (key: string, post: Post) => string,
): ContentProblem[] {
  const groups = new Map<string, Post[]>();
  for (const post of posts) {
    const key = keyOf(post);
    groups.set(key, [...(groups.get(key) ?? []), post]);
  }
  const problems: ContentProblem[] = [];
  for (const [key, group] of groups) {
    if (group.length < 2) continue;
    for (const post of group) {
      const others = group.filter((o) => o !== post).map((o) => o.sourcePath);
      problems.push({ file: post.sourcePath, field, message: `${describe(key, post)} ${others.join(', ')}` });
    }
  }
  return problems;
}

function pageFile(path: string): string {
  return path.endsWith('/') ? `${path}index.html` : path;
}
