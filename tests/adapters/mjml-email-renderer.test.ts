import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEmailRenderer, EmailTemplateError } from '../../functions/adapters/mjml-email-renderer.ts';
import { ContentError } from '../../functions/core/errors.ts';
import type { Post, SiteConfig } from '../../functions/core/model.ts';
import { parsePost } from '../../functions/core/parse-post.ts';
import { compilePersonalizer, PLACEHOLDERS, type Recipient } from '../../functions/core/personalize.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { xssVectors } from '../core/xss-vectors.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { itWithBrowser, launchChromium } from '../support/chromium.ts';

const templatesDir = fileURLToPath(new URL('../../templates', import.meta.url));
const contentDir = fileURLToPath(new URL('../../content', import.meta.url));

/** A post touching every part of the email: images, table, code, quote, alert, task list, links. */
const GOLDEN_BODY = `<p align="center">
<picture>
<img src="/assets/pi/stage.png" width="100%">
</picture><br>
</p>

We met on **Pi Day** at the [Example Hall](https://hall.example.org/?a=1&b=2) to talk about serving models.

## Talks

### Batching in practice — Ada Example

| Scheduler | p50 latency |
| --------- | ----------: |
| static    |      410 ms |
| dynamic   |      220 ms |

\`\`\`bash
serve --model ./weights --kv-cache-dtype fp8 --max-num-seqs 256 --a-very-long-flag-that-keeps-going-and-going
\`\`\`

> Measure with your own prompts.

> [!TIP]
> Synthetic prompts flatter every cache.

- [x] Slides uploaded
- [ ] Recording edited

![The audience](/assets/pi/crowd.png)
`;

function goldenPost(overrides: Partial<Post> = {}): Post {
  return makePost({ body: GOLDEN_BODY, ...overrides });
}

function recipient(overrides: Partial<Recipient> = {}): Recipient {
  return {
    email: 'ada@example.com',
    name: 'Ada',
    unsubscribeUrl: 'https://recaps.test/api/unsubscribe?token=tok-123&sig=abc',
    viewUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
    ...overrides,
  };
}

/** Every attribute of every tag, read the way a browser would split them (quoted values stay whole). */
function attributesOf(html: string): { tag: string; name: string; value: string }[] {
  const found: { tag: string; name: string; value: string }[] = [];
  for (const tag of html.matchAll(
    /<([a-zA-Z][\w-]*)((?:\s+[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g,
  )) {
    for (const attr of (tag[2] ?? '').matchAll(
      /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g,
    )) {
      found.push({
        tag: tag[1] ?? '',
        name: (attr[1] ?? '').toLowerCase(),
        value: attr[2] ?? attr[3] ?? attr[4] ?? '',
      });
    }
  }
  return found;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&colon;/gi, ':')
    .replace(/&(tab|newline);/gi, '')
    .replace(/[\t\n\r]/g, '');
}

describe('createEmailRenderer', () => {
  it('renders the golden post to stable HTML and text', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir });

    const email = await renderer.render(renderPost(goldenPost(), site), site);

    expect(email).toMatchObject({
      postId: '2026-03-14-pi-day-meetup',
      subject: 'Pi Day Meetup',
      preheader: 'We met on Pi Day and talked about serving models.',
      excerpted: false,
      postUrl: 'https://recaps.test/2026/03/14/pi-day-meetup.html',
    });
    expect(email.htmlBytes).toBe(Buffer.byteLength(email.html));
    await expect(email.html).toMatchFileSnapshot('../golden/email/pi-day-meetup.html');
    await expect(email.text).toMatchFileSnapshot('../golden/email/pi-day-meetup.txt');
  });

  it('carries the legal footer, links and preheader, and shapes the body for mail clients', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir });

    const email = await renderer.render(renderPost(goldenPost(), site), site);

    const { html, text } = email;
    expect(html).toContain('<title>Pi Day Meetup</title>');
    expect(html).toMatch(
      /<div style="display:none;[^"]*">We met on Pi Day and talked about serving models.<\/div>/,
    );
    expect(html).toContain(`href="${PLACEHOLDERS.unsubscribeUrl}"`);
    expect(html).toContain(`href="${PLACEHOLDERS.viewUrl}"`);
    expect(html).toContain('Test Street 1, 12345 Testtown');
    expect(html).toContain(`because ${PLACEHOLDERS.email} subscribed to the Test Meetups newsletter`);
    expect(html).toMatch(
      /<a href="https:\/\/recaps\.test\/2026\/03\/14\/pi-day-meetup\.html"[^>]*>\s*Read on the site\s*<\/a>/,
    );
    // cheerio (inside MJML) writes `alt=""` as a bare `alt`, which HTML reads the same way.
    expect(html).toMatch(
      /<img src="https:\/\/recaps\.test\/assets\/pi\/stage\.png" alt(="")? width="600" style="max-width: 100%; height: auto;/,
    );
    expect(html).not.toMatch(/<picture|srcset|height="auto"/);
    expect(html).toMatch(
      /<pre[^>]*style="[^"]*white-space: pre-wrap; word-break: break-word;[^"]*monospace[^"]*background-color:/,
    );
    expect(html).toMatch(/<td[^>]*style="border: 1px solid #d1d9e0; padding: 6px 10px;/);
    expect(html).toMatch(
      /<blockquote class="markdown-alert markdown-alert-tip" style="[^"]*border-left-color: #1a7f37/,
    );
    expect(text).toContain('Read on the site [https://recaps.test/2026/03/14/pi-day-meetup.html]');
    expect(text).toContain(`Unsubscribe [${PLACEHOLDERS.unsubscribeUrl}]`);
    expect(text).toContain('Example Hall [https://hall.example.org/?a=1&b=2]');
    expect(text).toContain('The audience');
    expect(text).toContain('TALKS');
    expect(text).toMatch(/Scheduler +p50 latency\nstatic +410 ms/);
    expect(text).not.toContain('We met on Pi Day and talked about serving models.');
  });

  it('leaves no placeholder behind once personalised', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir });
    const email = await renderer.render(renderPost(goldenPost(), site), site);

    const out = compilePersonalizer(email)(recipient());

    for (const part of [out.html, out.text]) {
      expect(part).not.toMatch(/%%HERALD_[A-Z_]+%%/);
    }
    expect(out.html).toContain('href="https://recaps.test/api/unsubscribe?token=tok-123&amp;sig=abc"');
    expect(out.html).toContain('Hi Ada,');
    expect(out.html).toContain('because ada@example.com subscribed');
    expect(out.text).toContain('Unsubscribe [https://recaps.test/api/unsubscribe?token=tok-123&sig=abc]');
    expect(out.text).toContain('View in browser [https://recaps.test/2026/03/14/pi-day-meetup.html]');
    expect(out.text.startsWith('View in browser')).toBe(true);
  });

  it('shows a hostile title, summary and author as text', async () => {
    const site = makeSite({ title: 'Meetups <b>&</b> more' });
    const post = makePost({
      title: '<script>alert(1)</script>',
      summary: '<img src=x onerror=alert(2)>',
      authors: [{ name: '"><script>alert(3)</script>' }],
    });
    const renderer = createEmailRenderer({ templatesDir });

    const email = await renderer.render(renderPost(post, site), site);

    expect(email.html).not.toMatch(/<script|<img src=x|<[^>]*\sonerror=/i);
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(email.html).toContain('&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(email.html).toContain('Meetups &lt;b&gt;&amp;&lt;/b&gt; more');
    expect(email.subject).toBe('<script>alert(1)</script>');
  });

  it('keeps scripts, frames, forms, handlers and javascript: URLs out of the email for every XSS vector', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir });
    expect(xssVectors.length).toBeGreaterThan(0);

    for (const vector of xssVectors) {
      const email = await renderer.render(renderPost(makePost({ body: vector.markdown }), site), site);
      const { html } = compilePersonalizer(email)(recipient());

      const context = `vector ${vector.name}`;
      expect(html, context).not.toMatch(
        /<\s*(script|iframe|frame|object|embed|form|input|button|textarea|select|svg|math|base|meta http-equiv="refresh")/i,
      );
      const attributes = attributesOf(html);
      expect(
        attributes.filter((a) => a.name.startsWith('on')),
        context,
      ).toEqual([]);
      expect(
        attributes.filter((a) => /^\s*(javascript|vbscript|data):/i.test(decodeEntities(a.value))),
        context,
      ).toEqual([]);
    }
  });

  it('sends an excerpt with a link to the full recap when the email would be clipped', async () => {
    const site = makeSite();
    const paragraph = (n: number) =>
      `Paragraph ${n}: ${'batching and caching and scheduling and measuring '.repeat(10).trim()}.`;
    const body = [
      ...Array.from({ length: 10 }, (_, i) => paragraph(i)),
      '## Talks',
      ...Array.from({ length: 300 }, (_, i) => paragraph(i + 10)),
    ].join('\n\n');
    const renderer = createEmailRenderer({ templatesDir });

    const email = await renderer.render(renderPost(makePost({ body }), site), site);

    expect(email.excerpted).toBe(true);
    expect(email.htmlBytes).toBeLessThanOrEqual(102_400);
    expect(email.htmlBytes).toBe(Buffer.byteLength(email.html));
    expect(email.html).toContain('Paragraph 0:');
    expect(email.html).not.toContain('Paragraph 9:');
    expect(email.html).not.toContain('Paragraph 10:');
    expect(email.html).toMatch(
      /<a href="https:\/\/recaps\.test\/2026\/03\/14\/pi-day-meetup\.html"[^>]*>Read the full recap<\/a>/,
    );
    expect(email.text).toContain('Read the full recap [https://recaps.test/2026/03/14/pi-day-meetup.html]');
  });

  it('renders the full post when it fits', async () => {
    const site = makeSite();
    const renderer = createEmailRenderer({ templatesDir });

    const email = await renderer.render(renderPost(goldenPost(), site), site);

    expect(email.excerpted).toBe(false);
    expect(email.html).not.toContain('Read the full recap');
  });

  it('names the template file when MJML finds errors in it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-email-'));
    try {
      await writeFile(
        join(dir, 'newsletter.mjml'),
        '<mjml><mj-body><mj-section><mj-column><mj-txt>{{title}}</mj-txt></mj-column></mj-section></mj-body></mjml>',
      );
      const renderer = createEmailRenderer({ templatesDir: dir });
      const site = makeSite();

      const result = renderer.render(renderPost(makePost(), site), site);

      await expect(result).rejects.toBeInstanceOf(EmailTemplateError);
      await expect(result).rejects.toThrow(`${join(dir, 'newsletter.mjml')}: MJML errors`);
      await expect(result).rejects.toThrow(/<mj-txt>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the template file when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-email-'));
    try {
      const renderer = createEmailRenderer({ templatesDir: dir });
      const site = makeSite();

      const result = renderer.render(renderPost(makePost(), site), site);

      await expect(result).rejects.toMatchObject({
        name: 'EmailTemplateError',
        file: join(dir, 'newsletter.mjml'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses partials from templates/partials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-email-'));
    try {
      await writeFile(
        join(dir, 'newsletter.mjml'),
        '<mjml><mj-body><mj-section><mj-column><mj-text>{{title}}</mj-text>{{> sign-off}}</mj-column></mj-section></mj-body></mjml>',
      );
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'partials')));
      await writeFile(join(dir, 'partials', 'sign-off.mjml'), '<mj-text>Cheers from {{siteTitle}}</mj-text>');
      const renderer = createEmailRenderer({ templatesDir: dir });
      const site = makeSite();

      const email = await renderer.render(renderPost(makePost(), site), site);

      expect(email.text).toBe('Pi Day Meetup\nCheers from Test Meetups');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The sample recaps, parsed as the build parses them; a post whose front matter is broken keeps its body. */
async function samplePosts(site: SiteConfig): Promise<Post[]> {
  const dir = join(contentDir, 'posts');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.md')).sort();
  const posts: Post[] = [];
  for (const name of names) {
    const source = await readFile(join(dir, name), 'utf8');
    try {
      posts.push(parsePost({ path: `posts/${name}`, source }, site));
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      const body = source.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '');
      posts.push(makePost({ id: name.replace(/\.md$/, ''), slug: name.replace(/\.md$/, ''), body }));
    }
  }
  return posts;
}

describe('sample posts in a browser', () => {
  itWithBrowser('never overflow horizontally at 375 and 800 px', async () => {
    const site = makeSite({ url: 'https://recaps.example.org', title: 'Open Inference Meetups' });
    const renderer = createEmailRenderer({ templatesDir });
    const posts = await samplePosts(site);
    expect(posts.length).toBeGreaterThanOrEqual(3);
    const pages: { slug: string; html: string }[] = [];
    for (const post of posts) {
      const email = await renderer.render(renderPost(post, site), site);
      pages.push({ slug: post.slug, html: compilePersonalizer(email)(recipient()).html });
    }
    const browser = await launchChromium();
    try {
      const overflows: string[] = [];
      for (const width of [375, 800]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        // Serve the sample images from content/ so the layout sees their real sizes; nothing else loads.
        await page.route('**/*', async (route) => {
          const url = new URL(route.request().url());
          const file = join(contentDir, decodeURIComponent(url.pathname));
          if (url.host === 'recaps.example.org' && url.pathname.startsWith('/assets/') && existsSync(file)) {
            await route.fulfill({ body: await readFile(file), contentType: 'image/png' });
          } else {
            await route.abort();
          }
        });
        for (const { slug, html } of pages) {
          await page.setContent(html, { waitUntil: 'load' });
          // A string, because the project's TypeScript has no DOM types.
          const result = await page.evaluate<{
            viewport: number;
            scrollWidth: number;
            wide: string[];
          }>(`(() => {
            const viewport = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > viewport + 1)
              .map((el) => el.tagName.toLowerCase());
            return { viewport, scrollWidth: document.documentElement.scrollWidth, wide };
          })()`);

          // Collected, so one run reports every page and width.
          if (result.scrollWidth > result.viewport || result.wide.length > 0) {
            overflows.push(
              `${slug} at ${width}px: scrollWidth ${result.scrollWidth}, wide ${result.wide.join(',')}`,
            );
          }
        }
        await page.close();
      }
      expect(overflows).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
