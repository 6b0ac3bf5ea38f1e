import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ContentError, type ContentProblem } from './errors.ts';
import { readJekyllSettings } from './jekyll-config.ts';
import type { Author, SiteConfig } from './model.ts';
import { parseDateValue } from './parse-date.ts';
import { buildPermalink, PermalinkError } from './permalink.ts';
import { readYaml, YamlSyntaxError } from './read-yaml.ts';
import { tagSlug } from './tag-slug.ts';
import { MAX_TOPICS, TOPIC_ID, type Topic } from './topics.ts';
import { fieldName, issuesToProblems, quote } from './zod-problems.ts';

const PERMALINK_STYLES = ['date', 'pretty', 'ordinal', 'weekdate', 'none'];

const text = z.union([z.string(), z.number().transform(String)]);

const authorSchema = z.union(
  [
    z
      .string()
      .min(1)
      .transform((name): Author => ({ name })),
    z.object({ name: z.string().min(1), email: z.email().optional(), url: z.url().optional() }),
  ],
  { error: 'expected a name or a mapping with name, email, url' },
);

const wordList = z.union([z.array(z.union([z.string(), z.number()]).transform(String)), z.string()]);

/** The `newsletter.topics` list in `site.yml` (see `core/topics.ts`). */
const topicsSchema = z
  .array(
    z.object({
      id: z.string().regex(TOPIC_ID, 'must be a lower-case slug such as berlin or kv-cache'),
      name: z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1, 'must not be empty')),
      description: z.string().optional(),
      tags: wordList.optional(),
    }),
  )
  .max(MAX_TOPICS, `at most ${MAX_TOPICS} topics`)
  .superRefine((topics, ctx) => {
    const seen = new Set<string>();
    topics.forEach((topic, index) => {
      if (seen.has(topic.id)) {
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate topic id "${topic.id}"` });
      }
      seen.add(topic.id);
    });
  })
  .transform((topics): Topic[] =>
    topics.map((t) => {
      const tags = typeof t.tags === 'string' ? t.tags.split(/\s+/) : (t.tags ?? [t.id]);
      return {
        id: t.id,
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        tags: [...new Set(tags.map(tagSlug).filter((s) => s !== ''))],
      };
    }),
  );

const siteSchema = z.object({
  title: text.pipe(z.string().min(1, 'must not be empty')),
  description: text.default(''),
  url: z
    .string()
    .refine(isOrigin, 'must be an absolute http(s) URL of the site origin, e.g. https://recaps.example.org'),
  baseurl: z
    .string()
    .refine((b) => !/[?#\s]/.test(b), 'must be a path such as /blog')
    .default(''),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en or pt-BR')
    .default('en'),
  timezone: z
    .string()
    .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Europe/Berlin')
    .default('UTC'),
  author: authorSchema.optional(),
  permalink: z
    .string()
    .refine(
      (p) => PERMALINK_STYLES.includes(p) || p.includes(':') || p.startsWith('/'),
      `must be a style (${PERMALINK_STYLES.join(', ')}) or a template such as /:year/:month/:title/`,
    )
    .default('date'),
  feed: z.object({ limit: z.int().positive().default(20) }).default({ limit: 20 }),
  newsletter: z
    .object({
      from_address: z.email().optional(),
      from_name: text.pipe(z.string().min(1)).optional(),
      reply_to: z.email().optional(),
      postal_address: text.pipe(z.string().min(1, 'must not be empty')).optional(),
      subscribe_action: z.string().min(1).optional(),
      unsubscribe_mailto: z.email().optional(),
      max_age_days: z.number().nonnegative().default(7),
      since: z.union([z.string(), z.date()], { error: 'expected a date such as 2026-01-01' }).optional(),
      topics: topicsSchema.optional(),
    })
    .optional(),
});

type RawSite = z.input<typeof siteSchema>;

// The keys of a Jekyll _config.yml that mean the same thing in Herald; everything else there is Jekyll's.
const JEKYLL_KEYS = ['title', 'url', 'baseurl', 'description', 'author', 'timezone', 'permalink'] as const;

/**
 * Validates Herald's `site.yml` (snake_case keys as in `content/site.yml`) or a Jekyll `_config.yml`.
 *
 * `raw` is the file's text (preferred: problems then carry line numbers) or an already parsed mapping.
 * For `jekyll`, only `title` (else `name`), `url`, `baseurl`, `description`, `author`, `timezone`, `permalink`
 * (`collections.posts.permalink` wins), `lang` and jekyll-feed's `feed.posts_limit` are read from the top level; a `herald:` block with the keys of Herald's site.yml overrides them and
 * carries the newsletter settings. A Jekyll site without a postal address gets `''` so that `check` can warn;
 * Herald's own site.yml must give one. Unknown keys are ignored.
 *
 * @throws {ContentError} naming file, line, field and value of every problem found.
 */
export function parseSiteConfig(raw: unknown, file: string, flavour: 'herald' | 'jekyll'): SiteConfig {
  let data: unknown = raw;
  let lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined;
  if (typeof raw === 'string') {
    try {
      const yaml = readYaml(raw);
      data = yaml.data;
      lineOf = yaml.lineOf;
    } catch (error) {
      if (!(error instanceof YamlSyntaxError)) throw error;
      throw new ContentError([{ file, line: error.line, message: `invalid YAML: ${error.message}` }], {
        cause: error,
      });
    }
  }
  const settings = data ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) {
    throw new ContentError([
      { file, line: 1, message: `expected a mapping of settings, got ${quote(data)}` },
    ]);
  }

  const { merged, sourcePath } = flavour === 'jekyll' ? fromJekyll(settings) : fromHerald(settings);
  const parsed = siteSchema.safeParse(merged);
  const problems: ContentProblem[] = parsed.success
    ? []
    : issuesToProblems(parsed.error.issues, { file, data: merged, lineOf, sourcePath });
  const at = (path: PropertyKey[], message: string): void => {
    const written = sourcePath(path);
    const line = lineOf(written);
    problems.push({ file, ...(line === undefined ? {} : { line }), field: fieldName(written), message });
  };
  // Checked outside zod so a missing address is reported together with any other problem.
  if (flavour === 'herald' && merged.newsletter?.postal_address === undefined) {
    at(['newsletter', 'postal_address'], 'is required (it is printed in every email)');
  }
  if (!parsed.success || problems.length > 0) {
    throw new ContentError(problems, { cause: parsed.error });
  }

  const site = parsed.data;
  try {
    buildPermalink(site.permalink, { date: new Date(0), timezone: 'UTC', slug: 'x', categories: [] });
  } catch (error) {
    if (!(error instanceof PermalinkError)) throw error;
    at(['permalink'], error.message);
  }
  const news = site.newsletter;
  let since: Date | undefined;
  if (news?.since instanceof Date) since = news.since;
  else if (typeof news?.since === 'string') {
    since = parseDateValue(news.since, site.timezone);
    if (!since) at(['newsletter', 'since'], `unparsable date ${quote(news.since)}; use e.g. 2026-01-01`);
  }
  if (problems.length > 0) throw new ContentError(problems);

  const url = site.url.replace(/\/+$/, '');
  const baseurl = normaliseBaseurl(site.baseurl);
  return {
    title: site.title,
    description: site.description,
    url,
    baseurl,
    language: site.language.replace(/_/g, '-'),
    timezone: site.timezone,
    ...(site.author ? { author: stripUndefined(site.author) } : {}),
    permalink: site.permalink,
    feed: { limit: site.feed.limit },
    newsletter: stripUndefined({
      fromAddress: news?.from_address ?? `newsletter@${new URL(url).hostname}`,
      fromName: news?.from_name ?? site.title,
      replyTo: news?.reply_to,
      postalAddress: news?.postal_address ?? '',
      subscribeAction: news?.subscribe_action ?? `${baseurl}/api/subscribe`,
      unsubscribeMailto: news?.unsubscribe_mailto,
      maxAgeDays: news?.max_age_days ?? 7,
      since,
      ...(news?.topics && news.topics.length > 0 ? { topics: news.topics } : {}),
    }),
  };
}

interface Merged {
  merged: RawSite;
  /** Maps a path in `merged` back to the path the author wrote in the file. */
  sourcePath(path: readonly PropertyKey[]): PropertyKey[];
}

function fromHerald(data: object): Merged {
  const merged = dropNulls(data) as Record<string, unknown>;
  const renamed = merged.language === undefined && merged.lang !== undefined;
  if (renamed) merged.language = merged.lang;
  return {
    merged: merged as RawSite,
    sourcePath: (path) => (renamed && path[0] === 'language' ? ['lang', ...path.slice(1)] : [...path]),
  };
}

function fromJekyll(data: object): Merged {
  const top = dropNulls(data) as Record<string, unknown>;
  const base: Record<string, unknown> = {};
  for (const key of JEKYLL_KEYS) if (top[key] !== undefined) base[key] = top[key];
  if (top.lang !== undefined) base.language = top.lang;
  // jekyll-feed and jekyll-seo-tag fall back to `name`; Jekyll 4 reads the posts' permalink from the collection.
  const titleFromName = base.title === undefined && top.name !== undefined;
  if (titleFromName) base.title = top.name;
  const jekyll = readJekyllSettings(top);
  if (jekyll.postsPermalink !== undefined) base.permalink = jekyll.postsPermalink;
  const feed = top.feed as { posts_limit?: unknown } | undefined;
  if (feed?.posts_limit !== undefined) base.feed = { limit: jekyll.feed.postsLimit };
  const herald = top.herald;
  const block = herald !== null && typeof herald === 'object' && !Array.isArray(herald) ? herald : {};
  const { merged: overrides, sourcePath: heraldPath } = fromHerald(block);
  const merged = { ...base, ...overrides };
  return {
    merged: merged as RawSite,
    sourcePath: (path) => {
      const key = path[0];
      if (typeof key === 'string' && key in overrides) return ['herald', ...heraldPath(path)];
      if (key === 'title' && titleFromName) return ['name', ...path.slice(1)];
      if (key === 'permalink' && jekyll.postsPermalink !== undefined)
        return ['collections', 'posts', 'permalink'];
      if (key === 'feed') return ['feed', 'posts_limit'];
      return key === 'language' ? ['lang', ...path.slice(1)] : [...path];
    },
  };
}

function isOrigin(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

function normaliseBaseurl(value: string): string {
  const trimmed = value.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/** YAML `key:` with no value means "not set", not "set to null". */
function dropNulls(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    out[key] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? dropNulls(v) : v;
  }
  return out;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
