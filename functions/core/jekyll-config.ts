import { readYaml } from './read-yaml.ts';

/** One entry of `defaults:` in `_config.yml`. */
export interface DefaultsSet {
  scope: { path?: string; type?: string };
  values: Record<string, unknown>;
}

/** What jekyll-feed's `feed:` settings ask for. */
export interface JekyllFeedSettings {
  /** Where the posts' Atom feed is written. Default `/feed.xml`. */
  path: string;
  /** Entries per feed. Default 10. */
  postsLimit: number;
  /** Entries without `<content>`. */
  excerptOnly: boolean;
  /** One feed per category at `/feed/<category>.xml`. */
  categories: string[];
  /** Per-tag feeds at `<path><tag>.xml` (`/feed/by_tag/` by default), or `undefined` when off. */
  tags?: { only?: string[]; except: string[]; path: string };
}

/** The Jekyll settings Herald follows besides the keys it maps onto its own site config. */
export interface JekyllSettings {
  /** The whole `_config.yml` mapping, for Liquid's `site`. */
  config: Record<string, unknown>;
  /**
   * `collections.posts.permalink`: wins over the top-level `permalink` for posts, as in Jekyll 4.
   * (`collections.posts.output` is not read: Jekyll 4.3 forces it to `true` for posts, so `output: false`
   * changes nothing there either.)
   */
  postsPermalink?: string;
  defaults: DefaultsSet[];
  /** `excerpt_separator`. Default a blank line. */
  excerptSeparator: string;
  /** `future`: publish posts dated later than the build. Default false. */
  future: boolean;
  /** `unpublished`: publish posts marked `published: false`. Default false. */
  unpublished: boolean;
  /** `show_drafts`: publish `_drafts/` (also set by `--drafts`). Default false. */
  showDrafts: boolean;
  feed: JekyllFeedSettings;
}

/**
 * Reads the Jekyll-only settings of a `_config.yml` (text or parsed mapping). Lenient on purpose: a key
 * of the wrong type is ignored as Jekyll ignores it; `parseSiteConfig` reports the keys Herald needs.
 */
export function readJekyllSettings(raw: unknown): JekyllSettings {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    try {
      data = readYaml(raw).data;
    } catch {
      data = {};
    }
  }
  const config = isMap(data) ? data : {};
  const posts = mapAt(config, 'collections', 'posts');
  const feed = isMap(config.feed) ? config.feed : {};
  const feedPosts = mapAt(feed, 'collections', 'posts');
  const tags = feed.tags;
  const tagMap = isMap(tags) ? tags : {};
  return {
    config,
    ...(typeof posts.permalink === 'string' ? { postsPermalink: posts.permalink } : {}),
    defaults: (Array.isArray(config.defaults) ? config.defaults : []).flatMap((set): DefaultsSet[] => {
      if (!isMap(set) || !isMap(set.values)) return [];
      const scope = isMap(set.scope) ? set.scope : {};
      const type = scope.type === 'post' ? 'posts' : scope.type === 'draft' ? 'drafts' : scope.type;
      return [
        {
          scope: {
            ...(typeof scope.path === 'string' ? { path: scope.path } : {}),
            ...(typeof type === 'string' ? { type } : {}),
          },
          values: set.values,
        },
      ];
    }),
    excerptSeparator: typeof config.excerpt_separator === 'string' ? config.excerpt_separator : '\n\n',
    future: config.future === true,
    unpublished: config.unpublished === true,
    showDrafts: config.show_drafts === true,
    feed: {
      path:
        typeof feedPosts.path === 'string'
          ? feedPosts.path
          : typeof feed.path === 'string'
            ? feed.path
            : '/feed.xml',
      postsLimit: positiveInt(feed.posts_limit) ?? 10,
      excerptOnly: feed.excerpt_only === true,
      categories: strings(feedPosts.categories ?? feed.categories),
      ...(tags === true || isMap(tags)
        ? {
            tags: {
              ...(Array.isArray(tagMap.only) ? { only: strings(tagMap.only) } : {}),
              except: strings(tagMap.except),
              path: typeof tagMap.path === 'string' ? tagMap.path : '/feed/by_tag/',
            },
          }
        : {}),
    },
  };
}

/**
 * The front matter defaults for a file, merged as Jekyll's FrontmatterDefaults#all merges them: every set
 * whose `scope.path` (a prefix or glob of the file's path in the site) and `scope.type` (`posts`, `drafts`)
 * apply, a more specific scope (longer path, then one with a type) winning over a less specific one.
 */
export function frontMatterDefaults(
  sets: readonly DefaultsSet[],
  relativePath: string,
  type: 'posts' | 'drafts' | 'pages',
): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  let previous: DefaultsSet['scope'] | undefined;
  for (const set of sets) {
    if (!applies(set.scope, relativePath, type)) continue;
    if (hasPrecedence(previous, set.scope)) {
      merged = deepMerge(merged, set.values);
      previous = set.scope;
    } else {
      merged = deepMerge(set.values, merged);
    }
  }
  return merged;
}

function applies(scope: DefaultsSet['scope'], path: string, type: string): boolean {
  if (scope.type !== undefined && scope.type !== type) return false;
  const scopePath = scope.path;
  if (scopePath === undefined || scopePath === '') return true;
  const file = sanitize(path);
  if (!scopePath.includes('*')) return file.startsWith(scopePath);
  const glob = sanitize(scopePath)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${glob}`).test(file);
}

function hasPrecedence(old: DefaultsSet['scope'] | undefined, next: DefaultsSet['scope']): boolean {
  if (old === undefined) return true;
  const newPath = sanitize(next.path ?? '');
  const oldPath = sanitize(old.path ?? '');
  if (newPath.length !== oldPath.length) return newPath.length >= oldPath.length;
  if (next.type !== undefined) return true;
  return old.type === undefined;
}

function sanitize(path: string): string {
  return path.startsWith('/') ? path.replace(/^\//, '') : path;
}

/** Jekyll's Utils.deep_merge_hashes: mappings merge key by key, everything else is replaced. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isMap(current) && isMap(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function mapAt(value: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  let current: unknown = value;
  for (const key of keys) current = isMap(current) ? current[key] : undefined;
  return isMap(current) ? current : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The `parsePost` input for a Jekyll post (or `_drafts/` draft) at `relativePath`: its front matter defaults. */
export function jekyllPostInput(
  settings: JekyllSettings | undefined,
  relativePath: string,
): { defaults?: Record<string, unknown> } {
  const type = /(^|\/)_drafts\//.test(relativePath) ? 'drafts' : 'posts';
  return settings ? { defaults: frontMatterDefaults(settings.defaults, relativePath, type) } : {};
}
