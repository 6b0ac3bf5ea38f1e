import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSite, type SiteTemplates } from '../../functions/core/build-site.ts';
import type { Post, RenderedPost } from '../../functions/core/model.ts';
import {
  type PostFragments,
  planSiteUpdate,
  renderKey,
  renderSiteUpdate,
} from '../../functions/core/plan-site-update.ts';
import {
  emptyIndex,
  indexEntry,
  type PostIndex,
  removeEntry,
  upsertEntry,
} from '../../functions/core/post-index.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

const templateFile = (name: string) =>
  readFileSync(new URL(`../../templates/site/${name}`, import.meta.url), 'utf8');
const TEMPLATES: SiteTemplates = Object.freeze({
  layout: templateFile('layout.html'),
  index: templateFile('index.html'),
  post: templateFile('post.html'),
  tag: templateFile('tag.html'),
  tags: templateFile('tags.html'),
  subscribe: templateFile('subscribe.html'),
  notFound: templateFile('404.html'),
  style: templateFile('style.css'),
  subscribeScript: templateFile('subscribe.js'),
});

const LIMIT = 3;

function post(n: number, overrides: Partial<Post> = {}): Post {
  const day = String(n).padStart(2, '0');
  const slug = `meetup-${n}`;
  const path = `/2026/03/${day}/${slug}.html`;
  return makePost({
    id: `2026-03-${day}-${slug}`,
    slug,
    title: `Meetup ${n}`,
    date: new Date(`2026-03-${day}T18:00:00Z`),
    updated: new Date(`2026-03-${day}T18:00:00Z`),
    path,
    url: `https://recaps.test${path}`,
    guid: `https://recaps.test${path.replace(/\.html$/, '')}`,
    sourcePath: `posts/2026-03-${day}-${slug}.md`,
    tags: n % 2 === 0 ? ['even', 'all'] : ['odd', 'all'],
    summary: undefined,
    body: `Recap of meetup ${n}.\n\nSecond paragraph.\n`,
    ...overrides,
  });
}

/** Index and fragments for these posts, as the publish handler keeps them. */
function state(posts: Post[]): {
  index: PostIndex;
  fragments: Map<string, PostFragments>;
  rendered: RenderedPost[];
} {
  const site = makeSite({ feed: { limit: LIMIT } });
  let index = emptyIndex();
  const fragments = new Map<string, PostFragments>();
  const rendered = posts.map((p) => renderPost(p, site));
  for (const r of rendered) {
    index = upsertEntry(index, indexEntry(r, r.post.sourcePath));
    fragments.set(r.post.id, { html: r.html, portableHtml: r.portableHtml });
  }
  return { index: { ...index, renderKey: renderKey(site, TEMPLATES) }, fragments, rendered };
}

const site = makeSite({ feed: { limit: LIMIT } });
const posts = [1, 2, 3, 4, 5, 6].map((n) => post(n));

describe('renderSiteUpdate', () => {
  it('renders exactly what buildSite renders when the plan is full', () => {
    const { index, fragments, rendered } = state([...posts, post(7, { draft: true })]);
    const plan = planSiteUpdate(emptyIndex(), index, { changed: [], full: true, feedLimit: LIMIT });

    const files = renderSiteUpdate(plan, index, fragments, site, TEMPLATES);

    const expected = buildSite(site, rendered, TEMPLATES);
    const byPath = (list: { path: string; body: unknown }[]) =>
      Object.fromEntries(list.map((f) => [f.path, f.body])) as Record<string, unknown>;
    expect(byPath(files)).toEqual(byPath(expected));
    expect(plan.deletes).toEqual([]);
  });

  it('names a missing fragment', () => {
    const { index } = state(posts);
    const plan = planSiteUpdate(emptyIndex(), index, { changed: [], full: true, feedLimit: LIMIT });

    expect(() => renderSiteUpdate(plan, index, new Map(), site, TEMPLATES)).toThrow(
      /post 2026-03-06-meetup-6 is missing/,
    );
  });
});

describe('planSiteUpdate', () => {
  it('for a new newest post: its page, the previous newest page, its tags, the feeds it enters', () => {
    const before = state(posts).index;
    const after = state([...posts, post(7)]).index;

    const plan = planSiteUpdate(before, after, {
      changed: ['2026-03-07-meetup-7'],
      full: false,
      feedLimit: LIMIT,
    });

    expect(plan).toEqual({
      full: false,
      postPages: ['2026-03-07-meetup-7', '2026-03-06-meetup-6'],
      tagPages: ['all', 'odd'],
      tagFeeds: ['all', 'odd'],
      siteFeeds: true,
      deletes: [],
      // The new post's neighbour and the three newest of the site, `all` and `odd` feeds.
      fragments: ['2026-03-03-meetup-3', '2026-03-05-meetup-5', '2026-03-06-meetup-6', '2026-03-07-meetup-7'],
    });
  });

  it('for an edit of an old post outside every feed window: its page only', () => {
    // The body changed, the metadata did not; eight posts, so meetup 1 is in no window.
    const before = state([1, 2, 3, 4, 5, 6, 7, 8].map((n) => post(n))).index;
    const after = before;

    const plan = planSiteUpdate(before, after, {
      changed: ['2026-03-01-meetup-1'],
      full: false,
      feedLimit: LIMIT,
    });

    expect(plan).toMatchObject({
      postPages: ['2026-03-01-meetup-1'],
      tagPages: [],
      tagFeeds: [],
      siteFeeds: false,
      deletes: [],
      fragments: ['2026-03-01-meetup-1'],
    });
  });

  it('deletes the old page of a moved post and the pages and feeds of a tag nobody uses any more', () => {
    // Meetup 1 is the only `odd` post left after its edit, and gets a new path and tag.
    const onlyOneOdd = posts.map((p) =>
      p.slug === 'meetup-1' || p.tags[0] === 'even' ? p : { ...p, tags: ['all'] },
    );
    const before = state(onlyOneOdd).index;
    const moved = post(1, {
      tags: ['all', 'first'],
      path: '/first.html',
      url: 'https://recaps.test/first.html',
    });
    const after = state(onlyOneOdd.map((p) => (p.slug === 'meetup-1' ? moved : p))).index;

    const plan = planSiteUpdate(before, after, { changed: [moved.id], full: false, feedLimit: LIMIT });

    expect(plan.deletes).toEqual([
      '/2026/03/01/meetup-1.html',
      '/tags/odd/atom.xml',
      '/tags/odd/feed.json',
      '/tags/odd/feed.xml',
      '/tags/odd/index.html',
    ]);
    expect(plan.tagPages).toContain('first');
    expect(plan.postPages).toEqual(['2026-03-02-meetup-2', '2026-03-01-meetup-1']);
  });

  it('for a removal: the neighbours’ pages and the feeds the post leaves; nothing of the post is read', () => {
    const before = state(posts).index;
    const after = removeEntry(before, '2026-03-05-meetup-5');

    const plan = planSiteUpdate(before, after, { changed: [], full: false, feedLimit: LIMIT });

    expect(plan.deletes).toEqual(['/2026/03/05/meetup-5.html']);
    expect(plan.postPages).toEqual(['2026-03-06-meetup-6', '2026-03-04-meetup-4']);
    expect(plan.siteFeeds).toBe(true);
    expect(plan.fragments).not.toContain('2026-03-05-meetup-5');
  });

  it('re-renders everything when the render key changed', () => {
    const { index } = state(posts);
    const stale = { ...index, renderKey: renderKey(makeSite({ title: 'Old title' }), TEMPLATES) };

    const plan = planSiteUpdate(stale, index, {
      changed: [],
      full: stale.renderKey !== index.renderKey,
      feedLimit: LIMIT,
    });

    expect(plan.full).toBe(true);
    expect(plan.postPages).toHaveLength(6);
    expect(plan.fragments).toHaveLength(6);
  });
});
