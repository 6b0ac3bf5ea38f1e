import { DateTime } from 'luxon';
import { zoneNamed } from './zones.ts';

/** What a permalink template is filled with. */
export interface PermalinkParts {
  /** The post's instant; date and time placeholders are written in `timezone`. */
  date: Date;
  /** IANA time zone of the site, e.g. `Asia/Seoul`. */
  timezone: string;
  /** The post's slug as written (file name or front matter `slug`); slugified here as Jekyll does. */
  slug: string;
  /** Categories in order; slugified, de-duplicated and joined by `/` for `:categories`. */
  categories: readonly string[];
  /** Extension of the rendered page. Default `.html`. */
  outputExt?: string;
}

/** A permalink template names a placeholder Herald does not know. */
export class PermalinkError extends Error {
  override name = 'PermalinkError';
  readonly placeholder: string;

  constructor(template: string, placeholder: string) {
    super(
      `unknown placeholder ':${placeholder}' in permalink '${template}'; known: ${KNOWN.map((k) => `:${k}`).join(' ')}`,
    );
    this.placeholder = placeholder;
  }
}

/** Jekyll's built-in permalink styles. */
const STYLES: Record<string, string> = {
  date: '/:categories/:year/:month/:day/:title:output_ext',
  pretty: '/:categories/:year/:month/:day/:title/',
  ordinal: '/:categories/:year/:y_day/:title:output_ext',
  weekdate: '/:categories/:year/W:week/:short_day/:title:output_ext',
  none: '/:categories/:title:output_ext',
};

type Filler = (parts: PermalinkParts, at: DateTime) => string;

const FILLERS: Record<string, Filler> = {
  year: (_, at) => at.toFormat('yyyy'),
  month: (_, at) => at.toFormat('MM'),
  day: (_, at) => at.toFormat('dd'),
  i_month: (_, at) => String(at.month),
  i_day: (_, at) => String(at.day),
  short_year: (_, at) => at.toFormat('yy'),
  y_day: (_, at) => at.toFormat('ooo'),
  short_month: (_, at) => at.toFormat('LLL'),
  long_month: (_, at) => at.toFormat('LLLL'),
  week: (_, at) => at.toFormat('WW'),
  w_year: (_, at) => at.toFormat('kkkk'),
  w_day: (_, at) => String(at.weekday),
  short_day: (_, at) => at.toFormat('ccc'),
  long_day: (_, at) => at.toFormat('cccc'),
  hour: (_, at) => at.toFormat('HH'),
  minute: (_, at) => at.toFormat('mm'),
  second: (_, at) => at.toFormat('ss'),
  // Jekyll: `:title` keeps case and URL-safe punctuation ("pretty" slugify); `:slug` is lower-case alphanumerics.
  title: (p) => slugify(p.slug, 'pretty'),
  slug: (p) => slugify(p.slug, 'default'),
  categories: (p) =>
    [...new Set(p.categories.map((c) => slugify(c, 'default')).filter((c) => c !== ''))].join('/'),
  output_ext: (p) => p.outputExt ?? '.html',
};

const KNOWN = Object.keys(FILLERS);

/**
 * Expands a Jekyll permalink style (`date`, `pretty`, `ordinal`, `weekdate`, `none`) or template such as
 * `/:categories/:year/:month/:day/:title:output_ext` into a site path, the way Jekyll's `URL` class does:
 * a leading `/` is added, empty placeholders collapse (`//` becomes `/`), a trailing `/` is kept.
 *
 * The result is the unescaped path without baseurl, e.g. `/2026/09/24/berlin-serving-night.html`.
 *
 * @throws {PermalinkError} when the template names an unknown placeholder.
 */
export function buildPermalink(template: string, parts: PermalinkParts): string {
  const pattern = STYLES[template] ?? template;
  const at = DateTime.fromJSDate(parts.date, { zone: zoneNamed(parts.timezone) }).setLocale('en');
  // Like Jekyll's regex, a placeholder is the whole run of [a-z_]: `:titlex` is unknown, not `:title` + `x`.
  const filled = pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
    const fill = FILLERS[name];
    if (!fill) throw new PermalinkError(template, name);
    return fill(parts, at);
  });
  return `/${filled}`.replace(/\/{2,}/g, '/');
}

function slugify(value: string, mode: 'default' | 'pretty'): string {
  if (mode === 'pretty') {
    return value.replace(/[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+/gu, '-').replace(/^-+|-+$/g, '');
  }
  return value
    .replace(/[^\p{M}\p{L}\p{Nd}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}
