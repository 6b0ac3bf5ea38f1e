import {
  type Context,
  type Emitter,
  IncludeTag,
  type Liquid,
  type Parser,
  Tag,
  type TagToken,
  type Template,
  type TopLevelToken,
} from 'liquidjs';

/** What the `link` and `post_url` tags look documents up in. */
export interface TagLookups {
  /** URL (without baseurl) of the site file at this relative path (`_posts/2026-01-02-x.md`, `about.md`). */
  urlOf(relativePath: string): string | undefined;
  /** Relative paths of all posts, for `post_url`, with each post's date (`YYYY-MM-DD`) and slug. */
  posts(): readonly { relativePath: string; url: string; day: string; slug: string }[];
  /** The post whose relative path without extension is this (`_posts/2026-01-02-x`), if any. */
  postByStem(stem: string): { url: string } | undefined;
  /** `relative_url`: prefixes the baseurl. */
  relativeUrl(url: string): string;
}

/** A tag found an error in what the author wrote; reported with the file and line of the tag. */
export class JekyllTagError extends Error {
  override name = 'JekyllTagError';
}

/**
 * Jekyll's `highlight` block. Rouge's token markup is not reproduced: the code is escaped into
 * `<pre class="highlight"><code class="language-x" data-lang="x">`, the markup every Herald stylesheet
 * (site, feeds, email) styles; `linenos` wraps each line in `<span class="line">`, numbered by the site's CSS.
 */
export class HighlightTag extends Tag {
  private readonly lang: string;
  private readonly linenos: boolean;
  private readonly templates: Template[] = [];

  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remain, liquid);
    const m = /^([a-zA-Z0-9.+#_-]+)((\s+\w+(=(\w+|"([0-9]+\s)*[0-9]+"))?)*)$/.exec(token.args.trim());
    if (!m) {
      throw new JekyllTagError(
        `Syntax Error in tag 'highlight' while parsing the following markup: ${token.args.trim()} — valid syntax: highlight <lang> [linenos]`,
      );
    }
    this.lang = (m[1] ?? '').toLowerCase();
    this.linenos = /(^|\s)linenos(\s|=|$)/.test(m[2] ?? '');
    let closed = false;
    const stream = parser
      .parseStream(remain)
      .on('tag:endhighlight', () => {
        closed = true;
        stream.stop();
      })
      .on('template', (tpl: Template) => this.templates.push(tpl))
      .on('end', () => {
        if (!closed) throw new JekyllTagError(`tag ${token.getText()} not closed`);
      });
    stream.start();
  }

  /** For liquidjs's static analysis: the variables inside the block count too. */
  // biome-ignore lint/correctness/useYield: liquidjs's analysis protocol is a generator
  *children(): Generator<unknown, Template[]> {
    return this.templates;
  }

  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const inner = (yield this.liquid.renderer.renderTemplates(this.templates, ctx)) as string;
    const code = inner.replace(/^[\n\r]+|[\n\r]+$/g, '');
    const escaped = escapeHtml(code);
    const body = this.linenos
      ? escaped
          .split('\n')
          .map((line) => `<span class="line">${line}</span>`)
          .join('\n')
      : escaped;
    const lang = this.lang.replace(/\+/g, '-');
    const pre = this.linenos ? 'highlight linenos' : 'highlight';
    emitter.write(
      `<pre class="${pre}"><code class="language-${lang}" data-lang="${this.lang}">${body}</code></pre>`,
    );
  }
}

/** Jekyll's `link` tag: the URL of a site file named by its path in the source folder. */
export function linkTag(lookups: TagLookups) {
  return class LinkTag extends Tag {
    private readonly path: Template[];

    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid);
      this.path = liquid.parse(token.args.trim());
    }

    *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
      const path = ((yield this.liquid.renderer.renderTemplates(this.path, ctx)) as string).trim();
      const url = lookups.urlOf(path.replace(/^\/+/, ''));
      if (url === undefined) {
        throw new JekyllTagError(
          `Could not find document '${path}' in tag 'link'. Make sure the document exists and the path is correct.`,
        );
      }
      emitter.write(lookups.relativeUrl(url));
    }
  };
}

/** Jekyll's `post_url` tag: the URL of a post named `YYYY-MM-DD-slug`, optionally with its folder. */
export function postUrlTag(lookups: TagLookups) {
  return class PostUrlTag extends Tag {
    private readonly postName: string;
    private pattern: RegExp | undefined;
    private readonly day: string;
    private readonly slug: string;
    private readonly folder: string;

    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid);
      this.postName = token.args.trim();
      const m = /^(.+\/)*(\d+-\d+-\d+)-(.*)$/.exec(this.postName.replace(/^\//, ''));
      if (!m) {
        throw new JekyllTagError(
          `Could not parse name of post "${this.postName}" in tag 'post_url'. Make sure the post exists and the name is correct.`,
        );
      }
      const [, folder = '', day = '', slug = ''] = m;
      this.day = day;
      this.slug = slug;
      this.folder = folder;
    }

    /** Whether a post file (any extension) has this tag's folder, date and slug. */
    private nameMatches(relativePath: string): boolean {
      if (!this.pattern) {
        const base = `${escapeRegExp(this.day)}-${escapeRegExp(this.slug)}\\.[^.]+`;
        const dir = escapeRegExp(this.folder);
        this.pattern = new RegExp(`^_posts/${dir}${base}$|^${dir}_posts/?${base}$`);
      }
      return this.pattern.test(relativePath);
    }

    render(): string {
      const posts = lookups.posts();
      const exact =
        lookups.postByStem(`_posts/${this.folder}${this.day}-${this.slug}`) ??
        lookups.postByStem(`${this.folder}_posts/${this.day}-${this.slug}`) ??
        posts.find((p) => this.nameMatches(p.relativePath));
      // Jekyll still accepts a name that matches only by date and slug (with a deprecation warning).
      const loose = exact ?? posts.find((p) => p.slug === this.slug && sameDay(p.day, this.day));
      if (!loose) {
        throw new JekyllTagError(
          `Could not find post "${this.postName}" in tag 'post_url'. Make sure the post exists and the name is correct.`,
        );
      }
      return lookups.relativeUrl(loose.url);
    }
  };
}

/** Names Jekyll's include tags refuse: `..`, `./`, a leading `/`, characters outside `[a-zA-Z0-9_/.-]`. */
function checkIncludeName(tag: string, file: unknown): void {
  if (typeof file !== 'string') return;
  if (!/^[a-zA-Z0-9_/.-]+$/.test(file) || /(^|\/)\.{1,2}\/|^\/|\/\.\.?$/.test(file)) {
    throw new JekyllTagError(
      `Invalid syntax for ${tag} tag. File contains invalid characters or sequences: ${file}`,
    );
  }
}

/** Jekyll's `include`: a file from `_includes/`, parameters reaching it as `include.x`. */
export class JekyllIncludeTag extends IncludeTag {
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remain, liquid, parser);
    checkIncludeName('include', (this as unknown as { file: unknown }).file);
  }
}

/** Jekyll's `include_relative`: like `include`, but the file is found next to the including file. */
export class IncludeRelativeTag extends IncludeTag {
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remain, liquid, parser);
    const self = this as unknown as { file: unknown };
    checkIncludeName('include_relative', self.file);
    // liquidjs resolves a name starting with `./` against the including file (option relativeReference).
    if (typeof self.file === 'string') self.file = `./${self.file}`;
  }
}

function sameDay(a: string, b: string): boolean {
  const parts = (s: string) => s.split('-').map((n) => Number(n));
  const [ay, am, ad] = parts(a);
  const [by, bm, bd] = parts(b);
  return ay === by && am === bm && ad === bd;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
