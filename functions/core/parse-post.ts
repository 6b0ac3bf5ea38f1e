import { posix } from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ContentError, type ContentProblem } from './errors.ts';
import { deepMerge } from './jekyll-config.ts';
import type { Author, Post, SiteConfig } from './model.ts';
import { parseDateValue } from './parse-date.ts';
import { buildPermalink, PermalinkError } from './permalink.ts';
import { readYaml, readYamlMemo, type YamlSource, YamlSyntaxError } from './read-yaml.ts';
import { MAX_MARKDOWN_NESTING, tooDeeplyNested } from './render-markdown.ts';
import { splitFrontMatter } from './split-front-matter.ts';
import type { TextMemo } from './text-memo.ts';
import { issuesToProblems, quote } from './zod-problems.ts';
import { zoneNamed } from './zones.ts';

/** The source of one post. */
export interface PostInput {
  /** Path of the file, used in messages and as `Post.sourcePath`; its name carries date and slug. */
  path: string;
  /** The whole file: front matter and Markdown body. */
  source: string;
  /**
   * The site folder `path` lies in. Folders between it and a `_posts` folder are categories, as in Jekyll's
   * `<category>/_posts/`. Without it, `path` is read as relative to the site folder (e.g. an S3 key).
   */
  root?: string;
  /** Front matter defaults (Jekyll's `defaults:` for this file); the file's own front matter wins. */
  defaults?: Record<string, unknown>;
  /** A Jekyll draft (`_drafts/slug.md`): the name carries no date, and this is its date unless front matter gives one. */
  draftDate?: Date;
  /** Keeps the parsed front matter between builds (see {@link TextMemo}). */
  memo?: TextMemo;
}

const POST_FILE = /^(\d{4}-\d{2}-\d{2})-(.+)\.(md|markdown)$/i;
const DATE_HINT =
  'use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] [+HHMM] or ISO 8601 such as 2026-09-24T19:00:00+02:00';

const text = z.union([z.string(), z.number().transform(String)]);
const authorEntry = z.union(
  [
    z.string().transform((name): Author => ({ name })),
    z.object({ name: text, email: z.email().optional(), url: z.url().optional() }),
  ],
  { error: 'expected a name or a mapping with name, email, url' },
);
const wordList = z.union([z.string().transform((s) => s.split(/\s+/)), z.array(text)], {
  error: 'expected a list or a space-separated string',
});

// Only the keys Herald reads are checked; everything else stays in `data` untouched (layout, math, ...).
const frontMatterSchema = z.looseObject({
  title: text.pipe(z.string().trim().min(1, 'must not be empty')),
  date: z.unknown().optional(),
  author: z
    .union([authorEntry, z.array(authorEntry)], { error: 'expected a name, a mapping or a list' })
    .optional(),
  summary: text.optional(),
  description: text.optional(),
  image: z
    .union([z.string(), z.looseObject({ path: z.string() })], {
      error: 'expected a URL or a mapping with path',
    })
    .optional(),
  tags: wordList.optional(),
  categories: wordList.optional(),
  category: wordList.optional(),
  draft: z.boolean().optional(),
  published: z.boolean().optional(),
  email: z.boolean().optional(),
  subject: text.optional(),
  id: text.pipe(z.string().trim().min(1, 'must not be empty')).optional(),
  slug: z
    .string()
    .regex(/^(?!\.+$)[^/\s]+$/, 'must be one path segment without spaces')
    .optional(),
  permalink: z.string().min(1).optional(),
  last_modified_at: z.unknown().optional(),
  updated: z.unknown().optional(),
});

/**
 * Parses and validates one post: Jekyll-style YAML front matter plus Markdown body.
 *
 * The date comes from the file name `YYYY-MM-DD-slug.md` unless front matter `date` overrides it; a date
 * without a zone is wall-clock time in the site's `timezone`. The page path follows the site's (or the
 * post's) permalink, and `guid` is what jekyll-feed used as entry id, so readers moving from a Jekyll feed
 * see no old items again. Drafts are returned with `draft: true`, not dropped.
 *
 * @throws {ContentError} naming file, line and field of every problem in the post.
 */
export function parsePost(input: PostInput, site: SiteConfig): Post {
  const file = input.path;
  const problems: ContentProblem[] = [];
  const problem = (line: number | undefined, field: string | undefined, message: string): void => {
    problems.push({ file, line: line ?? 1, ...(field ? { field } : {}), message });
  };

  const name = posix.basename(file.replace(/\\/g, '/'));
  const nameMatch =
    input.draftDate === undefined ? POST_FILE.exec(name) : /^()(.+)\.(md|markdown)$/i.exec(name);
  if (!nameMatch) {
    problem(
      1,
      undefined,
      /\.(md|markdown)$/i.test(name)
        ? `file name '${name}' must start with the post's date: YYYY-MM-DD-slug.md`
        : `'${name}' is not a Markdown post: posts are named YYYY-MM-DD-slug.md or .markdown`,
    );
    throw new ContentError(problems);
  }
  const [, nameDate = '', nameSlug = ''] = nameMatch;

  const { data, yaml, body, bodyLine } = readFrontMatter(input.source, file, input.memo);
  const lineOf = (...path: PropertyKey[]): number | undefined => yaml?.lineOf(path);
  const nested = tooDeeplyNested(body);
  if (nested) {
    throw new ContentError([
      {
        file,
        line: bodyLine + nested.line - 1,
        message: `quotes or lists nested ${nested.depth} levels deep; at most ${MAX_MARKDOWN_NESTING} are allowed`,
      },
    ]);
  }

  const merged = input.defaults ? deepMerge(input.defaults, data) : data;
  const given = withoutNulls(merged);
  const readDate = (field: 'date' | 'last_modified_at' | 'updated'): Date | undefined => {
    const value = given[field];
    const parsed = typeof value === 'string' ? parseDateValue(value, site.timezone) : undefined;
    if (!parsed) problem(lineOf(field), field, `unparsable date ${quote(value)}; ${DATE_HINT}`);
    return parsed;
  };
  let date: Date | undefined;
  if (given.date !== undefined) date = readDate('date');
  else if (input.draftDate !== undefined) date = input.draftDate;
  else {
    date = parseDateValue(nameDate, site.timezone);
    if (!date)
      problem(1, undefined, `file name '${name}' starts with ${nameDate}, which is not a valid date`);
  }
  const updatedField = given.last_modified_at !== undefined ? 'last_modified_at' : 'updated';
  const updated = given[updatedField] === undefined ? date : readDate(updatedField);

  const checked = frontMatterSchema.safeParse(given);
  if (!checked.success) {
    const typeProblems = issuesToProblems(checked.error.issues, {
      file,
      data: given,
      lineOf: (p) => yaml?.lineOf(p),
      fallbackLine: 1,
    });
    throw new ContentError([...typeProblems, ...problems], { cause: checked.error });
  }
  const fm = checked.data;

  const slug = fm.slug ?? nameSlug.replace(/\.+$/, '');
  const categories = unique([
    ...categoriesFromPath(file, input.root),
    ...(fm.categories ?? []),
    ...(fm.category ?? []),
  ]);

  let path: string | undefined;
  if (date) {
    const template = fm.permalink ?? site.permalink;
    try {
      path = buildPermalink(template, { date, timezone: site.timezone, slug, categories });
    } catch (error) {
      if (!(error instanceof PermalinkError)) throw error;
      problem(lineOf('permalink'), 'permalink', error.message);
    }
    if (path !== undefined && /(^|\/)\.\.?(\/|$)/.test(path)) {
      problem(lineOf('permalink'), 'permalink', `path ${quote(path)} must not contain '.' or '..' segments`);
    }
  }
  if (problems.length > 0 || !date || !updated || path === undefined) throw new ContentError(problems);

  const root = site.url + site.baseurl;
  const url = root + encodeURI(path);
  const id = fm.id ?? name.replace(/\.(md|markdown)$/i, '');
  const guid =
    fm.id === undefined
      ? // Jekyll's Document#id is File.join(File.dirname(url), slug); jekyll-feed prints it through absolute_url.
        root + encodeURI(posix.join(posix.dirname(path), slug))
      : explicitGuid(fm.id, site, date);

  const authors = authorList(fm.author);
  const image = typeof fm.image === 'string' ? fm.image : fm.image?.path;
  const summary = fm.summary ?? fm.description;

  return {
    id,
    guid,
    sourcePath: file,
    slug,
    title: fm.title,
    date,
    updated,
    path,
    url,
    authors: authors.length > 0 ? authors : site.author ? [site.author] : [],
    ...(summary === undefined ? {} : { summary }),
    ...(image === undefined || image === '' ? {} : { image: absoluteUrl(image, root, url) }),
    tags: unique(fm.tags ?? []),
    categories,
    draft: fm.draft === true || fm.published === false,
    ...(fm.email === undefined ? {} : { email: fm.email }),
    ...(fm.subject === undefined ? {} : { subject: fm.subject }),
    body,
    bodyLine,
    data: merged,
  };
}

interface FrontMatter {
  data: Record<string, unknown>;
  yaml: YamlSource | undefined;
  body: string;
  bodyLine: number;
}

function readFrontMatter(raw: string, file: string, memo: TextMemo | undefined): FrontMatter {
  const source = raw.replace(/^\uFEFF/, '');
  if (source.trim() === '') {
    throw new ContentError([
      { file, line: 1, message: 'empty file; a post starts with front matter between --- lines' },
    ]);
  }
  // Posts are YAML only: `---js` (code) or `---json` after the opening dashes is no front matter.
  if (!/^---[ \t]*\r?\n/.test(source)) {
    throw new ContentError([
      {
        file,
        line: 1,
        message: "no front matter: a post must start with a '---' line, then YAML, then '---'",
      },
    ]);
  }
  if (!/\r?\n---[ \t]*(\r?\n|$)/.test(source.slice(3))) {
    throw new ContentError([{ file, line: 1, message: "front matter is not closed by a '---' line" }]);
  }

  // The text parsed starts right after the opening `---`, so its line numbers are the file's.
  const split = splitFrontMatter(source.replace(/^---[ \t]+(\r?\n)/, '---$1'));
  let yaml: YamlSource | undefined;
  let data: unknown = {};
  if (split.hasData) {
    try {
      yaml = memo ? readYamlMemo(split.matter, memo) : readYaml(split.matter);
    } catch (error) {
      if (!(error instanceof YamlSyntaxError)) throw error;
      throw new ContentError(
        [{ file, line: error.line ?? 1, message: `invalid YAML front matter: ${error.message}` }],
        { cause: error },
      );
    }
    data = yaml.data ?? {};
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ContentError([
      { file, line: 2, message: `front matter must be a mapping of keys, got ${quote(data)}` },
    ]);
  }
  // The rest of the closing line (trailing blanks) is left in front of the body.
  const body = split.content.replace(/^[ \t]+\r?\n/, '');
  const before = source.slice(0, source.length - body.length);
  const bodyLine = before.split('\n').length;
  return { data: data as Record<string, unknown>, yaml, body, bodyLine };
}

/** `key:` with nothing after it means "not set" to authors, so it must not fail a type check. */
function withoutNulls(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
}

function categoriesFromPath(file: string, root: string | undefined): string[] {
  const norm = (p: string): string => p.replace(/\\/g, '/');
  let relative = norm(file);
  if (root !== undefined) {
    const prefix = norm(root).replace(/\/+$/, '');
    if (prefix !== '' && prefix !== '.' && relative.startsWith(`${prefix}/`)) {
      relative = relative.slice(prefix.length + 1);
    }
  }
  const dirs = relative.split('/').slice(0, -1);
  const at = dirs.lastIndexOf('_posts');
  return at === -1 ? [] : dirs.slice(0, at).filter((d) => d !== '' && d !== '.');
}

function authorList(value: Author | Author[] | undefined): Author[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list
    .map((a) => stripUndefined({ name: a.name.trim(), email: a.email, url: a.url }))
    .filter((a) => a.name !== '');
}

function explicitGuid(id: string, site: SiteConfig, date: Date): string {
  if (/^(https?:\/\/|urn:|tag:)/i.test(id)) return id;
  // RFC 4151 tag URI: stable across URL changes, and unique because the author controls the host and date.
  const day = DateTime.fromJSDate(date, { zone: zoneNamed(site.timezone) }).toFormat('yyyy-MM-dd');
  return `tag:${new URL(site.url).hostname},${day}:${encodeURI(id)}`;
}

function absoluteUrl(image: string, root: string, pageUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(image)) return image;
  if (image.startsWith('//')) return new URL(image, root).href;
  if (image.startsWith('/')) return root + encodeURI(image);
  return new URL(image, pageUrl).href;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
