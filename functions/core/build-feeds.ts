import { hash } from 'node:crypto';
import { Feed, type Author as FeedAuthor, type Item } from 'feed';
import { escapeHtml } from './escape-html.ts';
import { feedPaths } from './feeds.ts';
import type { Author, Post, RenderedPost, SiteConfig } from './model.ts';
import { tagSlug } from './tag-slug.ts';
import { exactJson } from './text-memo.ts';
import { stripXmlInvalid } from './xml-safe.ts';

/** The three feeds of one scope (the whole site or one tag), as file contents. */
export interface FeedSet {
  /** RSS 2.0, served as `feed.xml`. */
  rss: string;
  /** Atom 1.0, served as `atom.xml`. */
  atom: string;
  /** JSON Feed 1.1, served as `feed.json`. */
  json: string;
}

/** Narrows the feeds to one tag. */
export interface FeedOptions {
  /** Only posts carrying this tag (compared by {@link tagSlug}); self links under `/tags/<slug>/`. */
  tag?: string;
}

/** Thrown when a post cannot appear in a feed, e.g. its URL is not absolute. */
export class FeedError extends Error {
  override name = 'FeedError';
}

/**
 * The `updated` instant of a feed without posts. Feeds must carry one and two builds must be
 * byte-identical, so it cannot be the clock; the W3C validator calls dates before 1970 implausible,
 * so we stay well clear of the Unix epoch.
 */
export const EMPTY_FEED_UPDATED = new Date('2000-01-01T00:00:00Z');

const GENERATOR = 'Herald';
const DC_NAMESPACE = 'http://purl.org/dc/elements/1.1/';
const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';

/** Image types we can name with confidence; other images are left out of enclosures. */
const IMAGE_TYPES: Record<string, string> = {
  avif: 'image/avif',
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  svg: 'image/svg+xml',
  webp: 'image/webp',
};

/**
 * Builds RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, or for one tag.
 *
 * Items are the newest `site.feed.limit` posts that are not drafts (by `post.date`, newest first;
 * ties broken by guid so input order never matters), with full portable HTML, absolute URLs,
 * `post.guid` as id, `post.date` as published and `post.updated` as updated. The feed-level
 * updated / lastBuildDate is the latest `post.updated` among the items, or
 * {@link EMPTY_FEED_UPDATED} when there are none: never the clock, so rebuilding the same posts
 * gives byte-identical files.
 *
 * The `feed` package lays the documents out; Herald fills in every text itself because `feed`
 * 6.0.0 breaks on a second `]]>`, on XML-forbidden characters and on `<` in attributes, writes
 * RSS `<author>` without an email, and emits JSON Feed 1.0. Plain text in the XML feeds is
 * encoded with hexadecimal character references, as the RSS Best Practices Profile asks.
 *
 * A post's entry is the same text in every feed that carries it (the site's and each of its
 * tags'), so each entry is written once per format and spliced between the head and foot `feed`
 * lays out for each feed: the same bytes as laying out every feed in one piece
 * ({@link buildFeedsWhole}), without re-serializing full post HTML for every tag.
 */
export function buildFeeds(site: SiteConfig, posts: RenderedPost[], options: FeedOptions = {}): FeedSet {
  const ctx = feedContext(site, posts, options);
  return { rss: joinText(rssPieces(ctx)), atom: joinText(atomPieces(ctx)), json: joinText(jsonPieces(ctx)) };
}

/**
 * {@link buildFeeds} as UTF-8 bytes, for writing: each entry is encoded once however many feeds carry
 * it (the site's and each of its tags'), where encoding every feed whole re-encoded it in each.
 */
export function buildFeedBytes(
  site: SiteConfig,
  posts: RenderedPost[],
  options: FeedOptions = {},
): Record<keyof FeedSet, Uint8Array> {
  const ctx = feedContext(site, posts, options);
  return {
    rss: joinBytes(rssPieces(ctx)),
    atom: joinBytes(atomPieces(ctx)),
    json: joinBytes(jsonPieces(ctx)),
  };
}

/** Feed text written once per entry and format, shared by every feed carrying it; encoded at most once. */
interface SharedText {
  xml: string;
  bytes?: Uint8Array;
}

/** A feed as laid out: its own text, and its entries' shared text. */
type Piece = string | SharedText;

const utf8 = new TextEncoder();

function joinText(pieces: readonly Piece[]): string {
  return pieces.map((piece) => (typeof piece === 'string' ? piece : piece.xml)).join('');
}

function joinBytes(pieces: readonly Piece[]): Uint8Array {
  const parts = pieces.map((piece) => {
    if (typeof piece === 'string') return utf8.encode(piece);
    piece.bytes ??= utf8.encode(piece.xml);
    return piece.bytes;
  });
  const out = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * The feeds of {@link buildFeeds}, each laid out by `feed` in one piece with all its items instead
 * of spliced from entries written once per post. Slower; it is what the splicing is tested against.
 */
export function buildFeedsWhole(site: SiteConfig, posts: RenderedPost[], options: FeedOptions = {}): FeedSet {
  const ctx = feedContext(site, posts, options);
  return { rss: wholeRss(ctx), atom: wholeAtom(ctx), json: wholeJson(ctx) };
}

/**
 * Everything {@link buildFeeds} reads for these arguments, as text: equal keys build equal feeds. For a
 * cache of built feeds (the CLI's build cache), where each post's HTML is rendered from the post itself
 * (`renderPost`), so a digest of the post (its body included) stands for its HTML: a warm build need not
 * read the HTML of a post whose feeds are kept, nor hash it once per feed that carries it.
 *
 * @throws {FeedError} as buildFeeds does for a tag without letters or digits.
 */
export function feedsKey(site: SiteConfig, posts: RenderedPost[], options: FeedOptions = {}): string {
  const scope = feedScope(site, options);
  const selected = selectPosts(posts, site.feed.limit, scope.tagSlug);
  return JSON.stringify([site, options.tag ?? null, selected.map(({ post }) => postDigest(post))]);
}

const postDigests = new WeakMap<Post, string>();

/** A SHA-1 of the whole post, computed once per post however many feeds carry it. */
function postDigest(post: Post): string {
  let digest = postDigests.get(post);
  if (digest === undefined) {
    digest = hash('sha1', exactJson(post), 'base64');
    postDigests.set(post, digest);
  }
  return digest;
}

function feedContext(site: SiteConfig, posts: RenderedPost[], options: FeedOptions): FeedContext {
  const scope = feedScope(site, options);
  const items = selectPosts(posts, site.feed.limit, scope.tagSlug).map((rendered) => toEntry(rendered));
  const updated = items.reduce<Date | undefined>(
    (latest, item) => (latest === undefined || item.updated > latest ? item.updated : latest),
    undefined,
  );
  return { site, scope, items, updated: updated ?? EMPTY_FEED_UPDATED };
}

interface FeedScope {
  title: string;
  /** The page the feed stands for: site root or tag page, with trailing slash. */
  home: string;
  rss: string;
  atom: string;
  json: string;
  tagSlug?: string;
}

/** Everything a feed item needs, validated and cleaned once for all three formats. */
interface Entry {
  title: string;
  url: string;
  guid: string;
  atomId: string;
  published: Date;
  updated: Date;
  summary?: string;
  content: string;
  image?: { url: string; type: string };
  authors: Author[];
  tags: string[];
  /** The entry as written into each format, filled in as feeds need it. */
  written: WrittenEntry;
}

interface FeedContext {
  site: SiteConfig;
  scope: FeedScope;
  items: Entry[];
  updated: Date;
}

function feedScope(site: SiteConfig, options: FeedOptions): FeedScope {
  const root = `${site.url}${site.baseurl}`;
  if (options.tag === undefined) {
    return { title: site.title, home: `${root}/`, ...feedPaths(`${root}/`) };
  }
  const slug = tagSlug(options.tag);
  if (slug === '') throw new FeedError(`feed tag: "${options.tag}" has no letters or digits to name a page`);
  const dir = `${root}/tags/${slug}/`;
  return {
    title: `${site.title}: ${options.tag}`,
    home: dir,
    ...feedPaths(dir),
    tagSlug: slug,
  };
}

function selectPosts(posts: RenderedPost[], limit: number, slug: string | undefined): RenderedPost[] {
  return posts
    .filter(({ post }) => !post.draft)
    .filter(({ post }) => slug === undefined || post.tags.some((tag) => tagSlug(tag) === slug))
    .sort((a, b) => b.post.date.getTime() - a.post.date.getTime() || compare(a.post.guid, b.post.guid))
    .slice(0, Math.max(0, limit));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A post's entry is the same in every feed it appears in (the site's and each of its tags'), so it
 * is cleaned (and written, see {@link WrittenEntry}) once per rendered post. Keyed weakly: nothing
 * outlives the caller's posts.
 */
const entries = new WeakMap<RenderedPost, Entry>();

function toEntry(rendered: RenderedPost): Entry {
  let entry = entries.get(rendered);
  if (entry === undefined) {
    entry = newEntry(rendered);
    entries.set(rendered, entry);
  }
  return entry;
}

function newEntry({ post, portableHtml }: RenderedPost): Entry {
  const url = absoluteHttpUrl(post.url);
  if (url === undefined) {
    throw new FeedError(`${post.sourcePath}: url: "${post.url}" is not an absolute http(s) URL`);
  }
  const guid = stripXmlInvalid(post.guid).trim();
  if (guid === '') throw new FeedError(`${post.sourcePath}: guid: must not be empty`);
  const image = post.image === undefined ? undefined : imageEnclosure(post.image);
  return {
    title: stripXmlInvalid(post.title),
    url,
    guid,
    atomId: atomId(guid, url, post.date),
    published: post.date,
    updated: post.updated,
    ...(post.summary ? { summary: stripXmlInvalid(post.summary) } : {}),
    content: stripXmlInvalid(portableHtml),
    ...(image ? { image } : {}),
    authors: post.authors.map((a) => {
      const authorUrl = a.url === undefined ? undefined : absoluteHttpUrl(a.url);
      return { name: stripXmlInvalid(a.name), ...(authorUrl ? { url: authorUrl } : {}) };
    }),
    tags: post.tags.map(stripXmlInvalid).filter((tag) => tag.trim() !== ''),
    written: { atom: new Map(), json: new Map() },
  };
}

function absoluteHttpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Atom ids must be absolute IRIs. A guid that already is one (the jekyll-feed style URL) is used
 * as is; a bare id from front matter becomes a tag URI (RFC 4151) on the post's host and date,
 * which stays stable as long as the guid, host and date do.
 */
function atomId(guid: string, url: string, date: Date): string {
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(guid)) {
    try {
      return new URL(guid).href;
    } catch {
      // Not parseable after all: fall through to a tag URI.
    }
  }
  const host = new URL(url).hostname;
  return `tag:${host},${date.toISOString().slice(0, 10)}:${encodeURIComponent(guid)}`;
}

function imageEnclosure(image: string): { url: string; type: string } | undefined {
  const url = absoluteHttpUrl(image);
  if (url === undefined) return undefined;
  const extension = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
  const type = IMAGE_TYPES[extension];
  return type === undefined ? undefined : { url, type };
}

function siteAuthor(site: SiteConfig): Author {
  return site.author ?? { name: site.title };
}

// ---------------------------------------------------------------------------------------------
// Text slots: `feed` gets an opaque token for every piece of text and we write the text ourselves.

/** U+FFFF never survives stripXmlInvalid, so tokens cannot collide with content. */
const MARK = '\uFFFF';
const SLOT = /<!\[CDATA\[\uFFFF(\d+)\uFFFF\]\]>|\uFFFF(\d+)\uFFFF/g;

class TextSlots {
  private readonly values: { value: string; html: boolean }[] = [];

  /** Plain text: written with hexadecimal references for `&`, `<`, `>`, `"`. */
  text(value: string): string {
    return this.add(value, false);
  }

  /** HTML: written as CDATA (split around any `]]>`) where `feed` used CDATA, else escaped. */
  html(value: string): string {
    return this.add(value, true);
  }

  fill(xml: string): string {
    return xml.replace(SLOT, (_match, inCdata: string | undefined, bare: string | undefined) => {
      const slot = this.values[Number(inCdata ?? bare)];
      if (slot === undefined) throw new FeedError(`internal: unknown feed text slot ${inCdata ?? bare}`);
      return inCdata !== undefined && slot.html ? cdata(slot.value) : escapeXml(slot.value);
    });
  }

  private add(value: string, html: boolean): string {
    this.values.push({ value: stripXmlInvalid(value), html });
    return `${MARK}${this.values.length - 1}${MARK}`;
  }
}

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function escapeXml(value: string): string {
  return value.replace(/[&<>"]/g, (ch) => `&#x${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()};`);
}

// ---------------------------------------------------------------------------------------------
// Splicing: `feed` lays out each feed around one placeholder item (its head and foot), and the
// entries a feed needs that are not written yet in one scratch feed; each entry's text is cut out
// of it, filled once and reused by every later feed that carries the entry.

/** An entry as written into each format; the same in every feed that carries it. */
interface WrittenEntry {
  rss?: RssItemText;
  /** By the author credited when the post names none (the site's), `''` when it names its own. */
  atom: Map<string, AtomEntryText>;
  /** By the site language, which every item repeats. */
  json: Map<string, SharedText>;
}

/** A document `feed` laid out, cut at its items: what comes before the first, each item, what follows the last. */
interface Cut {
  head: string;
  /** Each from the line break before its `open` to the end of its `close`. */
  items: string[];
  foot: string;
}

/**
 * Cuts a document `feed` laid out with `count` items. Cut before the slots are filled, when every
 * post text is still a token (and `feed` escapes `<` in the rest), so no text can pass for a tag.
 */
function cutItems(xml: string, open: string, close: string, count: number): Cut {
  const items: string[] = [];
  let first = -1;
  let end = 0;
  for (let at = xml.indexOf(open); at >= 0; at = xml.indexOf(open, end)) {
    const start = xml.lastIndexOf('\n', at);
    const closeAt = xml.indexOf(close, at);
    if (start < end || closeAt < 0) break;
    if (first < 0) first = start;
    end = closeAt + close.length;
    items.push(xml.slice(start, end));
  }
  if (items.length !== count || first < 0) internalError(`expected ${count} ${open} to cut out`);
  return { head: xml.slice(0, first), items, foot: xml.slice(end) };
}

function internalError(what: string): never {
  throw new FeedError(`internal: ${what}`);
}

const SCRATCH_LINK = 'https://scratch.invalid/';

/** The feed entries are laid out in to be cut out of it: only the items are kept, so nothing here shows. */
function scratchFeed(): Feed {
  return new Feed({ id: SCRATCH_LINK, title: 'scratch', link: SCRATCH_LINK, updated: EMPTY_FEED_UPDATED });
}

/** Stands in for the items while `feed` lays out a feed's head and foot. */
function placeholderItem({ scope, updated }: FeedContext, withContent = false): Item {
  return {
    title: 'placeholder',
    id: scope.home,
    link: scope.home,
    date: updated,
    ...(withContent ? { content: 'placeholder' } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// RSS 2.0

const DC_DECLARATION = 'xmlns:dc=';

function rssChannel({ site, scope, updated }: FeedContext, slots: TextSlots): Feed {
  return new Feed({
    title: slots.text(scope.title),
    description: slots.text(site.description || scope.title),
    link: scope.home,
    language: slots.text(site.language),
    updated,
    generator: GENERATOR,
    feedLinks: { rss: scope.rss },
  });
}

function addRssItem(feed: Feed, entry: Entry, slots: TextSlots): void {
  feed.addItem({
    title: slots.text(entry.title),
    link: entry.url,
    date: entry.published,
    // Readers show description when there is no content:encoded, and the validator wants a
    // description before content:encoded: summary + full content, or the full content alone.
    description: slots.html(entry.summary === undefined ? entry.content : escapeHtml(entry.summary)),
    ...(entry.summary === undefined ? {} : { content: slots.html(entry.content) }),
    // Without guid/id, `feed` writes the link as a permalink guid.
    ...(entry.guid === entry.url ? {} : { guid: slots.text(entry.guid) }),
    category: entry.tags.map((tag) => ({ name: slots.text(tag) })),
    ...(entry.image ? { image: { url: entry.image.url, type: entry.image.type, length: 0 } } : {}),
    // RSS <author> must be an email address; names go to Dublin Core instead.
    extensions: entry.authors.length
      ? [{ name: 'dc:creator', objects: dcCreators(entry.authors, slots) }]
      : [],
  });
}

/** One `<dc:creator>` per author: xml-js writes an array value as repeated elements. */
function dcCreators(authors: Author[], slots: TextSlots): Record<string, unknown> {
  return authors.map((a) => ({ _text: slots.text(a.name) })) as unknown as Record<string, unknown>;
}

/**
 * `feed` declares the dc namespace only along with content:encoded, so it is added when the `<rss>`
 * tag does not declare it. Only that tag counts: a title or post that mentions `xmlns:dc=` declares
 * nothing.
 */
function withDcNamespace(head: string): string {
  const start = head.indexOf('<rss');
  const rssTag = head.slice(start, head.indexOf('>', start) + 1);
  return rssTag.includes(DC_DECLARATION)
    ? head
    : head.replace('<rss version="2.0"', `<rss version="2.0" xmlns:dc="${DC_NAMESPACE}"`);
}

type RssItemText = SharedText;

function rssPieces(ctx: FeedContext): Piece[] {
  const slots = new TextSlots();
  const feed = rssChannel(ctx, slots);
  // `feed` declares the content (and dc) namespace on <rss> when an item has content:encoded.
  const withContent = ctx.items.some((entry) => entry.summary !== undefined);
  feed.addItem(placeholderItem(ctx, withContent));
  const layout = cutItems(feed.rss2(), '<item>', '</item>', 1);
  const head = slots.fill(layout.head);
  const foot = slots.fill(layout.foot);
  const items = rssItems(ctx.items);
  return [withDcNamespace(head), ...items, `${foot}\n`];
}

/** The items of `entries`; those not written yet are laid out together in one scratch feed. */
function rssItems(entries: Entry[]): RssItemText[] {
  const missing = entries.filter((entry) => entry.written.rss === undefined);
  if (missing.length > 0) {
    const slots = new TextSlots();
    const feed = scratchFeed();
    for (const entry of missing) addRssItem(feed, entry, slots);
    const { items } = cutItems(feed.rss2(), '<item>', '</item>', missing.length);
    missing.forEach((entry, index) => {
      entry.written.rss = { xml: slots.fill(items[index] ?? '') };
    });
  }
  return entries.map((entry) => entry.written.rss ?? internalError('RSS item not written'));
}

function wholeRss(ctx: FeedContext): string {
  const slots = new TextSlots();
  const feed = rssChannel(ctx, slots);
  for (const entry of ctx.items) addRssItem(feed, entry, slots);
  const xml = slots.fill(feed.rss2());
  return `${withDcNamespace(xml)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Atom 1.0

function atomFeed({ site, scope, updated }: FeedContext, slots: TextSlots): Feed {
  return new Feed({
    id: scope.home,
    title: slots.text(scope.title),
    ...(site.description ? { description: slots.text(site.description) } : {}),
    link: scope.home,
    updated,
    generator: GENERATOR,
    feedLinks: { atom: scope.atom },
    author: atomAuthor(siteAuthor(site), slots),
  });
}

function addAtomEntry(feed: Feed, entry: Entry, fallbackAuthor: Author, slots: TextSlots): void {
  const authors = entry.authors.length ? entry.authors : [fallbackAuthor];
  feed.addItem({
    // Atom titles are written with type="html", so the text is escaped once for HTML.
    title: slots.html(escapeHtml(entry.title)),
    id: entry.atomId,
    link: entry.url,
    date: entry.updated,
    published: entry.published,
    ...(entry.summary === undefined ? {} : { description: slots.html(escapeHtml(entry.summary)) }),
    content: slots.html(entry.content),
    author: authors.map((a) => atomAuthor(a, slots)),
    category: entry.tags.map((tag) => ({ term: slots.text(tag) })),
    ...(entry.image ? { image: entry.image.url } : {}),
  });
}

/** `xml:lang` on the root element, which `feed` does not write. */
function withXmlLang(head: string, site: SiteConfig): string {
  return head.replace(
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${escapeXml(stripXmlInvalid(site.language))}">`,
  );
}

/** The enclosure types of a feed's entries, by href as `feed` writes it. */
function enclosureTypes(items: Entry[]): Map<string, string> {
  const types = new Map<string, string>();
  for (const entry of items) if (entry.image) types.set(xmlAttributeUrl(entry.image.url), entry.image.type);
  return types;
}

interface AtomEntryText extends SharedText {
  /** With the enclosure type fixed. */
  xml: string;
  /**
   * The content holds `<link rel="enclosure" href="` too. The fix runs over the whole document and
   * may rewrite such text depending on the other entries of the feed, so such a feed is fixed whole.
   */
  foreignEnclosure: boolean;
}

function atomPieces(ctx: FeedContext): Piece[] {
  const slots = new TextSlots();
  const feed = atomFeed(ctx, slots);
  feed.addItem(placeholderItem(ctx));
  const layout = cutItems(feed.atom1(), '<entry>', '</entry>', 1);
  const head = withXmlLang(slots.fill(layout.head), ctx.site);
  const foot = slots.fill(layout.foot);
  const fallbackAuthor = siteAuthor(ctx.site);
  const entries = atomEntries(ctx.items, fallbackAuthor);
  if (entries.some((e) => e.foreignEnclosure) || head.includes(ENCLOSURE) || foot.includes(ENCLOSURE)) {
    // Rare enough to lay the entries out again rather than keep them unfixed as well.
    const raw = rawAtomEntries(ctx.items, fallbackAuthor).join('');
    return [`${fixEnclosureTypes(`${head}${raw}${foot}`, enclosureTypes(ctx.items))}\n`];
  }
  return [head, ...entries, `${foot}\n`];
}

/** The entries of `entries`; those not written yet are laid out together in one scratch feed. */
function atomEntries(entries: Entry[], fallbackAuthor: Author): AtomEntryText[] {
  // Only entries without authors credit the fallback author, so only theirs depend on it.
  const fallbackKey = JSON.stringify([fallbackAuthor.name, fallbackAuthor.url ?? null]);
  const key = (entry: Entry) => (entry.authors.length ? '' : fallbackKey);
  const missing = entries.filter((entry) => !entry.written.atom.has(key(entry)));
  const raws = rawAtomEntries(missing, fallbackAuthor);
  missing.forEach((entry, index) => {
    const raw = raws[index] ?? '';
    const own = entry.image ? 1 : 0;
    entry.written.atom.set(key(entry), {
      xml: own ? fixEnclosureTypes(raw, enclosureTypes([entry])) : raw,
      foreignEnclosure: occurrences(raw, ENCLOSURE) > own,
    });
  });
  return entries.map(
    (entry) => entry.written.atom.get(key(entry)) ?? internalError('Atom entry not written'),
  );
}

/** The entries as `feed` writes them, enclosure types still named after the file extension. */
function rawAtomEntries(entries: Entry[], fallbackAuthor: Author): string[] {
  if (entries.length === 0) return [];
  const slots = new TextSlots();
  const feed = scratchFeed();
  for (const entry of entries) addAtomEntry(feed, entry, fallbackAuthor, slots);
  return cutItems(feed.atom1(), '<entry>', '</entry>', entries.length).items.map((item) => slots.fill(item));
}

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

function wholeAtom(ctx: FeedContext): string {
  const slots = new TextSlots();
  const feed = atomFeed(ctx, slots);
  const fallbackAuthor = siteAuthor(ctx.site);
  for (const entry of ctx.items) addAtomEntry(feed, entry, fallbackAuthor, slots);
  const xml = withXmlLang(slots.fill(feed.atom1()), ctx.site);
  const types = enclosureTypes(ctx.items);
  // `feed` names the enclosure type after the file extension (image/jpg, image/svg); say it right.
  return `${types.size > 0 ? fixEnclosureTypes(xml, types) : xml}\n`;
}

const ENCLOSURE = '<link rel="enclosure" href="';
const TYPE = '" type="';

/**
 * Rewrites the type of every `<link rel="enclosure" href="H" type="T">` whose H is known. A scan
 * with indexOf: a regular expression tried at every position of a large feed costs far more.
 */
function fixEnclosureTypes(xml: string, types: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  let done = 0;
  let at = xml.indexOf(ENCLOSURE);
  while (at >= 0) {
    const hrefStart = at + ENCLOSURE.length;
    const hrefEnd = xml.indexOf('"', hrefStart);
    if (hrefEnd < 0) break;
    const typeStart = hrefEnd + TYPE.length;
    const typeEnd = xml.startsWith(TYPE, hrefEnd) ? xml.indexOf('"', typeStart) : -1;
    const type = typeEnd < 0 ? undefined : types.get(xml.slice(hrefStart, hrefEnd));
    if (type !== undefined) {
      parts.push(xml.slice(done, typeStart), type);
      done = typeEnd;
    }
    at = xml.indexOf(ENCLOSURE, typeEnd < 0 ? hrefEnd : typeEnd);
  }
  parts.push(xml.slice(done));
  return parts.join('');
}

/** How `feed` writes a URL into an attribute: normalised by URL, `&` escaped. */
function xmlAttributeUrl(url: string): string {
  return new URL(url).href.replace(/&/g, '&amp;');
}

function atomAuthor(author: Author, slots: TextSlots): FeedAuthor {
  return { name: slots.text(author.name), ...(author.url ? { link: author.url } : {}) };
}

// ---------------------------------------------------------------------------------------------
// JSON Feed 1.1

interface JsonFeedAuthor {
  name: string;
  url?: string;
}

/** `feed` writes JSON Feed 1.0 with a single `author`; we keep its item layout and bring it to 1.1. */
function addJsonItem(feed: Feed, entry: Entry): void {
  feed.addItem({
    id: entry.guid,
    title: entry.title,
    link: entry.url,
    date: entry.updated,
    published: entry.published,
    ...(entry.summary === undefined ? {} : { description: entry.summary }),
    content: entry.content,
    ...(entry.image ? { image: entry.image.url } : {}),
    category: entry.tags.map((tag) => ({ name: tag })),
  });
}

/** The 1.1 item: `feed`'s item with `authors` and the language. */
function jsonItem(item: Record<string, unknown>, entry: Entry, site: SiteConfig): Record<string, unknown> {
  return {
    ...item,
    ...(entry.authors.length ? { authors: entry.authors.map(jsonAuthor) } : {}),
    language: site.language,
  };
}

function jsonFeed({ site, scope }: FeedContext, items: unknown[]): Record<string, unknown> {
  const author = siteAuthor(site);
  return {
    version: JSON_FEED_VERSION,
    title: stripXmlInvalid(scope.title),
    home_page_url: scope.home,
    feed_url: scope.json,
    description: stripXmlInvalid(site.description),
    language: site.language,
    authors: [jsonAuthor({ name: stripXmlInvalid(author.name), ...(author.url ? { url: author.url } : {}) })],
    items,
  };
}

/** Marks where the items go; U+FFFF is in no text of a feed (see MARK). */
const JSON_ITEMS = `${MARK}items${MARK}`;
/** Items are written two levels deep: objects in `items` in the feed object. */
const JSON_ITEM_INDENT = '    ';

function jsonPieces(ctx: FeedContext): Piece[] {
  if (ctx.items.length === 0) return [`${JSON.stringify(jsonFeed(ctx, []), null, 2)}\n`];
  const layout = JSON.stringify(jsonFeed(ctx, [JSON_ITEMS]), null, 2);
  const at = layout.lastIndexOf(JSON.stringify(JSON_ITEMS));
  if (at < 0) throw new FeedError('internal: no JSON Feed items to replace');
  const items = jsonItems(ctx.items, ctx.site);
  const between = `,\n${JSON_ITEM_INDENT}`;
  return [
    layout.slice(0, at),
    ...items.flatMap((item, i) => (i === 0 ? [item] : [between, item])),
    `${layout.slice(at + JSON_ITEMS.length + 2)}\n`,
  ];
}

/** The items of `entries`; those not written yet are laid out together in one scratch feed. */
function jsonItems(entries: Entry[], site: SiteConfig): SharedText[] {
  const missing = entries.filter((entry) => !entry.written.json.has(site.language));
  if (missing.length > 0) {
    const feed = scratchFeed();
    for (const entry of missing) addJsonItem(feed, entry);
    const { items } = JSON.parse(feed.json1()) as { items: Record<string, unknown>[] };
    if (items.length !== missing.length) internalError('JSON Feed items missing');
    missing.forEach((entry, index) => {
      const item = jsonItem(items[index] ?? {}, entry, site);
      // JSON.stringify escapes line breaks inside strings, so every raw one is layout.
      const text = JSON.stringify(item, null, 2).replaceAll('\n', `\n${JSON_ITEM_INDENT}`);
      entry.written.json.set(site.language, { xml: text });
    });
  }
  return entries.map(
    (entry) => entry.written.json.get(site.language) ?? internalError('JSON Feed item not written'),
  );
}

function wholeJson(ctx: FeedContext): string {
  const feed = new Feed({
    title: stripXmlInvalid(ctx.scope.title),
    description: stripXmlInvalid(ctx.site.description),
    link: ctx.scope.home,
    generator: GENERATOR,
    feedLinks: { json: ctx.scope.json },
  });
  for (const entry of ctx.items) addJsonItem(feed, entry);
  const base = JSON.parse(feed.json1()) as { items: Record<string, unknown>[] };
  const items = base.items.map((item, index) => {
    const entry = ctx.items[index];
    if (entry === undefined) throw new FeedError(`internal: JSON Feed item ${index} has no post`);
    return jsonItem(item, entry, ctx.site);
  });
  return `${JSON.stringify(jsonFeed(ctx, items), null, 2)}\n`;
}

function jsonAuthor(author: Author): JsonFeedAuthor {
  const url = author.url === undefined ? undefined : absoluteHttpUrl(author.url);
  return { name: author.name, ...(url ? { url } : {}) };
}
