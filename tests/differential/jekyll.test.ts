import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { type DefaultTreeAdapterMap, parseFragment } from 'parse5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PreparedBuild, prepareBuild } from '../../functions/cli/build.ts';

const run = promisify(execFile);
const FIXTURES = new URL('../fixtures/jekyll-diff/', import.meta.url).pathname;
const BLOGS = ['liquid-lab', 'dates-and-permalinks'];

/** Debian's `jekyll` with `ruby-jekyll-feed` (.ci/run installs them); in CI its absence fails the run. */
const JEKYLL = ['/usr/bin/jekyll', '/usr/local/bin/jekyll'].find((p) => existsSync(p));
const required = JEKYLL !== undefined || Boolean(process.env.CI);
if (!required) {
  console.warn(
    'jekyll is not installed: the differential tests against real Jekyll are skipped (apt-get install jekyll ruby-jekyll-feed)',
  );
}
const describeWithJekyll = required ? describe : describe.skip;

interface FeedEntry {
  id: string;
  link: string;
  html: string;
  hasContent: boolean;
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'entry' || name === 'link',
});

function atomEntries(text: string): FeedEntry[] {
  const feed = (xml.parse(text) as { feed: { entry?: Record<string, unknown>[] } }).feed;
  return (feed.entry ?? []).map((entry) => {
    const links = entry.link as { href: string; rel?: string }[];
    const link = links.find((l) => l.rel === undefined || l.rel === 'alternate')?.href ?? '';
    const content = entry.content as string | { '#text'?: string } | undefined;
    const html = typeof content === 'string' ? content : (content?.['#text'] ?? '');
    return { id: String(entry.id), link, html, hasContent: content !== undefined };
  });
}

const BLOCKS = new Set(
  'p div pre li ul ol table tr td th h1 h2 h3 h4 h5 h6 aside figure blockquote br hr section'.split(' '),
);

/**
 * The words of an HTML fragment: tags dropped, entities decoded, whitespace collapsed. Typography that
 * kramdown adds and marked does not (curly quotes, dashes, ellipses) and Rouge's line-number gutter are
 * presentation, not words, so they are normalised away.
 */
function wordsOf(html: string): string {
  const withoutGutter = html.replace(/<td class="gutter[^"]*">[\s\S]*?<\/td>/g, '');
  const texts: string[] = [];
  const walk = (node: DefaultTreeAdapterMap['node']): void => {
    if (node.nodeName === '#text') texts.push((node as DefaultTreeAdapterMap['textNode']).value);
    if (node.nodeName === '#comment') return;
    const block = BLOCKS.has(node.nodeName);
    if (block) texts.push(' ');
    for (const child of (node as DefaultTreeAdapterMap['parentNode']).childNodes ?? []) walk(child);
    if (block) texts.push(' ');
  };
  walk(parseFragment(withoutGutter));
  return texts
    .join('')
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/–/g, '--')
    .replace(/—/g, '---')
    .replace(/…/g, '...')
    .replace(/\s+/g, ' ')
    .trim();
}

describeWithJekyll.each(BLOGS)('the %s blog, built by Jekyll and by Herald', (blog) => {
  let site: string;
  let work: string;
  let herald: PreparedBuild;

  beforeAll(async () => {
    if (!JEKYLL) throw new Error('jekyll is required in CI: apt-get install jekyll ruby-jekyll-feed');
    work = await mkdtemp(join(tmpdir(), `herald-jekyll-${blog}-`));
    const source = join(work, 'source');
    site = join(work, 'site');
    // Jekyll builds a copy, so nothing it writes lands in the repository.
    await cp(join(FIXTURES, blog), source, { recursive: true });
    await run(
      JEKYLL,
      ['build', '--source', source, '--destination', site, '--disable-disk-cache', '--quiet'],
      {
        env: { ...process.env, JEKYLL_ENV: 'production' },
      },
    );
    herald = await prepareBuild({ contentDir: join(FIXTURES, blog) });
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const heraldFile = (path: string): string => {
    const file = herald.siteFiles.find((f) => f.path === path);
    if (!file) throw new Error(`Herald wrote no ${path}`);
    return String(file.body);
  };

  it('puts every post at Jekyll’s URL with Jekyll’s id', async () => {
    const jekyllPosts = JSON.parse(await readFile(join(site, 'posts.json'), 'utf8')) as {
      url: string;
      id: string;
    }[];
    const root = herald.content.site.url + herald.content.site.baseurl;

    const heraldPosts = herald.content.posts
      .filter((p) => !p.draft)
      .map((p) => ({ url: p.path, id: p.guid.slice(root.length) }));

    expect(heraldPosts).toEqual(jekyllPosts.map(({ url, id }) => ({ url, id })));
  });

  it('writes a page wherever Jekyll writes a post (collections.posts.output: false included)', async () => {
    const jekyllPosts = JSON.parse(await readFile(join(site, 'posts.json'), 'utf8')) as { url: string }[];
    const written = (url: string) => existsSync(join(site, url.endsWith('/') ? `${url}index.html` : url));

    const expected = jekyllPosts.map((p) => ({ url: p.url, written: written(p.url) }));
    const actual = jekyllPosts.map((p) => ({
      url: p.url,
      written: herald.siteFiles.some((f) => f.path === (p.url.endsWith('/') ? `${p.url}index.html` : p.url)),
    }));

    expect(actual).toEqual(expected);
    expect(expected.every((p) => p.written)).toBe(true);
  });

  it('writes every feed jekyll-feed writes, with its entry ids and links (feed.xml as Herald’s atom.xml)', async () => {
    const feeds = (await readdir(site, { recursive: true }))
      .filter((p) => p.endsWith('.xml'))
      .map((p) => `/${p.split(sep).join('/')}`);
    const atom = async (path: string) =>
      (await readFile(join(site, path), 'utf8')).includes('<feed xmlns="http://www.w3.org/2005/Atom"');
    const jekyllFeeds = [];
    for (const path of feeds) if (await atom(path)) jekyllFeeds.push(path);

    for (const path of jekyllFeeds.sort()) {
      const jekyllEntries = atomEntries(await readFile(join(site, path), 'utf8'));
      const heraldEntries = atomEntries(heraldFile(path === '/feed.xml' ? '/atom.xml' : path));

      const shape = (e: FeedEntry) => ({ id: e.id, link: e.link, hasContent: e.hasContent });
      expect({ path, entries: heraldEntries.map(shape) }).toEqual({
        path,
        entries: jekyllEntries.map(shape),
      });
    }
    expect(jekyllFeeds.length).toBeGreaterThan(1);
  });

  it('renders every post to the same words', async () => {
    const jekyllFeed = JSON.parse(await readFile(join(site, 'posts.json'), 'utf8')) as {
      url: string;
      id: string;
    }[];
    const root = herald.content.site.url + herald.content.site.baseurl;
    const heraldFeed = new Map(atomEntries(heraldFile('/atom.xml')).map((e) => [e.id, e]));

    for (const entry of jekyllFeed) {
      const path = entry.url;
      const page = await readFile(join(site, path.endsWith('/') ? `${path}index.html` : path), 'utf8');

      expect({ post: path, words: wordsOf(heraldFeed.get(encodeURI(root + entry.id))?.html ?? '') }).toEqual({
        post: path,
        words: wordsOf(page),
      });
    }
  });
});
