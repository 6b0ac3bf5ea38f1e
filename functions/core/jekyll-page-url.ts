import { posix } from 'node:path';
import { readYaml } from './read-yaml.ts';

/**
 * The URL (without baseurl) Jekyll gives a page such as `about.md` or `docs/index.html`, for the `link`
 * tag: its front matter `permalink` if it has one, else its path with `.html` (`/about.html`), an index
 * page standing for its folder (`/docs/`).
 */
export function jekyllPageUrl(relativePath: string, source: string): string {
  const permalink = frontMatterPermalink(source);
  const dir = posix.dirname(relativePath) === '.' ? '' : posix.dirname(relativePath);
  const ext = posix.extname(relativePath);
  const base = posix.basename(relativePath, ext);
  const outputExt = /^\.(md|markdown|html|htm)$/i.test(ext) ? '.html' : ext;
  if (permalink !== undefined) {
    return `/${permalink
      .replace(/:path/g, dir)
      .replace(/:basename/g, base)
      .replace(/:output_ext/g, outputExt)}`.replace(/\/{2,}/g, '/');
  }
  if (base === 'index' && outputExt === '.html') return dir === '' ? '/' : `/${dir}/`;
  return `/${dir === '' ? '' : `${dir}/`}${base}${outputExt}`;
}

function frontMatterPermalink(source: string): string | undefined {
  const m = /^(?:\uFEFF)?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(source);
  if (!m) return undefined;
  try {
    const data = readYaml(m[1] ?? '').data as { permalink?: unknown } | null;
    return typeof data?.permalink === 'string' ? data.permalink : undefined;
  } catch {
    return undefined;
  }
}
