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

/** The post's date in the site's zone, made when a placeholder first needs it. */
interface PostTime {
  at(): DateTime;
  /** The same, in English (month and day names). */
  en(): DateTime;
}

type Filler = (parts: PermalinkParts, time: PostTime) => string;

/**
 * `n` (not negative) zero-padded to `width` digits, as luxon's `yyyy`, `MM`, `dd`… print it in English.
 * Reading the field and padding it skips luxon's parse of the format string at every call.
 */
const padded = (n: number, width: number): string => String(n).padStart(width, '0');

const FILLERS: Record<string, Filler> = {
  // luxon signs a negative year before padding it (-0044); a year is otherwise never negative.
  year: (_, t) => (t.at().year < 0 ? t.en().toFormat('yyyy') : padded(t.at().year, 4)),
  month: (_, t) => padded(t.at().month, 2),
  day: (_, t) => padded(t.at().day, 2),
  i_month: (_, t) => String(t.at().month),
  i_day: (_, t) => String(t.at().day),
  short_year: (_, t) => t.en().toFormat('yy'),
  y_day: (_, t) => t.en().toFormat('ooo'),
  short_month: (_, t) => t.en().toFormat('LLL'),
  long_month: (_, t) => t.en().toFormat('LLLL'),
  week: (_, t) => t.en().toFormat('WW'),
  w_year: (_, t) => t.en().toFormat('kkkk'),
  w_day: (_, t) => String(t.at().weekday),
  short_day: (_, t) => t.en().toFormat('ccc'),
  long_day: (_, t) => t.en().toFormat('cccc'),
  hour: (_, t) => padded(t.at().hour, 2),
  minute: (_, t) => padded(t.at().minute, 2),
  second: (_, t) => padded(t.at().second, 2),
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
  let at: DateTime | undefined;
  let en: DateTime | undefined;
  const time: PostTime = {
    at: () => {
      at ??= DateTime.fromJSDate(parts.date, { zone: zoneNamed(parts.timezone) });
      return at;
    },
    en: () => {
      en ??= time.at().setLocale('en');
      return en;
    },
  };
  // Like Jekyll's regex, a placeholder is the whole run of [a-z_]: `:titlex` is unknown, not `:title` + `x`.
  const filled = pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
    const fill = FILLERS[name];
    if (!fill) throw new PermalinkError(template, name);
    return fill(parts, time);
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
