import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Feed } from 'feed';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  buildFeedBytes,
  buildFeeds,
  buildFeedsWhole,
  EMPTY_FEED_UPDATED,
  FeedError,
} from '../../functions/core/build-feeds.ts';
import type { Post, RenderedPost, SiteConfig } from '../../functions/core/model.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { findUnsafeHtml, xssVectors } from './xss-vectors.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures: three recaps with fixed dates, shaped like real content.

function goldenSite(): SiteConfig {
  return makeSite({
    title: 'Test Meetups & Friends',
    url: 'https://recaps.test',
    baseurl: '/blog',
    author: { name: 'Test Organisers', url: 'https://recaps.test/blog/about/' },
  });
}

function postAt(slug: string, isoDate: string, overrides: Partial<Post> = {}): Post {
  const date = new Date(isoDate);
  const day = isoDate.slice(0, 10).replaceAll('-', '/');
  const path = `/${day}/${slug}.html`;
  return makePost({
    slug,
    date,
    updated: date,
    path,
    url: `https://recaps.test/blog${path}`,
    guid: `https://recaps.test/blog/${day}/${slug}`,
    ...overrides,
  });
}

function goldenPosts(): Post[] {
  return [
    postAt('berlin-serving-night', '2026-09-24T18:00:00Z', {
      title: 'Serving Night Berlin: Batching & Caches',
      summary: 'Ninety people, three talks and a long queue of questions about KV caches.',
      image: 'https://recaps.test/blog/assets/recaps/berlin/stage.png',
      tags: ['berlin', 'KV Cache', 'community'],
      authors: [{ name: 'Ada Example' }, { name: 'Grace Sample', url: 'https://grace.example.org/' }],
      body: [
        '<p align="center">',
        '<picture>',
        '<img src="/assets/recaps/berlin/stage.png" width="100%">',
        '</picture><br>',
        '</p>',
        '',
        'Our first serving night took place in a converted tram depot.',
        '',
        '| Scheduler | p50 |',
        '| --- | ---: |',
        '| continuous | 140 ms |',
        '',
        '> [!TIP]',
        '> Measure with your real prompt lengths.',
        '',
        'Slides are on the [event page](/2026/09/24/berlin-serving-night.html#slides).',
        '',
      ].join('\n'),
    }),
    postAt('lisbon-quantization-workshop', '2026-11-12T17:30:00Z', {
      title: 'Lisbon Quantization Workshop',
      updated: new Date('2026-11-14T09:15:00Z'),
      guid: '2026-11-12-lisbon-quantization-workshop',
      summary: undefined,
      image: 'https://recaps.test/blog/assets/recaps/lisbon/crowd.jpg',
      tags: ['lisbon', 'quantization'],
      authors: [{ name: 'Rui Exemplo' }],
      body: '## Hands-on\n\nWe compared `int8` and `fp8` on the same prompts.\n\n```bash\nquantize --bits 8 ./weights\n```\n',
    }),
    postAt('hello-herald', '2026-06-03T10:00:00Z', {
      title: 'Hello, Herald',
      summary: 'Why we publish recaps by commit.',
      tags: ['community'],
      authors: [],
      body: 'Recaps now arrive by email and feed. See <https://recaps.test/blog/about/>.\n',
    }),
  ];
}

function render(site: SiteConfig, posts: Post[]): RenderedPost[] {
  return posts.map((post) => renderPost(post, site));
}

// ---------------------------------------------------------------------------------------------
// XML helpers: fast-xml-parser's validator is lenient about CDATA and control characters, so the
// rules it skips are checked here by hand.

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: false,
  isArray: (_name, jpath) =>
    [
      'rss.channel.item',
      'rss.channel.atom:link',
      'rss.channel.item.category',
      'rss.channel.item.dc:creator',
      'feed.author',
      'feed.link',
      'feed.entry',
      'feed.entry.link',
      'feed.entry.author',
      'feed.entry.category',
    ].includes(String(jpath)),
});

function decodeRefs(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number.parseInt(dec, 10)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Every reason the document is not well-formed XML 1.0 that our checks can see. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) problems.push(`validator: ${JSON.stringify(verdict)}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for exactly these characters.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml)) problems.push('forbidden character');
  if (/&#x0*(?:[0-8bcef]|1[0-9a-f]|fffe|ffff);|&#0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]);/i.test(xml)) {
    problems.push('reference to a forbidden character');
  }
  const outsideCdata = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  if (outsideCdata.includes(']]>')) problems.push('"]]>" outside a CDATA end');
  if (outsideCdata.includes('<![CDATA[')) problems.push('unterminated CDATA');
  if (/="[^"]*</.test(outsideCdata)) problems.push('"<" in an attribute value');
  return problems;
}

const RFC822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: parsed XML is walked structurally in assertions.
type Xml = any;

function parseRss(xml: string): Xml {
  return parser.parse(xml).rss;
}

function parseAtom(xml: string): Xml {
  return parser.parse(xml).feed;
}

/** CDATA or text content as stored, without decoding (empty when the element is empty). */
function raw(node: Xml): string {
  if (typeof node === 'string') return node;
  return node?.['#text'] ?? '';
}

function text(node: Xml): string {
  return decodeRefs(typeof node === 'string' ? node : (node?.['#text'] ?? ''));
}

// ---------------------------------------------------------------------------------------------

describe('buildFeeds', () => {
  describe('golden files', () => {
    it('matches the RSS, Atom and JSON snapshots for three posts', async () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());

      const feeds = buildFeeds(site, posts);

      await expect(feeds.rss).toMatchFileSnapshot('./__snapshots__/build-feeds/feed.xml');
      await expect(feeds.atom).toMatchFileSnapshot('./__snapshots__/build-feeds/atom.xml');
      await expect(feeds.json).toMatchFileSnapshot('./__snapshots__/build-feeds/feed.json');
    });

    it('matches the snapshots of a tag feed', async () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());

      const feeds = buildFeeds(site, posts, { tag: 'community' });

      await expect(feeds.rss).toMatchFileSnapshot('./__snapshots__/build-feeds/tags-community-feed.xml');
      await expect(feeds.atom).toMatchFileSnapshot('./__snapshots__/build-feeds/tags-community-atom.xml');
      await expect(feeds.json).toMatchFileSnapshot('./__snapshots__/build-feeds/tags-community-feed.json');
    });
  });

  describe('determinism', () => {
    it('builds byte-identical feeds twice, whatever the input order', () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());

      const first = buildFeeds(site, posts);
      const second = buildFeeds(site, [...posts].reverse());

      expect(second).toEqual(first);
    });

    it('dates the feed by the newest post update, not the clock', () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());

      const feeds = buildFeeds(site, posts);

      expect(text(parseRss(feeds.rss).channel.lastBuildDate)).toBe('Sat, 14 Nov 2026 09:15:00 GMT');
      expect(text(parseAtom(feeds.atom).updated)).toBe('2026-11-14T09:15:00.000Z');
    });

    it('gives an empty feed the fixed EMPTY_FEED_UPDATED instant and keeps it valid', () => {
      const site = goldenSite();

      const feeds = buildFeeds(site, []);

      expect(EMPTY_FEED_UPDATED.toISOString()).toBe('2000-01-01T00:00:00.000Z');
      expect(xmlProblems(feeds.rss)).toEqual([]);
      expect(xmlProblems(feeds.atom)).toEqual([]);
      expect(text(parseRss(feeds.rss).channel.lastBuildDate)).toBe('Sat, 01 Jan 2000 00:00:00 GMT');
      expect(text(parseAtom(feeds.atom).updated)).toBe('2000-01-01T00:00:00.000Z');
      expect(parseRss(feeds.rss).channel.item).toBeUndefined();
      expect(JSON.parse(feeds.json).items).toEqual([]);
    });
  });

  describe('selection', () => {
    it('carries the newest site.feed.limit non-draft posts, newest first', () => {
      const site = makeSite({ feed: { limit: 2 } });
      const posts = render(site, [
        postAt('a', '2026-01-01T00:00:00Z'),
        postAt('b', '2026-03-01T00:00:00Z'),
        postAt('draft', '2026-05-01T00:00:00Z', { draft: true }),
        postAt('c', '2026-02-01T00:00:00Z'),
      ]);

      const feeds = buildFeeds(site, posts);

      const ids = (JSON.parse(feeds.json).items as Json[]).map((item) => item.url);
      expect(ids).toEqual([
        'https://recaps.test/blog/2026/03/01/b.html',
        'https://recaps.test/blog/2026/02/01/c.html',
      ]);
      expect(feeds.rss).not.toContain('draft');
      expect(feeds.atom).not.toContain('draft');
    });

    it('filters a tag feed by tag slug and points its links under /tags/<slug>/', () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());

      const feeds = buildFeeds(site, posts, { tag: 'kv-cache' });

      const rss = parseRss(feeds.rss);
      expect(rss.channel.item.map((item: Xml) => text(item.title))).toEqual([
        'Serving Night Berlin: Batching & Caches',
      ]);
      expect(rss.channel['atom:link'][0]['@_href']).toBe('https://recaps.test/blog/tags/kv-cache/feed.xml');
      expect(text(rss.channel.link)).toBe('https://recaps.test/blog/tags/kv-cache/');
      const atom = parseAtom(feeds.atom);
      expect(text(atom.id)).toBe('https://recaps.test/blog/tags/kv-cache/');
      expect(atom.link.find((l: Xml) => l['@_rel'] === 'self')['@_href']).toBe(
        'https://recaps.test/blog/tags/kv-cache/atom.xml',
      );
      expect(JSON.parse(feeds.json).feed_url).toBe('https://recaps.test/blog/tags/kv-cache/feed.json');
    });
  });

  describe('RSS 2.0 validator rules', () => {
    const feeds = () => {
      const site = goldenSite();
      return buildFeeds(site, render(site, goldenPosts()));
    };

    it('is well-formed XML with the namespaces its prefixes need', () => {
      const { rss } = feeds();

      expect(xmlProblems(rss)).toEqual([]);
      const root = parseRss(rss);
      expect(root['@_version']).toBe('2.0');
      expect(root['@_xmlns:dc']).toBe('http://purl.org/dc/elements/1.1/');
      expect(root['@_xmlns:content']).toBe('http://purl.org/rss/1.0/modules/content/');
      expect(root['@_xmlns:atom']).toBe('http://www.w3.org/2005/Atom');
    });

    it('declares dc on <rss> even when a title or post mentions xmlns:dc= (no summaries, so no content:encoded)', () => {
      const site = { ...goldenSite(), title: 'About xmlns:dc= attributes' };
      const post = makePost({
        title: 'Why xmlns:dc="x" matters',
        body: 'Write `xmlns:dc="http://purl.org/dc/elements/1.1/"` on the root.',
        authors: [{ name: 'Ada Example' }],
      });
      const { summary: _none, ...withoutSummary } = post;

      const { rss } = buildFeeds(site, render(site, [withoutSummary]));

      const root = parseRss(rss);
      expect(root['@_xmlns:dc']).toBe('http://purl.org/dc/elements/1.1/');
      expect(rss.match(/<rss [^>]*>/)?.[0]).toContain('xmlns:dc="http://purl.org/dc/elements/1.1/"');
    });

    it('has title, absolute link, description, language, generator and RFC 822 dates', () => {
      const { channel } = parseRss(feeds().rss);

      expect(text(channel.title)).toBe('Test Meetups & Friends');
      expect(text(channel.link)).toBe('https://recaps.test/blog/');
      expect(text(channel.description)).toBe('Recaps of test meetups.');
      expect(text(channel.language)).toBe('en');
      expect(text(channel.generator)).toBe('Herald');
      expect(text(channel.lastBuildDate)).toMatch(RFC822);
      for (const item of channel.item) expect(text(item.pubDate)).toMatch(RFC822);
    });

    it('has exactly one atom:link rel=self with type and the feed URL', () => {
      const { channel } = parseRss(feeds().rss);

      expect(channel['atom:link']).toEqual([
        { '@_href': 'https://recaps.test/blog/feed.xml', '@_rel': 'self', '@_type': 'application/rss+xml' },
      ]);
    });

    it('uses isPermaLink=false guids unless the guid is the link itself', () => {
      const site = goldenSite();
      const same = postAt('same', '2026-01-01T00:00:00Z');
      same.guid = same.url;

      const { channel } = parseRss(buildFeeds(site, render(site, [...goldenPosts(), same])).rss);

      const guids = channel.item.map((item: Xml) => [text(item.guid), item.guid['@_isPermaLink']]);
      expect(guids).toEqual([
        ['2026-11-12-lisbon-quantization-workshop', 'false'],
        ['https://recaps.test/blog/2026/09/24/berlin-serving-night', 'false'],
        ['https://recaps.test/blog/2026/06/03/hello-herald', 'false'],
        ['https://recaps.test/blog/2026/01/01/same.html', 'true'],
      ]);
      for (const item of channel.item) {
        if (item.guid['@_isPermaLink'] === 'true') expect(text(item.guid)).toBe(text(item.link));
      }
    });

    it('names authors with dc:creator and never writes <author> without an email', () => {
      const { rss } = feeds();

      const items = parseRss(rss).channel.item;
      expect(rss).not.toMatch(/<author>/);
      expect(items[1]['dc:creator'].map(text)).toEqual(['Ada Example', 'Grace Sample']);
      expect(items[0]['dc:creator'].map(text)).toEqual(['Rui Exemplo']);
    });

    it('puts a description before content:encoded, and the content alone in description without summary', () => {
      const { rss } = feeds();

      const [lisbon, berlin] = parseRss(rss).channel.item;
      expect(text(berlin.description)).toBe(
        'Ninety people, three talks and a long queue of questions about KV caches.',
      );
      expect(berlin['content:encoded']).toContain('<table>');
      expect(lisbon.description).toContain('<h2>Hands-on</h2>');
      expect(lisbon['content:encoded']).toBeUndefined();
      const berlinXml = rss.slice(rss.indexOf('Serving Night Berlin'));
      expect(berlinXml.indexOf('<description>')).toBeLessThan(berlinXml.indexOf('<content:encoded>'));
    });

    it('writes & and < in plain text as hexadecimal character references', () => {
      const { rss } = feeds();

      expect(rss).toContain('<title>Test Meetups &#x26; Friends</title>');
      expect(rss).toContain('<title>Serving Night Berlin: Batching &#x26; Caches</title>');
      expect(rss).not.toMatch(/<title>[^<]*&amp;/);
    });

    it('gives image enclosures a registered MIME type and a length', () => {
      const { channel } = parseRss(feeds().rss);

      expect(channel.item[0].enclosure).toEqual({
        '@_length': '0',
        '@_type': 'image/jpeg',
        '@_url': 'https://recaps.test/blog/assets/recaps/lisbon/crowd.jpg',
      });
      expect(channel.item[1].enclosure['@_type']).toBe('image/png');
    });

    it('leaves out images whose type it cannot name', () => {
      const site = goldenSite();
      const post = postAt('odd', '2026-01-01T00:00:00Z', { image: 'https://recaps.test/blog/assets/photo' });

      const feeds = buildFeeds(site, render(site, [post]));

      expect(feeds.rss).not.toContain('<enclosure');
      expect(feeds.atom).not.toContain('rel="enclosure"');
      expect(JSON.parse(feeds.json).items[0].image).toBeUndefined();
    });
  });

  describe('Atom 1.0 validator rules', () => {
    const atomOf = (posts: Post[] = goldenPosts()) => {
      const site = goldenSite();
      return buildFeeds(site, render(site, posts)).atom;
    };

    it('is well-formed, with feed id, title, updated, author, generator, language and links', () => {
      const xml = atomOf();

      expect(xmlProblems(xml)).toEqual([]);
      const feed = parseAtom(xml);
      expect(feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
      expect(feed['@_xml:lang']).toBe('en');
      expect(text(feed.id)).toBe('https://recaps.test/blog/');
      expect(text(feed.title)).toBe('Test Meetups & Friends');
      expect(text(feed.updated)).toMatch(RFC3339);
      expect(text(feed.generator)).toBe('Herald');
      expect(text(feed.author[0].name)).toBe('Test Organisers');
      expect(feed.link).toEqual([
        { '@_rel': 'alternate', '@_href': 'https://recaps.test/blog/' },
        { '@_rel': 'self', '@_href': 'https://recaps.test/blog/atom.xml' },
      ]);
    });

    it('gives every entry a unique absolute id, an alternate link, dates, an author and html content', () => {
      const feed = parseAtom(atomOf());

      const ids = feed.entry.map((entry: Xml) => text(entry.id));
      expect(new Set(ids).size).toBe(ids.length);
      for (const entry of feed.entry) {
        expect(() => new URL(text(entry.id))).not.toThrow();
        expect(text(entry.id)).toMatch(/^(https:\/\/|tag:)/);
        const alternate = entry.link.find((l: Xml) => l['@_rel'] === undefined || l['@_rel'] === 'alternate');
        expect(alternate['@_href']).toMatch(/^https:\/\/recaps\.test\/blog\//);
        expect(text(entry.updated)).toMatch(RFC3339);
        expect(text(entry.published)).toMatch(RFC3339);
        expect(entry.author.length).toBeGreaterThan(0);
        expect(entry.content['@_type']).toBe('html');
        expect(entry.title['@_type']).toBe('html');
      }
    });

    it('turns a guid that is not a URI into a tag URI and keeps URL guids as they are', () => {
      const feed = parseAtom(atomOf());

      expect(feed.entry.map((entry: Xml) => text(entry.id))).toEqual([
        'tag:recaps.test,2026-11-12:2026-11-12-lisbon-quantization-workshop',
        'https://recaps.test/blog/2026/09/24/berlin-serving-night',
        'https://recaps.test/blog/2026/06/03/hello-herald',
      ]);
    });

    it('uses updated for <updated> and date for <published>', () => {
      const [lisbon] = parseAtom(atomOf()).entry;

      expect(text(lisbon.updated)).toBe('2026-11-14T09:15:00.000Z');
      expect(text(lisbon.published)).toBe('2026-11-12T17:30:00.000Z');
    });

    it('credits the site author on entries without authors', () => {
      const [, , hello] = parseAtom(atomOf()).entry;

      expect(hello.author.map((a: Xml) => text(a.name))).toEqual(['Test Organisers']);
    });

    it('names image enclosures with their registered type', () => {
      const [lisbon] = parseAtom(atomOf()).entry;

      expect(lisbon.link.find((l: Xml) => l['@_rel'] === 'enclosure')).toEqual({
        '@_rel': 'enclosure',
        '@_href': 'https://recaps.test/blog/assets/recaps/lisbon/crowd.jpg',
        '@_type': 'image/jpeg',
      });
    });
  });

  describe('JSON Feed 1.1', () => {
    it('has the 1.1 version, feed URLs, language, authors arrays and item dates', () => {
      const site = goldenSite();

      const json = JSON.parse(buildFeeds(site, render(site, goldenPosts())).json);

      expect(json.version).toBe('https://jsonfeed.org/version/1.1');
      expect(json.home_page_url).toBe('https://recaps.test/blog/');
      expect(json.feed_url).toBe('https://recaps.test/blog/feed.json');
      expect(json.language).toBe('en');
      expect(json.authors).toEqual([{ name: 'Test Organisers', url: 'https://recaps.test/blog/about/' }]);
      expect(json.author).toBeUndefined();
      const berlin = json.items[1];
      expect(berlin.id).toBe('https://recaps.test/blog/2026/09/24/berlin-serving-night');
      expect(berlin.authors).toEqual([
        { name: 'Ada Example' },
        { name: 'Grace Sample', url: 'https://grace.example.org/' },
      ]);
      expect(berlin.author).toBeUndefined();
      expect(berlin.tags).toEqual(['berlin', 'KV Cache', 'community']);
      expect(berlin.date_published).toBe('2026-09-24T18:00:00.000Z');
      expect(berlin.summary).toBe(
        'Ninety people, three talks and a long queue of questions about KV caches.',
      );
      expect(berlin.image).toBe('https://recaps.test/blog/assets/recaps/berlin/stage.png');
    });
  });

  describe('hostile content', () => {
    it('keeps XML well-formed when text contains "]]>" twice and control characters', () => {
      const site = goldenSite();
      const post = postAt('cdata', '2026-02-02T12:00:00Z', {
        guid: 'weird ]]> guid',
        title: 'A ]]> B ]]> C\u0001',
        summary: 'Sum ]]> mary ]]> \u000Bend',
        tags: ['x]]>y', 'a<b&c"d'],
        authors: [{ name: 'Eve ]]> <Hacker>\u0001' }],
        body: 'Text ]]> more ]]> and \u0001 and \u000B and `code ]]> ]]>`\n\n<div title="]]> ]]>">x</div>\n',
      });

      const feeds = buildFeeds(site, render(site, [post]));

      expect(xmlProblems(feeds.rss)).toEqual([]);
      expect(xmlProblems(feeds.atom)).toEqual([]);
      const item = parseRss(feeds.rss).channel.item[0];
      expect(text(item.title)).toBe('A ]]> B ]]> C');
      expect(text(item.guid)).toBe('weird ]]> guid');
      expect(item['dc:creator'].map(text)).toEqual(['Eve ]]> <Hacker>']);
      expect(item.category.map(text)).toEqual(['x]]>y', 'a<b&c"d']);
      expect(item.description).toBe('Sum ]]&gt; mary ]]&gt; end');
      expect(item['content:encoded']).toContain(
        'Text ]]&gt; more ]]&gt; and  and  and <code>code ]]&gt; ]]&gt;</code>',
      );
      const entry = parseAtom(feeds.atom).entry[0];
      expect(entry.title['#text']).toBe('A ]]&gt; B ]]&gt; C');
      expect(entry.category.map((c: Xml) => decodeRefs(c['@_term']))).toEqual(['x]]>y', 'a<b&c"d']);
      const json = JSON.parse(feeds.json);
      expect(json.items[0].title).toBe('A ]]> B ]]> C');
      expect(json.items[0].summary).toBe('Sum ]]> mary ]]> end');
    });

    it('puts only absolute http(s) URLs into feed content', async () => {
      const site = goldenSite();

      const feeds = buildFeeds(site, render(site, goldenPosts()));

      const contents = [
        ...parseRss(feeds.rss).channel.item.flatMap((item: Xml) => [
          item.description,
          item['content:encoded'],
        ]),
        ...parseAtom(feeds.atom).entry.map((entry: Xml) => entry.content['#text']),
        ...(JSON.parse(feeds.json).items as Json[]).map((item) => item.content_html),
      ].filter((html): html is string => typeof html === 'string');
      expect(contents).toHaveLength(11);
      for (const html of contents) {
        expect(await findUnsafeHtml(html)).toEqual([]);
        expect(html).not.toMatch(/(?:href|src)="(?!https?:\/\/)/);
      }
    });

    it('lets no XSS vector through any feed', async () => {
      const site = goldenSite();
      const posts = xssVectors.map(({ markdown }, index) =>
        postAt(`xss-${index}`, new Date(Date.UTC(2026, 0, 1 + index)).toISOString(), {
          summary: undefined,
          body: markdown,
        }),
      );

      const feeds = buildFeeds({ ...site, feed: { limit: 100 } }, render(site, posts));

      expect(xmlProblems(feeds.rss)).toEqual([]);
      expect(xmlProblems(feeds.atom)).toEqual([]);
      const contents: string[] = [
        ...parseRss(feeds.rss).channel.item.map((item: Xml) => raw(item.description)),
        ...parseAtom(feeds.atom).entry.map((entry: Xml) => raw(entry.content)),
        ...(JSON.parse(feeds.json).items as Json[]).map((item) => String(item.content_html)),
      ];
      expect(contents).toHaveLength(xssVectors.length * 3);
      for (const html of contents) expect(await findUnsafeHtml(html)).toEqual([]);
      for (const xml of [feeds.rss, feeds.atom, feeds.json]) {
        expect(xml).not.toMatch(/<(script|iframe|form|object|embed|style|meta|base)\b/i);
        expect(xml).not.toMatch(/\son[a-z]+\s*=\s*\\?["']/i);
        expect(xml).not.toMatch(/(?:href|src)=\\?"\s*(?:javascript|vbscript|data):/i);
      }
    });

    it('refuses a post whose URL is not absolute, naming the file', () => {
      const site = goldenSite();
      const [rendered] = render(site, [makePost()]);
      if (!rendered) throw new Error('fixture missing');
      const broken = { ...rendered, post: { ...rendered.post, url: '/2026/03/14/pi-day-meetup.html' } };

      const build = () => buildFeeds(site, [broken]);

      expect(build).toThrow(FeedError);
      expect(build).toThrow('posts/2026-03-14-pi-day-meetup.md: url: "/2026/03/14/pi-day-meetup.html"');
    });
  });

  describe('entries written once and spliced into every feed', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    const IMAGE = 'https://recaps.test/blog/assets/a/photo.jpg';

    /** Entries that are easy to get wrong, most of them in the site feed and several tag feeds. */
    function trickyPosts(site: SiteConfig): RenderedPost[] {
      const rendered = render(site, [
        postAt('no-summary', '2026-05-01T08:00:00Z', {
          title: 'No summary ]]> here\u0001',
          summary: undefined,
          image: IMAGE,
          tags: ['shared', 'cdata'],
          authors: [{ name: 'Ada Example' }, { name: 'Grace <Sample>', url: 'https://grace.example.org/' }],
          body: 'Text ]]> more ]]> and \u0001 and \u000B and `code ]]> ]]>`\n\n<div title="]]>">x</div>\n',
        }),
        postAt('svg-summary', '2026-05-02T08:00:00Z', {
          summary: 'Sum ]]> mary & <b>co</b>',
          image: 'https://cdn.recaps.test/logo.svg',
          tags: ['shared', 'Ünïcode'],
          authors: [],
        }),
        postAt('jpeg-query', '2026-05-03T08:00:00Z', {
          image: 'https://recaps.test/blog/assets/a/PHOTO.JPEG?x=1&y=2',
          tags: ['shared'],
          authors: [{ name: 'Eve ]]> Hacker' }],
        }),
        postAt('unknown-image', '2026-05-04T08:00:00Z', {
          image: 'https://recaps.test/blog/assets/a/photo.bmp',
          tags: ['cdata'],
        }),
        postAt('mentions-dc', '2026-05-05T08:00:00Z', {
          title: 'Declaring xmlns:dc= by hand',
          summary: undefined,
          tags: ['dc-only'],
        }),
        postAt('tie-b', '2026-05-06T08:00:00Z', { guid: 'tie-b', tags: ['shared'] }),
        postAt('tie-a', '2026-05-06T08:00:00Z', {
          guid: 'tie-a',
          tags: ['shared'],
          updated: new Date('2026-05-20T00:00:00Z'),
        }),
        postAt('draft', '2026-05-07T08:00:00Z', { draft: true, tags: ['draft-only', 'shared'] }),
        postAt('guid-is-url', '2026-04-01T08:00:00Z', { tags: ['shared'] }),
        postAt('mentions-enclosure', '2026-04-02T08:00:00Z', { tags: ['shared', 'mentions'], authors: [] }),
      ]);
      const guidIsUrl = rendered.find((r) => r.post.slug === 'guid-is-url');
      if (guidIsUrl) guidIsUrl.post.guid = guidIsUrl.post.url;
      // HTML the renderer would not let through: enclosure links in the content, one to another
      // entry's image (rewritten only in feeds that carry that entry) and one never closed.
      const mentions = rendered.find((r) => r.post.slug === 'mentions-enclosure');
      if (mentions) {
        mentions.portableHtml = `<p>See <link rel="enclosure" href="${IMAGE}" type="image/jpg"> and <link rel="enclosure" href="</p>`;
      }
      return rendered;
    }

    const TAGS = [
      undefined,
      'shared',
      'cdata',
      'Ünïcode',
      'dc-only',
      'mentions',
      'draft-only',
      'no-such-tag',
    ];

    it('gives the same bytes as laying out each feed whole, for every feed and site the entries appear in', () => {
      const sites = [
        goldenSite(),
        makeSite({ author: undefined, language: 'de-AT', description: '', feed: { limit: 3 } }),
        { ...goldenSite(), title: 'Sites xmlns:dc= & co', language: 'fr' },
      ];
      const posts = trickyPosts(goldenSite());

      // Tag feeds before and after the site feed, so written entries are reused both ways.
      for (const site of sites) {
        for (const tag of [...TAGS.slice(1), ...TAGS]) {
          const options = tag === undefined ? {} : { tag };
          expect(buildFeeds(site, posts, options), `${site.title} ${tag ?? '(site)'}`).toEqual(
            buildFeedsWhole(site, posts, options),
          );
        }
      }
    });

    it('encodes to UTF-8 exactly the text it lays out', () => {
      const sites = [goldenSite(), { ...goldenSite(), title: 'Sites xmlns:dc= & co', language: 'fr' }];
      const posts = trickyPosts(goldenSite());

      for (const site of sites) {
        for (const tag of [...TAGS.slice(1), ...TAGS]) {
          const options = tag === undefined ? {} : { tag };
          const bytes = buildFeedBytes(site, posts, options);
          const text = buildFeeds(site, posts, options);
          for (const format of ['rss', 'atom', 'json'] as const) {
            expect(Buffer.from(bytes[format]).toString('utf8'), `${format} ${tag ?? '(site)'}`).toBe(
              text[format],
            );
          }
        }
      }
    });

    it('encodes each entry once per format, however many feeds carry it', () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());
      const encode = vi.spyOn(TextEncoder.prototype, 'encode');

      for (const tag of [undefined, 'berlin', 'KV Cache', 'community', 'lisbon', 'quantization']) {
        buildFeedBytes(site, posts, tag === undefined ? {} : { tag });
      }

      for (const post of posts) {
        const content = post.portableHtml.slice(0, 60);
        const times = encode.mock.calls.filter(([input]) => input?.includes(content)).length;
        // In the site's feed and its tags' (at least two), yet encoded at most once per format.
        expect(post.post.tags.length, post.post.slug).toBeGreaterThan(0);
        expect(times, post.post.slug).toBeGreaterThan(0);
        expect(times, post.post.slug).toBeLessThanOrEqual(3);
      }
      encode.mockRestore();
    });

    it('covers what it claims: rewritten enclosures in content, empty feeds, well-formed XML', () => {
      const site = goldenSite();
      const posts = trickyPosts(site);

      const shared = buildFeeds(site, posts, { tag: 'shared' });
      const mentions = buildFeeds(site, posts, { tag: 'mentions' });
      const empty = buildFeeds(site, posts, { tag: 'draft-only' });

      const inContent = `<link rel="enclosure" href="${IMAGE}" type="image/`;
      expect(shared.atom).toContain(`${inContent}jpeg">`);
      expect(mentions.atom).toContain(`${inContent}jpg">`);
      expect(empty).toEqual(buildFeeds(site, [], { tag: 'draft-only' }));
      expect(JSON.parse(empty.json).items).toEqual([]);
      expect(text(parseAtom(empty.atom).updated)).toBe(EMPTY_FEED_UPDATED.toISOString());
      for (const feeds of [shared, empty, buildFeeds(site, posts, { tag: 'cdata' })]) {
        expect(xmlProblems(feeds.rss)).toEqual([]);
      }
    });

    it('has `feed` lay out each post once per format, and each feed around one placeholder', () => {
      const site = goldenSite();
      const posts = render(site, goldenPosts());
      const tags = ['berlin', 'KV Cache', 'community', 'lisbon', 'quantization'];
      const addItem = vi.spyOn(Feed.prototype, 'addItem');

      for (const tag of [undefined, ...tags]) buildFeeds(site, posts, tag === undefined ? {} : { tag });

      // Three posts in RSS, Atom and JSON; a placeholder in the RSS and the Atom of six feeds.
      expect(addItem).toHaveBeenCalledTimes(3 * 3 + 6 * 2);
    });
  });
});
