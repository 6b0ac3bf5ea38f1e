import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  buildSite,
  type FeedMemo,
  generateSite,
  type SiteFile,
  type SiteTemplates,
} from '../../functions/core/build-site.ts';
import { ContentError } from '../../functions/core/errors.ts';
import type { Post, RenderedPost } from '../../functions/core/model.ts';
import type { TextMemo } from '../../functions/core/text-memo.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { mapMemo } from '../helpers/memo.ts';

/** A FeedMemo over a TextMemo, as JSON. */
const feedsThrough =
  (memo: TextMemo): FeedMemo =>
  (key, build) =>
    JSON.parse(
      memo('feeds', key, () => {
        const text = (file: string | Uint8Array) =>
          typeof file === 'string' ? file : Buffer.from(file).toString();
        const { rss, atom, json } = build();
        return JSON.stringify({ rss: text(rss), atom: text(atom), json: text(json) });
      }),
    );

// The real, user-editable templates: the subscribe-form contract lives in them.
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

function render(post: Post): RenderedPost {
  const html = `<p>${post.title} body with <a href="/subscribe.html">a link</a>.</p>\n<p align="center"><picture><img src="/assets/x/stage.png" width="100%"></picture></p>\n`;
  return { post, html, portableHtml: html.replace(/\/assets\//g, `${post.url.split('/20')[0]}/assets/`) };
}

/** Three published posts (two tags shared) and one draft, with fixed dates and baseurl support. */
function corpus(baseurl = '') {
  // As parseSiteConfig does: the default subscribe action lives under the baseurl.
  const site = makeSite({
    baseurl,
    newsletter: { ...makeSite().newsletter, subscribeAction: `${baseurl}/api/subscribe` },
  });
  const root = `https://recaps.test${baseurl}`;
  const post = (slug: string, iso: string, overrides: Partial<Post> = {}) => {
    const date = new Date(iso);
    const ymd = iso.slice(0, 10).replace(/-/g, '/');
    const path = overrides.path ?? `/${ymd}/${slug}.html`;
    return makePost({
      slug,
      date,
      path,
      id: `${iso.slice(0, 10)}-${slug}`,
      url: `${root}${path}`,
      guid: `${root}${path.replace(/\.html$/, '')}`,
      sourcePath: `posts/${iso.slice(0, 10)}-${slug}.md`,
      ...overrides,
    });
  };
  const posts = [
    post('berlin-night', '2026-09-24T18:00:00Z', {
      title: 'Berlin Night',
      tags: ['berlin', 'KV Cache'],
      summary: 'Ninety people in Berlin.',
      updated: new Date('2026-09-30T08:00:00Z'),
    }),
    post('hello', '2026-06-03T09:00:00Z', {
      title: 'Hello',
      tags: ['community'],
      summary: 'Why we write recaps.',
    }),
    post('lisbon-workshop', '2026-11-12T17:30:00Z', {
      title: 'Lisbon Workshop',
      tags: ['lisbon', 'kv-cache', 'community'],
      summary: undefined,
      path: '/2026/11/12/lisbon-workshop/',
    }),
    post('secret-plans', '2026-12-01T10:00:00Z', { title: 'Secret Draft', tags: ['secret'], draft: true }),
  ];
  return { site, posts: posts.map(render) };
}

function byPath(files: SiteFile[]): Map<string, SiteFile> {
  return new Map(files.map((f) => [f.path, f]));
}

function text(files: SiteFile[], path: string): string {
  const file = byPath(files).get(path);
  if (!file) throw new Error(`no ${path} in ${files.map((f) => f.path).join(', ')}`);
  return typeof file.body === 'string' ? file.body : Buffer.from(file.body).toString('utf8');
}

function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

describe('buildSite', () => {
  it('writes the index, post pages, tag pages, feeds, sitemap and static files', () => {
    const { site, posts } = corpus();

    const files = buildSite(site, posts, TEMPLATES);

    const paths = files.map((f) => f.path).sort();
    expect(paths).toEqual(
      [
        '/2026/06/03/hello.html',
        '/2026/09/24/berlin-night.html',
        '/2026/11/12/lisbon-workshop/index.html',
        '/404.html',
        '/atom.xml',
        '/feed.json',
        '/feed.xml',
        '/index.html',
        '/sitemap.xml',
        '/style.css',
        '/subscribe.html',
        '/subscribe.js',
        ...['berlin', 'community', 'kv-cache', 'lisbon'].flatMap((t) =>
          ['atom.xml', 'feed.json', 'feed.xml', 'index.html'].map((f) => `/tags/${t}/${f}`),
        ),
        '/tags/index.html',
      ].sort(),
    );
    const types = byPath(files);
    expect(types.get('/index.html')?.contentType).toBe('text/html; charset=utf-8');
    expect(types.get('/feed.xml')?.contentType).toBe('application/rss+xml; charset=utf-8');
    expect(types.get('/atom.xml')?.contentType).toBe('application/atom+xml; charset=utf-8');
    expect(types.get('/feed.json')?.contentType).toBe('application/feed+json; charset=utf-8');
    expect(types.get('/sitemap.xml')?.contentType).toBe('application/xml; charset=utf-8');
    expect(types.get('/style.css')?.body).toBe(TEMPLATES.style);
    expect(types.get('/subscribe.js')?.body).toBe(TEMPLATES.subscribeScript);
  });

  it('lists published posts newest first with dates, summaries and tags on the index', () => {
    const { site, posts } = corpus();

    const index = text(buildSite(site, posts, TEMPLATES), '/index.html');

    const order = ['Lisbon Workshop', 'Berlin Night', 'Hello'].map((t) => index.indexOf(`>${t}</a>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(index).toContain('<time datetime="2026-09-24T18:00:00Z">September 24, 2026</time>');
    expect(index).toContain('<p>Ninety people in Berlin.</p>');
    // No summary: the first paragraph of the body stands in.
    expect(index).toContain('<p>Lisbon Workshop body with a link.</p>');
    expect(index).toContain('<a href="/tags/kv-cache/" rel="tag">KV Cache</a>');
  });

  it('leaves drafts out of every page, feed, tag and the sitemap', () => {
    const { site, posts } = corpus();

    const files = buildSite(site, posts, TEMPLATES);

    expect(files.some((f) => f.path.includes('secret'))).toBe(false);
    for (const file of files) {
      const body = typeof file.body === 'string' ? file.body : '';
      expect(body, file.path).not.toContain('Secret Draft');
      expect(body, file.path).not.toContain('secret-plans');
    }
  });

  it('writes a post whose path ends in a slash as that folder’s index.html, with its page content', () => {
    const { site, posts } = corpus();

    const page = text(buildSite(site, posts, TEMPLATES), '/2026/11/12/lisbon-workshop/index.html');

    expect(page).toContain('<h1>Lisbon Workshop</h1>');
    expect(page).toContain('<picture><img src="/assets/x/stage.png" width="100%"></picture>');
    expect(page).toContain('<link rel="canonical" href="https://recaps.test/2026/11/12/lisbon-workshop/">');
    expect(page).toContain('Older: <a href="/2026/09/24/berlin-night.html">Berlin Night</a>');
  });

  it('groups tags by slug, with an all-tags page and per-tag pages that link their own feeds', () => {
    const { site, posts } = corpus();

    const files = buildSite(site, posts, TEMPLATES);

    const tags = text(files, '/tags/index.html');
    // "KV Cache" and "kv-cache" share a page, named as the newest post spells it.
    expect(tags).toContain('<a href="/tags/kv-cache/" rel="tag">kv-cache</a> <span class="count">(2)</span>');
    expect(tags).toContain('<a href="/tags/berlin/" rel="tag">berlin</a> <span class="count">(1)</span>');
    const tag = text(files, '/tags/kv-cache/index.html');
    expect(tag).toContain('>Lisbon Workshop</a>');
    expect(tag).toContain('>Berlin Night</a>');
    expect(tag).not.toContain('>Hello</a>');
    expect(tag).toContain(
      '<link rel="alternate" type="application/rss+xml" title="Test Meetups: kv-cache (RSS)" href="/tags/kv-cache/feed.xml">',
    );
    expect(tag).toContain(
      'type="application/atom+xml" title="Test Meetups: kv-cache (Atom)" href="/tags/kv-cache/atom.xml"',
    );
    expect(tag).toContain(
      'type="application/feed+json" title="Test Meetups: kv-cache (JSON Feed)" href="/tags/kv-cache/feed.json"',
    );
    const tagFeed = text(files, '/tags/berlin/feed.xml');
    expect(tagFeed).toContain('Berlin Night');
    expect(tagFeed).not.toContain('Lisbon Workshop');
  });

  it('puts RSS, Atom and JSON Feed autodiscovery links on every page', () => {
    const { site, posts } = corpus();

    const pages = buildSite(site, posts, TEMPLATES).filter((f) => f.path.endsWith('.html'));

    expect(pages.length).toBeGreaterThan(8);
    for (const page of pages) {
      const html = page.body as string;
      expect(html, page.path).toContain(
        '<link rel="alternate" type="application/rss+xml" title="Test Meetups (RSS)" href="/feed.xml">',
      );
      expect(html, page.path).toContain(
        '<link rel="alternate" type="application/atom+xml" title="Test Meetups (Atom)" href="/atom.xml">',
      );
      expect(html, page.path).toContain(
        '<link rel="alternate" type="application/feed+json" title="Test Meetups (JSON Feed)" href="/feed.json">',
      );
      expect(html, page.path).toMatch(/^<!doctype html>\n<html lang="en">/);
      expect(html, page.path).toContain('<a class="skip-link" href="#main">');
      expect(html, page.path).toContain('<main id="main"');
    }
  });

  it('prefixes every link, script, stylesheet and image with the baseurl', () => {
    const { site, posts } = corpus('/blog');

    const files = buildSite(site, posts, TEMPLATES);

    const pages = files.filter((f) => f.path.endsWith('.html'));
    let checked = 0;
    for (const page of pages) {
      const html = page.body as string;
      for (const url of [
        ...attributes(html, 'href'),
        ...attributes(html, 'src'),
        ...attributes(html, 'action'),
      ]) {
        if (url.startsWith('#')) continue;
        checked++;
        if (/^https?:/.test(url)) expect(url, page.path).toMatch(/^https:\/\/recaps\.test\/blog\//);
        else expect(url, `${page.path}: ${url}`).toMatch(/^\/blog\//);
      }
    }
    expect(checked).toBeGreaterThan(100);
    const post = text(files, '/2026/09/24/berlin-night.html');
    expect(post).toContain('<img src="/blog/assets/x/stage.png"');
    expect(post).toContain('<a href="/blog/subscribe.html">a link</a>');
    expect(text(files, '/subscribe.html')).toContain('<script src="/blog/subscribe.js" defer></script>');
  });

  it('keeps the subscribe form contract shared with the subscription API', () => {
    const site = makeSite({
      newsletter: { ...makeSite().newsletter, subscribeAction: 'https://api.recaps.test/api/subscribe' },
    });

    const page = text(buildSite(site, [], TEMPLATES), '/subscribe.html');

    const form = page.slice(page.indexOf('<form'), page.indexOf('</form>') + 7);
    expect(form).toMatch(
      /^<form [^>]*method="post" action="https:\/\/api\.recaps\.test\/api\/subscribe" data-herald-subscribe>/,
    );
    expect(form).toMatch(/<label for="email">[^<]+<\/label>/);
    expect(form).toMatch(/<input type="email" name="email" id="email" required autocomplete="email"[^>]*>/);
    const honeypot = form.slice(form.indexOf('<div class="visually-hidden" aria-hidden="true">'));
    expect(honeypot.slice(0, honeypot.indexOf('</div>'))).toMatch(
      /<input type="text" name="website" id="website" tabindex="-1" autocomplete="off">/,
    );
    expect(form).toContain('<button type="submit">Subscribe</button>');
    expect(form).toContain('<p role="status" aria-live="polite" data-subscribe-result></p>');
    expect(page).toContain('<script src="/subscribe.js" defer></script>');
  });

  it('writes a sitemap of absolute URLs with lastmod from post.updated and no 404 page', () => {
    const { site, posts } = corpus('/blog');

    const xml = text(buildSite(site, posts, TEMPLATES), '/sitemap.xml');

    expect(XMLValidator.validate(xml)).toBe(true);
    const urls = new XMLParser().parse(xml).urlset.url as { loc: string; lastmod?: string }[];
    const locs = urls.map((u) => u.loc);
    expect(locs.every((l) => l.startsWith('https://recaps.test/blog/'))).toBe(true);
    expect(locs).toContain('https://recaps.test/blog/');
    expect(locs).toContain('https://recaps.test/blog/2026/11/12/lisbon-workshop/');
    expect(locs).toContain('https://recaps.test/blog/tags/kv-cache/');
    expect(locs.some((l) => l.includes('404'))).toBe(false);
    expect(urls.find((u) => u.loc.endsWith('berlin-night.html'))?.lastmod).toBe('2026-09-30T08:00:00.000Z');
  });

  it('escapes titles and summaries as text', () => {
    const site = makeSite();
    const post = makePost({ title: '<script>alert(1)</script>', summary: 'a "quoted" <b>summary</b>' });

    const files = buildSite(site, [render(post)], TEMPLATES);

    const index = text(files, '/index.html');
    expect(index).not.toContain('<script>alert(1)');
    expect(index).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text(files, post.path)).toContain(
      '<meta name="description" content="a &quot;quoted&quot; &lt;b&gt;summary&lt;/b&gt;">',
    );
  });

  it('is deterministic: same bytes twice and whatever the input order', () => {
    const first = corpus();
    const second = corpus();

    const a = buildSite(first.site, first.posts, TEMPLATES);
    const b = buildSite(second.site, [...second.posts].reverse(), TEMPLATES);

    expect(b.map((f) => f.path)).toEqual(a.map((f) => f.path));
    for (const [i, file] of b.entries()) expect(file.body, file.path).toEqual(a[i]?.body);
  });

  it('still builds a valid site with no posts', () => {
    const site = makeSite();

    const files = buildSite(site, [], TEMPLATES);

    expect(text(files, '/index.html')).toContain('No recaps yet.');
    expect(text(files, '/tags/index.html')).toContain('No tags yet.');
    expect(XMLValidator.validate(text(files, '/feed.xml'))).toBe(true);
  });

  it('rejects a post whose permalink lands on a generated file, naming the post', () => {
    const site = makeSite();
    const post = makePost({ path: '/feed.xml', sourcePath: 'posts/2026-03-14-feed.md' });

    const act = () => buildSite(site, [render(post)], TEMPLATES);

    expect(act).toThrow(ContentError);
    expect(act).toThrow(
      'posts/2026-03-14-feed.md: permalink: writes /feed.xml, which the generated page /feed.xml also writes',
    );
  });

  it('copies assets and refuses one that would replace a generated page', () => {
    const site = makeSite();
    const logo: SiteFile = {
      path: '/assets/logo.png',
      body: new Uint8Array([137, 80, 78, 71]),
      contentType: 'image/png',
    };
    const rogue: SiteFile = { path: '/index.html', body: 'x', contentType: 'text/html' };

    const files = buildSite(site, [], TEMPLATES, [logo]);
    const act = () => buildSite(site, [], TEMPLATES, [rogue]);

    expect(byPath(files).get('/assets/logo.png')).toEqual(logo);
    expect(act).toThrow('/index.html: asset would overwrite the generated page /index.html');
  });
});

describe('generateSite with a memo (the CLI build cache)', () => {
  const feedFiles = (files: SiteFile[]) =>
    files
      .filter((f) => /\/(feed\.xml|atom\.xml|feed\.json)$/.test(f.path))
      .map((f) => [f.path, String(f.body)]);

  it('writes the same feeds from kept ones and builds none of them again', () => {
    const { site, posts: rendered } = corpus();
    const { memo, counts } = mapMemo();

    const plain = buildSite(site, rendered, TEMPLATES);
    const first = [...generateSite(site, rendered, TEMPLATES, [], feedsThrough(memo))];
    const built = counts.computed;
    const again = [
      ...generateSite(
        site,
        rendered.map((r) => render(r.post)),
        TEMPLATES,
        [],
        feedsThrough(memo),
      ),
    ];

    expect(built).toBeGreaterThan(1);
    expect(counts.computed).toBe(built);
    expect(feedFiles(first)).toEqual(feedFiles(plain));
    expect(feedFiles(again)).toEqual(feedFiles(plain));
    expect(again.map((f) => [f.path, String(f.body)])).toEqual(plain.map((f) => [f.path, String(f.body)]));
  });

  it('builds again exactly the feeds a changed post is in', () => {
    const { site, posts: rendered } = corpus();
    const { memo } = mapMemo();
    [...generateSite(site, rendered, TEMPLATES, [], feedsThrough(memo))];
    const changed = rendered.map(({ post: p }) =>
      p.slug === 'berlin-night' ? { ...p, title: 'Berlin Night, revised' } : p,
    );

    const next = [...generateSite(site, changed.map(render), TEMPLATES, [], feedsThrough(memo))];

    expect(feedFiles(next)).toEqual(feedFiles(buildSite(site, changed.map(render), TEMPLATES)));
    expect(String(next.find((f) => f.path === '/feed.xml')?.body)).toContain('Berlin Night, revised');
  });
});
