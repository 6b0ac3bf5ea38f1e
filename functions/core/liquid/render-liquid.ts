import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  type FS,
  Liquid,
  type LiquidOptions,
  Parser,
  type StaticAnalysis,
  type TagToken,
  type Template,
  type TopLevelToken,
  TypeGuards,
} from 'liquidjs';
import { ContentError } from '../errors.ts';
import type { Post, SiteConfig } from '../model.ts';
import { renderMarkdown } from '../render-markdown.ts';
import { exactJson, type TextMemo } from '../text-memo.ts';
import { renderTemplatesDirectly, withDirectRender } from './direct-render.ts';
import { fastTokenizer } from './fast-scan.ts';
import { jekyllFilters } from './jekyll-filters.ts';
import {
  HighlightTag,
  IncludeRelativeTag,
  JekyllIncludeTag,
  linkTag,
  postUrlTag,
  type TagLookups,
} from './jekyll-tags.ts';
import { RubyTime } from './ruby-values.ts';
import { type SiteFiles, sitePath } from './site-files.ts';
import { smartify } from './smartify.ts';

/** A post with the path of its file inside the site folder (`_posts/2026-01-02-x.md`). */
export interface LiquidPost {
  post: Post;
  relativePath: string;
  /**
   * The file's text before the body (its front matter), when known: hashed for the build cache's key
   * instead of the parsed front matter, which is derived from it and the settings.
   */
  frontMatter?: string;
}

/** Everything Liquid sees of a Jekyll site. */
export interface LiquidSite {
  site: SiteConfig;
  /** The whole `_config.yml` mapping: every key reaches `site.*`. */
  config: Record<string, unknown>;
  /** `site.data`, from `_data/` (see `readSiteData`). */
  data: Record<string, unknown>;
  /** The posts on the site (`site.posts`, `post_url`), any order. */
  posts: readonly LiquidPost[];
  /** Other files `link` may name, with their URL without baseurl (pages such as `about.md`). */
  links?: readonly { relativePath: string; url: string }[];
  /** Where `include` and `include_relative` read files. */
  files: SiteFiles;
  /** `site.time`: the build's instant. */
  time: Date;
  /** `jekyll.environment`. Default `production`. */
  environment?: string;
  /** Jekyll's `excerpt_separator` (front matter wins). Default a blank line. */
  excerptSeparator?: string;
  /**
   * Keeps rendered bodies between builds (the CLI's build cache), for posts whose Liquid reads nothing
   * that changes without their inputs changing (see `memoKey` in {@link createJekyllLiquid}).
   */
  memo?: TextMemo;
}

/** Bounds that keep one post from stalling a build or the publish Lambda. */
export const LIQUID_LIMITS = {
  /** Characters of template text parsed per render. */
  parseLimit: 2_000_000,
  /** Milliseconds a single post may spend rendering. */
  renderLimit: 5_000,
  /** Loop iterations, array lengths and string sizes one render may allocate (liquidjs's accounting). */
  memoryLimit: 20_000_000,
} as const;

/** Renders the Liquid in posts' bodies as Jekyll does before Markdown. */
export interface JekyllLiquid {
  /**
   * The post's body with its Liquid rendered (the body itself when it has no Liquid or says
   * `render_with_liquid: false`).
   * @throws {ContentError} naming the file and line of an unknown tag, a syntax error, a missing `link` or
   *   `post_url` target, or a render that exceeds {@link LIQUID_LIMITS}.
   */
  render(post: LiquidPost): Promise<string>;
  /**
   * Whether the post's Liquid (its includes too) reads what other posts change: `site.posts`,
   * `site.tags`, `site.categories`, `site.related_posts`, `page.next`/`page.previous`, or `site` whole.
   * Such a post is stale when another post is published or removed. A post whose Liquid does not parse
   * counts as reading them.
   */
  listsPosts(post: LiquidPost): Promise<boolean>;
}

/** The `site` and `page` fields whose value depends on the other posts. */
const SITE_LISTINGS = new Set(['posts', 'tags', 'categories', 'related_posts']);
const PAGE_NEIGHBOURS = new Set(['next', 'previous']);

/** Whether analysed Liquid reads `site.posts` …, `page.next`/`previous`, or `site` or `page` whole. */
function readsFields(globals: StaticAnalysis['globals']): boolean {
  const reads = (root: string, fields: ReadonlySet<string>) =>
    (globals[root] ?? []).some((v) => {
      const field = v.segments[1];
      return field === undefined || typeof field !== 'string' || fields.has(field);
    });
  return reads('site', SITE_LISTINGS) || reads('page', PAGE_NEIGHBOURS);
}

/**
 * Where the first `{{` or `{%` in `text` is, or -1. indexOf finds each `{` far faster than a regular
 * expression walks a post (Markdown has few braces).
 */
export function liquidStart(text: string): number {
  for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) {
    const next = text.charCodeAt(at + 1);
    if (next === 123 /* { */ || next === 37 /* % */) return at;
  }
  return -1;
}

/** Whether `text` holds any Liquid markup. */
export const hasLiquid = (text: string): boolean => liquidStart(text) !== -1;

/**
 * Builds the Liquid environment of a Jekyll site: liquidjs configured like Jekyll (strict about syntax and
 * unknown tags and filters, lax about undefined variables), Jekyll's tags (`highlight`, `link`,
 * `post_url`, `include`, `include_relative`) and filters, and the `site`, `page` and `jekyll` objects. A post
 * sees nothing else: no environment, no other files than `_includes/` and its own folder.
 */
export function createJekyllLiquid(input: LiquidSite): JekyllLiquid {
  const { site } = input;
  const rendered = new Map<Post, string>();
  const separatorOf = (post: Post): string => {
    const own = post.data.excerpt_separator;
    return typeof own === 'string' ? own : (input.excerptSeparator ?? '\n\n');
  };
  const excerptOf = (post: Post): string => {
    const body = rendered.get(post) ?? post.body;
    const separator = separatorOf(post);
    const at = separator === '' ? -1 : body.indexOf(separator);
    return renderMarkdown(at === -1 ? body : body.slice(0, at));
  };

  const sorted = [...input.posts].sort(
    (a, b) => b.post.date.getTime() - a.post.date.getTime() || b.relativePath.localeCompare(a.relativePath),
  );
  // Drops are made when a render first needs them: a build whose renders are all kept makes none.
  const drops = new Map<Post, Record<string, unknown>>();
  const positions = new Map(sorted.map((entry, i) => [entry.post, i]));
  let allDrops: Record<string, unknown>[] | undefined;
  const postDrops = () => {
    allDrops ??= sorted.map(dropOf);
    return allDrops;
  };
  const dropOf = (entry: LiquidPost): Record<string, unknown> => {
    const cached = drops.get(entry.post);
    if (cached) return cached;
    // Jekyll's previous/next: by date, oldest first. Not tracked by `readsChanging`: liquidjs reads `next`
    // of every value it meets (is it an iterator?), so posts whose markup names them are never kept
    // (`UNKEYED_MARKUP`).
    const i = positions.get(entry.post);
    const drop = postDrop(entry, site, {
      excerpt: () => excerptOf(entry.post),
      next: () => (i === undefined ? undefined : postDrops()[i - 1]),
      previous: () => (i === undefined ? undefined : postDrops()[i + 1]),
    });
    drops.set(entry.post, drop);
    return drop;
  };
  /**
   * Set when a render reads what can change while the post, the settings, data and includes stay the
   * same: other posts (through `site.posts`, `site.tags` …) or the clock (`site.time`).
   * Such a render is not kept between builds.
   */
  let readsChanging = false;
  const changing = <T>(value: () => T) => {
    let known: { value: T } | undefined;
    return {
      enumerable: true,
      configurable: true,
      get: (): T => {
        readsChanging = true;
        known ??= { value: value() };
        return known.value;
      },
    };
  };
  const config = input.config;
  const siteObject: Record<string, unknown> = {
    ...config,
    title: site.title,
    url: typeof config.url === 'string' ? config.url : site.url,
    baseurl: typeof config.baseurl === 'string' ? config.baseurl : site.baseurl,
  };
  Object.defineProperties(siteObject, {
    time: changing(() => new RubyTime(input.time, site.timezone)),
    posts: changing(() => postDrops()),
    related_posts: changing(() => postDrops().slice(0, 10)),
    tags: changing(() => groupDrops(sorted, (p) => p.tags, dropOf)),
    categories: changing(() => groupDrops(sorted, (p) => p.categories, dropOf)),
  });
  siteObject.data = input.data;
  const jekyll = { environment: input.environment ?? 'production' };

  const urls = new Map<string, string>();
  for (const entry of input.posts) urls.set(entry.relativePath, entry.post.path);
  for (const link of input.links ?? []) urls.set(link.relativePath, link.url);
  const postRefs = input.posts.map((entry) => ({
    relativePath: entry.relativePath,
    url: entry.post.path,
    day: posix.basename(entry.relativePath).slice(0, 10),
    slug: entry.post.slug,
  }));
  const filters = jekyllFilters({
    url: site.url,
    baseurl: site.baseurl,
    timezone: site.timezone,
    now: input.time,
    markdown: renderMarkdown,
    smartify,
  });
  const stems = new Map(postRefs.map((p) => [p.relativePath.replace(/\.[^./]+$/, ''), p]));
  const lookups: TagLookups = {
    urlOf: (path) => urls.get(path),
    posts: () => postRefs,
    postByStem: (stem) => stems.get(stem),
    relativeUrl: (url) => filters.relative_url?.call(undefined as never, url) as string,
  };

  const fs = siteFs(input.files);
  const liquid = new Liquid({
    fs,
    root: [''],
    partials: ['_includes'],
    relativeReference: true,
    extname: '',
    jekyllInclude: true,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    timezoneOffset: site.timezone,
    cache: fs.cache,
    ...LIQUID_LIMITS,
  });
  for (const [name, filter] of Object.entries(filters)) liquid.registerFilter(name, filter as never);
  liquid.registerTag('highlight', HighlightTag);
  liquid.registerTag('link', linkTag(lookups));
  liquid.registerTag('post_url', postUrlTag(lookups));
  liquid.registerTag('include', JekyllIncludeTag);
  liquid.registerTag('include_relative', IncludeRelativeTag);
  renderTemplatesDirectly(liquid);
  // Includes are parsed by liquidjs's own parser: their text and outputs get the direct render too.
  const partials = liquid.parser;
  const ownParseToken = partials.parseToken.bind(partials);
  partials.parseToken = (token, remain) => withDirectRender(ownParseToken(token, remain), token);

  const parse = fragmentParser(liquid);

  const { memo } = input;
  let keyBase:
    | { digest: string; unkeyed: boolean; includesLink: boolean; includesBody: boolean; links: string }
    | undefined;
  /** What every post's key holds (settings, data, includes), read once `_includes/` is loaded. */
  const base = () => {
    if (keyBase) return keyBase;
    const includes = fs.includes();
    const includeText = includes.map(([, text]) => text).join('\n');
    const settings = [site, config, input.data, jekyll, input.excerptSeparator ?? null, includes];
    keyBase = {
      digest: createHash('sha1').update(exactJson(settings)).digest('hex'),
      unkeyed: unkeyedMarkup(includeText) || mentionsNow(config) || mentionsNow(input.data),
      includesLink: LINK_TAGS.test(includeText),
      includesBody: READS_BODY.test(includeText),
      links: createHash('sha1')
        .update(JSON.stringify([postRefs, input.links ?? []]))
        .digest('hex'),
    };
    return keyBase;
  };
  /**
   * The key a post's rendered body is kept under: its Liquid part (the whole body when the markup may read
   * it: `page.content`, `page.excerpt`), front matter and path, the site's settings, data and includes,
   * and (for `link` and `post_url`) every post's and page's URL. `undefined` for a post
   * whose markup may read what none of that holds (`UNKEYED_MARKUP`): it is rendered every time. A render
   * that reads other posts or `site.time` is not kept either (see `readsChanging`).
   */
  const memoKey = (entry: LiquidPost, middle: string): string | undefined => {
    const { post } = entry;
    const b = base();
    const { frontMatter } = entry;
    if (b.unkeyed || unkeyedMarkup(middle)) return undefined;
    if (frontMatter === undefined ? mentionsNow(post.data) : NOW_WORDS.test(frontMatter)) return undefined;
    const links = b.includesLink || LINK_TAGS.test(middle) ? b.links : '';
    // The text around the Liquid part is output as it is; only markup that reads the body sees it.
    const source = b.includesBody || READS_BODY.test(middle) ? post.body : middle;
    const page = [entry.relativePath, post.sourcePath, post.path, post.slug, post.title, post.date.getTime()];
    const fields = [post.tags, post.categories, post.draft, post.summary ?? null];
    // Front matter with the settings (in `b.digest`) decides `post.data`: its text is cheaper to hash than
    // the parsed mapping is to write out (which must tell Dates from strings).
    const data = frontMatter === undefined ? exactJson(post.data) : JSON.stringify(frontMatter);
    // Hashed part by part: one string of them all would be a copy of the body (two bytes a character in
    // most posts) made only to be hashed. Measured in whole cold builds of 1,000 posts: 24 to 29 ms, against
    // 40 to 54 ms for a one-shot hash of the concatenation (and its garbage).
    return createHash('sha1')
      .update(
        `${b.digest}\0${links}\0${JSON.stringify([...page, ...fields])}\0${data}\0${source === middle ? 'part' : 'body'}\0`,
      )
      .update(source)
      .digest('base64');
  };
  /** Renders through `memo`: kept unless the render read what changes by itself (`readsChanging`). */
  const memoRendered = (memo: TextMemo, key: string, render: () => string | undefined) => {
    let unkept: string | undefined;
    try {
      return memo('liquid', key, () => {
        readsChanging = false;
        const body = render();
        if (body === undefined) throw new NotReadYet(key);
        if (readsChanging) {
          unkept = body;
          throw new Error('read what changes by itself: not kept');
        }
        return body;
      });
    } catch (error) {
      if (unkept !== undefined) return unkept;
      if (notReadYet(error)) return undefined;
      throw error;
    }
  };

  return {
    async listsPosts(entry) {
      const { post } = entry;
      if (post.data.render_with_liquid === false || !hasLiquid(post.body)) return false;
      await fs.preload();
      try {
        const templates = parse(liquidSpan(post.body).middle, entry.relativePath, false);
        const { globals } = await liquid.analyze(templates, { partials: true });
        return readsFields(globals);
      } catch {
        return true;
      }
    },
    async render(entry) {
      const { post } = entry;
      const open = post.data.render_with_liquid === false ? -1 : liquidStart(post.body);
      if (open === -1) {
        rendered.set(post, post.body);
        return post.body;
      }
      // Text before the first and after the last Liquid delimiter is output as it is; only the middle is
      // handed to liquidjs, whose tokenizer would otherwise walk every character of a long post.
      const { head, middle, tail } = liquidSpan(post.body, open);
      let made: Record<string, unknown> | undefined;
      const scope = () => {
        made ??= { site: siteObject, page: dropOf(entry), jekyll };
        return made;
      };
      await fs.preload();
      const done = (body: string): string => {
        // One flat string: a concatenation stays a rope, which the first hash of the body (the Markdown
        // cache key) flattens slowly: 50 to 60 ms per 1,000 posts here, against 4 to 11 ms flat.
        const out = [head, body, tail].join('');
        rendered.set(post, out);
        return out;
      };
      try {
        let shared: Template[] | undefined;
        const templates = () => {
          shared ??= parse(middle, entry.relativePath, true);
          return shared;
        };
        // Synchronous rendering skips liquidjs's promise per tag and filter (most of its cost on a large
        // blog); a post that includes a file not read yet is rendered again asynchronously.
        const renderSync = () => fs.renderSync(() => liquid.renderSync(templates(), scope()) as string);
        const key = memo && memoKey(entry, middle);
        const body = memo && key !== undefined ? memoRendered(memo, key, renderSync) : renderSync();
        return done(body ?? ((await liquid.render(templates(), scope())) as string));
      } catch {
        // Shared fragments carry the position of the post they were first parsed in: parse this post on
        // its own and render again, so an error names this file and line.
      }
      try {
        const templates = parse(middle, entry.relativePath, false);
        return done((await liquid.render(templates, scope())) as string);
      } catch (error) {
        // Lines before the Liquid part are counted only for an error's line number.
        throw liquidProblem(error, post, entry.relativePath, countLines(head));
      }
    },
  };
}

/**
 * Liquid markup that makes a post's output depend on more than its cache key holds: the clock (`"now"`),
 * files besides `_includes/` (`include_relative`), or the neighbouring posts (`page.next`, `page.previous`,
 * or `page[…]`, which could name them).
 */
const UNKEYED_MARKUP = /include_relative|["'](?:now|today)["']|\b(?:next|previous)\b|\bpage\s*\[/;
/**
 * Every match of UNKEYED_MARKUP holds one of these words or matches PAGE_INDEX: `includes` and a pattern
 * that starts with a plain word find them far faster than UNKEYED_MARKUP scans a post.
 */
const UNKEYED_WORDS = ['include_relative', 'now', 'today', 'next', 'previous'];
const PAGE_INDEX = /page\s*\[/;
const MARKUP = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

/**
 * Whether a tag or output in `text` matches UNKEYED_MARKUP (which never looks past a `{{`/`{%` or
 * `}}`/`%}`). Text with none of its words has no such markup: one quick check decides most posts.
 */
function unkeyedMarkup(text: string): boolean {
  if (!UNKEYED_WORDS.some((word) => text.includes(word)) && !PAGE_INDEX.test(text)) return false;
  if (!UNKEYED_MARKUP.test(text)) return false;
  for (const [markup] of text.matchAll(MARKUP)) if (UNKEYED_MARKUP.test(markup)) return true;
  return false;
}

/**
 * Markup that may read the post's own body: `page.content`, `page.excerpt`, or `page` whole (`page |
 * jsonify`, `page[…]`). Anything that names them, even in text, counts.
 */
const READS_BODY = /\b(?:content|excerpt)\b|\bpage\b(?!\.[A-Za-z_])/;

/** Tags whose output depends on the other posts' and pages' URLs. */
const LINK_TAGS = /\{%-?\s*(?:link|post_url)\b/;

/** Text that may hold the value `now` or `today` (see {@link mentionsNow}). */
const NOW_WORDS = /\b(?:now|today)\b/i;

/** Whether a value holds the text `now` or `today`, which Jekyll's date filters read as the build's clock. */
function mentionsNow(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value === 'now' || value === 'today';
  if (depth > 20 || value === null || typeof value !== 'object' || value instanceof Date) return false;
  const values = Array.isArray(value) ? value : Object.values(value);
  return values.some((v) => mentionsNow(v, depth + 1));
}

/** What a post's drop computes when it is read: its excerpt and its neighbours. */
interface DropReads {
  excerpt(): string;
  next(): unknown;
  previous(): unknown;
}

const dropReads = new WeakMap<object, DropReads>();

/**
 * The accessors every drop shares. One getter for all drops keeps them to one shape: a getter made per
 * drop gives each its own hidden class, which made a drop cost 30 to 40 µs (1,000 posts: 30 to 40 ms).
 */
const DROP_ACCESSORS: PropertyDescriptorMap = {
  excerpt: {
    enumerable: true,
    get(this: object) {
      return dropReads.get(this)?.excerpt();
    },
  },
  toJSON: {
    enumerable: false,
    value(this: Record<string, unknown>) {
      const { content: _content, ...rest } = this;
      return rest;
    },
  },
  next: {
    enumerable: false,
    get(this: object) {
      return dropReads.get(this)?.next();
    },
  },
  previous: {
    enumerable: false,
    get(this: object) {
      return dropReads.get(this)?.previous();
    },
  },
};

/**
 * `page` (and each of `site.posts`): front matter plus what Jekyll computes for a post. Front matter is
 * copied key by key rather than spread: V8's spread into a literal that then gets more keys was most of
 * a drop's cost. A `__proto__` key of front matter stays an own property, as the spread kept it.
 */
function postDrop(entry: LiquidPost, site: SiteConfig, reads: DropReads): Record<string, unknown> {
  const { post } = entry;
  const drop: Record<string, unknown> = {};
  for (const key of Object.keys(post.data)) {
    const value = post.data[key];
    if (key === '__proto__') {
      Object.defineProperty(drop, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      drop[key] = value;
    }
  }
  drop.title = post.title;
  drop.url = post.path;
  drop.id = posix.join(posix.dirname(post.path), post.slug);
  drop.date = new RubyTime(post.date, site.timezone);
  drop.path = entry.relativePath;
  drop.relative_path = entry.relativePath;
  drop.name = posix.basename(entry.relativePath);
  drop.slug = post.slug;
  drop.tags = post.tags;
  drop.categories = post.categories;
  drop.collection = 'posts';
  drop.draft = post.draft;
  drop.content = post.body;
  if (post.summary !== undefined && drop.description === undefined) drop.description = post.summary;
  dropReads.set(drop, reads);
  Object.defineProperties(drop, DROP_ACCESSORS);
  return drop;
}

function groupDrops(
  posts: readonly LiquidPost[],
  names: (post: Post) => readonly string[],
  dropOf: (entry: LiquidPost) => Record<string, unknown>,
): Record<string, unknown[]> {
  const groups: Record<string, unknown[]> = {};
  for (const entry of posts) {
    for (const name of names(entry.post)) {
      if (!Object.hasOwn(groups, name)) groups[name] = [];
      groups[name]?.push(dropOf(entry));
    }
  }
  return groups;
}

/** Tags that neither read the tokens after them nor depend on the file they are in. */
const SHAREABLE_TAGS = new Set(['assign', 'include', 'post_url', 'link', 'echo']);

/** Block tags whose parse depends only on the tokens up to their end tag. */
const SHAREABLE_BLOCKS = [
  'for',
  'if',
  'unless',
  'case',
  'capture',
  'highlight',
  'raw',
  'comment',
  'tablerow',
];
const BLOCK_OPENERS = new Set(SHAREABLE_BLOCKS);

/** Tags a shared block may hold: liquidjs's standard ones and Jekyll's that do not depend on the file. */
const TAGS_IN_SHARED_BLOCKS = new Set([
  ...SHAREABLE_TAGS,
  ...SHAREABLE_BLOCKS,
  ...SHAREABLE_BLOCKS.map((name) => `end${name}`),
  'else',
  'elsif',
  'when',
  'break',
  'continue',
  'cycle',
  'increment',
  'decrement',
]);

/**
 * How many of the tokens after `open` its block takes, its end tag included, when they hold only tags of
 * {@link TAGS_IN_SHARED_BLOCKS}; `undefined` otherwise (the block is then parsed afresh).
 */
function blockLength(open: TagToken, remain: readonly TopLevelToken[]): number | undefined {
  const end = `end${open.name}`;
  let depth = 0;
  for (let i = 0; i < remain.length; i++) {
    const token = remain[i];
    if (!TypeGuards.isTagToken(token)) continue;
    const { name } = token as TagToken;
    if (!TAGS_IN_SHARED_BLOCKS.has(name)) return undefined;
    if (name === open.name) depth++;
    else if (name === end && depth-- === 0) return i + 1;
  }
  return undefined;
}

/**
 * A parser that shares the templates of identical output and self-contained tag fragments between posts
 * (`{{ site.baseurl }}`, `{% include note.html %}` …), and of identical blocks (a `for` loop or a
 * `highlight` block written the same in every post): templates hold no render state, and a large blog
 * repeats the same few dozen fragments in every post. A block is shared only when its parse took exactly
 * the tokens up to its end tag, so the same text always stands for the same tokens. `shared: false`
 * parses everything afresh, for error positions.
 */
function fragmentParser(liquid: Liquid): (text: string, file: string, shared: boolean) => Template[] {
  type Parsed = ReturnType<Parser['parseToken']>;
  const fragments = new Map<string, Parsed>();
  const blocks = new Map<string, { template: Parsed; length: number }>();
  // One parser for every shared parse (a parser holds no state besides its parse limit, renewed per post).
  const parser = new Parser(liquid);
  type Limiter = { use(length: number): void };
  const limited = parser as unknown as { parseLimit: Limiter };
  // liquidjs's Limiter, which it does not export.
  const Limit = limited.parseLimit.constructor as new (resource: string, limit: number) => Limiter;
  const own = parser.parseToken.bind(parser);
  parser.parseToken = (token: TopLevelToken, remain: TopLevelToken[]) => {
    const tag = TypeGuards.isTagToken(token) ? (token as TagToken) : undefined;
    const length = tag && BLOCK_OPENERS.has(tag.name) ? blockLength(tag, remain) : undefined;
    const last = length === undefined ? undefined : remain[length - 1];
    if (tag && length !== undefined && last) {
      const key = tag.input.slice(tag.begin, last.end);
      const known = blocks.get(key);
      if (known?.length === length) {
        remain.splice(0, length);
        return known.template;
      }
      const before = remain.length;
      const template = withDirectRender(own(token, remain), token);
      if (before - remain.length === length) blocks.set(key, { template, length });
      return template;
    }
    const key = TypeGuards.isOutputToken(token)
      ? `{{${(token as unknown as { content: string }).content}`
      : tag && SHAREABLE_TAGS.has(tag.name)
        ? `{%${tag.name} ${tag.args}`
        : undefined;
    if (key === undefined) return withDirectRender(own(token, remain), token);
    let template = fragments.get(key);
    if (!template) {
      template = withDirectRender(own(token, remain), token);
      fragments.set(key, template);
    }
    return template;
  };
  return (text, file, shared) => {
    if (!shared) return new Parser(liquid).parse(text, file);
    // Parser.parse, with a tokenizer that scans with indexOf; the limit counts this text alone.
    limited.parseLimit = new Limit('parse length', liquid.options.parseLimit);
    limited.parseLimit.use(text.length);
    const { operators, groupedExpressions } = liquid.options;
    const tokenizer = fastTokenizer(text, operators, file, undefined, groupedExpressions);
    return parser.parseTokens(tokenizer.readTopLevelTokens(liquid.options));
  };
}

/** Thrown by the synchronous file system for a file that has not been read yet. */
class NotReadYet extends Error {
  override name = 'NotReadYet';
}

function notReadYet(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; depth++) {
    if (e instanceof NotReadYet) return true;
    e = (e as { originalError?: unknown }).originalError ?? e.cause;
  }
  return false;
}

const INCLUDES = '_includes/';

/** liquidjs's file system and parse cache over the site's files. */
interface SiteFs extends FS {
  cache: Exclude<LiquidOptions['cache'], number | boolean | undefined>;
  /** Reads `_includes/` once, so most renders need no asynchronous read. */
  preload(): Promise<void>;
  /** Runs a synchronous render (or analysis); `undefined` when it needs a file not read yet. */
  renderSync<T>(render: () => T): T | undefined;
  /** The files of `_includes/` with their text, by path, once {@link preload} is done. */
  includes(): [path: string, text: string][];
}

/**
 * liquidjs's file system over the site's files: only paths inside the site, never dotfiles. Files read
 * once are kept, so the synchronous calls answer from memory; `_includes/` is read whole up front.
 */
function siteFs(files: SiteFiles): SiteFs {
  const known = new Map<string, string | undefined>();
  let includesRead: Promise<void> | undefined;
  let includesComplete = false;
  let syncing = false;
  const read = async (path: string) => {
    if (known.has(path)) return known.get(path);
    const text = await files.read(path);
    known.set(path, text);
    return text;
  };
  const readSync = (path: string): string | undefined => {
    if (known.has(path)) return known.get(path);
    if (includesComplete && path.startsWith(INCLUDES)) return undefined;
    throw new NotReadYet(path);
  };
  const parsed = new Map<string, Template[] | Promise<Template[]>>();
  return {
    sep: '/',
    dirname: (file) => posix.dirname(file),
    resolve(dir, file) {
      const path = sitePath(`${dir}/${file}`);
      if (path === undefined) throw new Error(`'${file}' is outside the site's _includes folder`);
      return path;
    },
    contains: async (_root, file) => sitePath(file) === file,
    containsSync: (_root, file) => sitePath(file) === file,
    exists: async (path) => (await read(path)) !== undefined,
    existsSync: (path) => readSync(path) !== undefined,
    readFile: async (path) => {
      const text = await read(path);
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    readFileSync: (path) => {
      const text = readSync(path);
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    cache: {
      read(key) {
        const value = parsed.get(key);
        if (syncing && value instanceof Promise) throw new NotReadYet(key);
        return value;
      },
      write(key, templates) {
        parsed.set(key, templates);
        if (templates instanceof Promise) {
          templates.then(
            (done) => {
              if (parsed.get(key) === templates) parsed.set(key, done);
            },
            () => parsed.delete(key),
          );
        }
      },
      remove(key) {
        parsed.delete(key);
      },
    },
    preload() {
      includesRead ??= (async () => {
        const paths = await files.list(INCLUDES);
        await Promise.all(paths.map(read));
        includesComplete = true;
      })();
      return includesRead;
    },
    includes() {
      const out: [string, string][] = [];
      for (const [path, text] of known) {
        if (path.startsWith(INCLUDES) && text !== undefined) out.push([path, text]);
      }
      return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    renderSync(render) {
      syncing = true;
      try {
        return render();
      } catch (error) {
        if (notReadYet(error)) return undefined;
        throw error;
      } finally {
        syncing = false;
      }
    },
  };
}

/**
 * Splits a body into the literal text before the first `{{`/`{%`, the part liquidjs must see, and the
 * literal text after the last `}}`/`%}`. Whitespace next to the cut stays with the middle, so whitespace
 * control (`{%-`, `-%}`) trims exactly what it would have trimmed.
 */
export function liquidSpan(
  body: string,
  open = liquidStart(body),
): { head: string; middle: string; tail: string } {
  if (open === -1) return { head: body, middle: '', tail: '' };
  let start = open;
  while (start > 0 && /\s/.test(body[start - 1] ?? '')) start--;
  const close = Math.max(body.lastIndexOf('}}'), body.lastIndexOf('%}'));
  let end = close < open ? body.length : close + 2;
  while (end < body.length && /\s/.test(body[end] ?? '')) end++;
  return { head: body.slice(0, start), middle: body.slice(start, end), tail: body.slice(end) };
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** A liquidjs error as a content problem: the file and line of the tag, in the post or an include. */
function liquidProblem(error: unknown, post: Post, relativePath: string, offset: number): unknown {
  if (!(error instanceof Error)) return error;
  const token = (error as { token?: { file?: string; getPosition?: () => [number, number] } }).token;
  const [line, column] = token?.getPosition?.() ?? [1, 1];
  const inInclude = token?.file !== undefined && token.file !== relativePath;
  const file = inInclude ? (token?.file ?? post.sourcePath) : post.sourcePath;
  const fileLine = inInclude ? line : post.bodyLine + offset + line - 1;
  const original = (error as { originalError?: Error }).originalError;
  let message = (original?.message ?? error.message).replace(/, line:\d+, col:\d+$/, '');
  message = message.replace(
    /^tag "([^"]+)" not found$/,
    "Unknown tag '$1' (a Jekyll plugin Herald does not have?)",
  );
  message = message.replace(
    /^undefined filter: (.+)$/,
    "Unknown filter '$1' (a Jekyll plugin Herald does not have?)",
  );
  message = message.replace(
    /^ENOENT: Failed to lookup "([^"]+)" in "_includes"$/,
    "Could not locate the included file '$1' in _includes/",
  );
  const where = inInclude ? ` (included from ${post.sourcePath})` : '';
  return new ContentError(
    [{ file, line: fileLine, message: `Liquid error at column ${column}: ${message}${where}` }],
    {
      cause: error,
    },
  );
}
