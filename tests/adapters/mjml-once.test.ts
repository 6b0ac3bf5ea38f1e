import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mjml2html from 'mjml';
import Mustache from 'mustache';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmailRenderer } from '../../functions/adapters/mjml-email-renderer.ts';
import { buildEmailData } from '../../functions/core/email-content.ts';
import type { Post, RenderedPost, SiteConfig } from '../../functions/core/model.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { xssVectors } from '../core/xss-vectors.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

// The renderer compiles MJML once per template shape and fills each post in before CSS inlining.
// These tests compare it with the plain way — fill the template with Mustache, compile it with
// mjml — which is what it replaced, so any difference is a bug of the shortcut.
const TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url));

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-mjml-once-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

async function compiledThePlainWay(
  template: string,
  partials: Record<string, string>,
  r: RenderedPost,
  site: SiteConfig,
) {
  const data = buildEmailData(r, site, { excerpt: false });
  const source = Mustache.render(template, data, partials, { escape: escapeHtml });
  const result = await mjml2html(source, {
    validationLevel: 'soft',
    keepComments: false,
    fonts: {},
    juiceOptions: { applyHeightAttributes: false },
  });
  return result.html;
}

const tricky: Partial<Post>[] = [
  { title: `Caches & "Queues" <b>bold</b> O'Reilly`, summary: '  leading and trailing spaces  ' },
  { title: 'No authors', authors: [], body: 'Plain text only, no block.' },
  { title: 'Whitespace body', body: '\n\n   \n\nAfter blank lines.\n\n' },
  {
    title: 'Unicode',
    body: 'Emoji 🚀, CJK 日本語, RTL עברית, NBSP\u00a0here.',
    subject: 'Ünïcödé — “quotes”',
  },
  ...xssVectors.slice(0, 8).map((v) => ({ title: v.name, body: v.markdown })),
];

describe('MJML compiled once per template shape', () => {
  it('gives every post the same HTML as filling and compiling the template for that post', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir: TEMPLATES });
    const template = await readFile(join(TEMPLATES, 'newsletter.mjml'), 'utf8');
    const partials = { footer: await readFile(join(TEMPLATES, 'partials', 'footer.mjml'), 'utf8') };

    for (const overrides of tricky) {
      const rendered = renderPost(makePost(overrides), site);
      const email = await renderer.render(rendered, site);

      expect(email.html, overrides.title).toBe(await compiledThePlainWay(template, partials, rendered, site));
    }
  });

  it('keeps text around a value in one mj-text, and sections that a value switches', async () => {
    await cp(TEMPLATES, join(work, 'templates'), { recursive: true });
    const template = `<mjml lang="{{lang}}"><mj-head><mj-title>{{subject}}</mj-title><mj-style inline="inline">p { color: red; } .x em { color: blue; }</mj-style></mj-head><mj-body>
<mj-section><mj-column><mj-text css-class="x">Before {{{body}}} after, {{#authors}}by {{authors}}{{/authors}}{{^authors}}anonymous{{/authors}}</mj-text>
<mj-button href="{{postUrl}}">{{title}}</mj-button></mj-column></mj-section></mj-body></mjml>`;
    await writeFile(join(work, 'templates', 'newsletter.mjml'), template);
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir: join(work, 'templates') });

    for (const overrides of [
      { body: '\n\nFirst *em* paragraph.\n\n' },
      { authors: [], title: 'Tom & Jerry' },
      { body: 'x' },
    ]) {
      const rendered = renderPost(makePost(overrides), site);
      const email = await renderer.render(rendered, site);

      expect(email.html).toBe(await compiledThePlainWay(template, {}, rendered, site));
    }
  });

  it('keeps compiled shapes in the cache folder and gives the same email from them in a later run', async () => {
    const cacheDir = join(work, 'cache');
    const site = makeSite();
    const rendered = renderPost(makePost({ title: 'Cached & "quoted"' }), site);
    const first = await createEmailRenderer({ templatesDir: TEMPLATES, cacheDir }).render(rendered, site);
    const cached = await readdir(cacheDir);

    const second = await createEmailRenderer({ templatesDir: TEMPLATES, cacheDir }).render(rendered, site);

    expect(cached).toHaveLength(1);
    expect(second.html).toBe(first.html);
    expect(await readdir(cacheDir)).toEqual(cached);
  });

  it('compiles a changed template anew instead of reusing its cached shape', async () => {
    const cacheDir = join(work, 'cache');
    await cp(TEMPLATES, join(work, 'templates'), { recursive: true });
    const site = makeSite();
    const rendered = renderPost(makePost(), site);
    await createEmailRenderer({ templatesDir: join(work, 'templates'), cacheDir }).render(rendered, site);
    const file = join(work, 'templates', 'newsletter.mjml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Read on the site', 'Continue reading'));

    const email = await createEmailRenderer({ templatesDir: join(work, 'templates'), cacheDir }).render(
      rendered,
      site,
    );

    expect(email.html).toContain('Continue reading');
    expect(await readdir(cacheDir)).toHaveLength(2);
  });
});
