import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BuildCache, openBuildCache } from '../../functions/adapters/build-cache.ts';
import { loadContent } from '../../functions/adapters/content-fs.ts';
import { renderPostLazily, runBuild } from '../../functions/cli/build.ts';
import { createProgram } from '../../functions/cli/program.ts';
import { ContentError } from '../../functions/core/errors.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { captureIo } from '../helpers/cli-io.ts';

const SAMPLE_CONTENT = new URL('../../content/', import.meta.url).pathname;
const LIQUID_LAB = new URL('../fixtures/jekyll-diff/liquid-lab/', import.meta.url).pathname;

const SITE_YML = `title: CLI Test Meetups
description: Recaps for CLI tests.
url: https://cli.test
baseurl: ""
timezone: UTC
newsletter:
  from_address: news@cli.test
  from_name: CLI Test Meetups
  postal_address: Test Street 1, 12345 Testtown
`;

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-cli-build-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeContent(dir: string, posts: Record<string, string>): Promise<string> {
  await mkdir(join(dir, 'posts'), { recursive: true });
  await writeFile(join(dir, 'site.yml'), SITE_YML);
  for (const [name, text] of Object.entries(posts)) await writeFile(join(dir, 'posts', name), text);
  return dir;
}

async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('herald build', () => {
  it('builds the sample content into site pages, feeds and preview emails', async () => {
    const out = join(work, 'dist');

    const report = await runBuild({ contentDir: SAMPLE_CONTENT, outDir: out });

    const files = await tree(out);
    for (const path of [
      'site/index.html',
      'site/2026/09/24/berlin-serving-night.html',
      'site/2026/11/12/lisbon-quantization-workshop.html',
      'site/2026/06/03/hello-herald.html',
      'site/tags/index.html',
      'site/tags/berlin/index.html',
      'site/tags/berlin/feed.xml',
      'site/subscribe.html',
      'site/404.html',
      'site/feed.xml',
      'site/atom.xml',
      'site/feed.json',
      'site/sitemap.xml',
      'site/style.css',
      'site/subscribe.js',
      'site/assets/recaps/2026-berlin/stage.png',
      'email/berlin-serving-night.html',
      'email/berlin-serving-night.txt',
      'email/berlin-serving-night.eml',
    ]) {
      expect(files).toContain(path);
    }
    // `email: false` in its front matter: on the site, never mailed.
    expect(files.some((f) => f.startsWith('email/hello-herald'))).toBe(false);
    expect(report.posts).toBe(3);
    expect(report.emails.map((e) => e.name).sort()).toEqual([
      'berlin-serving-night',
      'lisbon-quantization-workshop',
    ]);
    expect(report.pages).toBe(files.filter((f) => f.startsWith('site/') && f.endsWith('.html')).length);
  });

  it('writes a complete preview .eml: List-Unsubscribe headers and a text part before the HTML part', async () => {
    const out = join(work, 'dist');

    await runBuild({ contentDir: SAMPLE_CONTENT, outDir: out });

    const raw = await readFile(join(out, 'email', 'berlin-serving-night.eml'));
    const mail = await simpleParser(raw);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('reader@example.com');
    expect(mail.subject).toBe('Serving Night Berlin: Batching, Caches and a Full House');
    // mailparser folds List-* headers into a `list` object; the raw lines are what mailbox providers read.
    const header = (key: string) =>
      (mail.headerLines.find((h) => h.key === key)?.line ?? '').replace(/\r?\n\s+/g, ' ');
    expect(header('list-unsubscribe')).toBe(
      'List-Unsubscribe: <https://recaps.example.org/api/unsubscribe?token=sample-token>',
    );
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mail.text).toContain('converted tram depot in Friedrichshain');
    expect(mail.html).toContain('converted tram depot in Friedrichshain');
    const source = raw.toString('utf8');
    expect(source).toMatch(/Content-Type: multipart\/alternative/i);
    expect(source.search(/Content-Type: text\/plain/i)).toBeGreaterThan(0);
    expect(source.search(/Content-Type: text\/plain/i)).toBeLessThan(
      source.search(/Content-Type: text\/html/i),
    );
    expect(await readFile(join(out, 'email', 'berlin-serving-night.html'), 'utf8')).toBe(mail.html);
  });

  it('writes byte-identical site files when the same content is built twice', async () => {
    const first = join(work, 'one');
    const second = join(work, 'two');

    await runBuild({ contentDir: SAMPLE_CONTENT, outDir: first });
    await runBuild({ contentDir: SAMPLE_CONTENT, outDir: second });

    const files = (await tree(join(first, 'site'))).sort();
    expect(await tree(join(second, 'site'))).toEqual(files);
    for (const file of files) {
      const [a, b] = await Promise.all([
        readFile(join(first, 'site', file)),
        readFile(join(second, 'site', file)),
      ]);
      expect(a.equals(b), file).toBe(true);
    }
  });

  it('exits 1 on broken content, naming file, line and field, and writes nothing', async () => {
    const content = await writeContent(join(work, 'content'), {
      '2026-01-10-no-title.md': '---\nlayout: post\nsummary: Forgot the title.\n---\n\nBody.\n',
      '2026-01-11-bad-tags.md': '---\ntitle: Bad Tags\ntags: 5\n---\n\nBody.\n',
      '2026-01-12-good.md': '---\ntitle: Good\n---\n\nBody.\n',
    });
    const out = join(work, 'dist');
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync(['node', 'herald', 'build', '--content', content, '--out', out]);

    expect(io.code).toBe(1);
    expect(io.err).toContain(`herald build: nothing was written to ${out}`);
    expect(io.err).toMatch(/2026-01-10-no-title\.md:\d+: title: /);
    expect(io.err).toMatch(/2026-01-11-bad-tags\.md:3: tags: /);
    expect(io.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(await exists(out)).toBe(false);
    expect(await readdir(work)).toEqual(['content']);
  });

  it('keeps the previous good output when a later build fails', async () => {
    const content = await writeContent(join(work, 'content'), {
      '2026-01-12-good.md': '---\ntitle: Good\n---\n\nBody.\n',
    });
    const out = join(work, 'dist');
    await runBuild({ contentDir: content, outDir: out });
    const before = await tree(out);
    await writeFile(join(content, 'posts', '2026-01-13-broken.md'), '---\ntitle: "unclosed\n---\n');

    const act = runBuild({ contentDir: content, outDir: out });

    await expect(act).rejects.toBeInstanceOf(ContentError);
    expect(await tree(out)).toEqual(before);
    expect(before).toContain('site/2026/01/12/good.html');
  });

  it('keeps the previous output and no temp folder when a permalink collision shows only after pages were written', async () => {
    const content = await writeContent(join(work, 'content'), {
      '2026-01-12-good.md': '---\ntitle: Good\n---\n\nBody.\n',
    });
    const out = join(work, 'dist');
    await runBuild({ contentDir: content, outDir: out });
    const before = await tree(out);
    await writeFile(
      join(content, 'posts', '2026-01-13-squatter.md'),
      '---\ntitle: Squatter\npermalink: /subscribe.html\n---\n\nBody.\n',
    );

    const act = runBuild({ contentDir: content, outDir: out });

    await expect(act).rejects.toThrow(/subscribe\.html/);
    expect(await tree(out)).toEqual(before);
    expect(await readdir(work)).toEqual(['content', 'dist']);
  });

  it('reports an email that had to be excerpted because of its size', async () => {
    const paragraph = `${'Serving engines batch requests and page their caches. '.repeat(20)}\n\n`;
    const content = await writeContent(join(work, 'content'), {
      '2026-01-12-huge.md': `---\ntitle: A Very Long Recap\n---\n\n${paragraph.repeat(150)}`,
    });
    const out = join(work, 'dist');
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync([
      'node',
      'herald',
      'build',
      '--content',
      content,
      '--out',
      out,
      '--emails',
      'all',
    ]);

    expect(io.code).toBe(0);
    expect(io.out).toMatch(/^Built 1 post in /);
    expect(io.out).toMatch(/excerpt huge: too large in full, mailed as an excerpt \(\d+ bytes\)/);
    expect(io.err).toMatch(
      /warning: email for 2026-01-12-huge is over 100 KB in full, so it is sent as an excerpt/,
    );
    const html = await readFile(join(out, 'email', 'huge.html'), 'utf8');
    expect(Buffer.byteLength(html)).toBeLessThan(102_400);
  });

  it('renders posts lazily with exactly the output of renderPost', async () => {
    const { site, posts } = await loadContent(SAMPLE_CONTENT);

    const lazy = posts.map((post) => renderPostLazily(post, site));

    expect(lazy).toHaveLength(3);
    for (const [i, post] of posts.entries()) {
      const eager = renderPost(post, site);
      expect(lazy[i]?.html).toBe(eager.html);
      expect(lazy[i]?.portableHtml).toBe(eager.portableHtml);
    }
  });

  it('takes Markdown and portable HTML from the build cache, exactly as rendered, and re-renders changed posts', async () => {
    const { site, posts } = await loadContent(SAMPLE_CONTENT);
    const cacheDir = join(work, 'cache');
    const cold = openBuildCache(cacheDir);
    const first = posts.map((post) => renderPostLazily(post, site, cold));
    for (const r of first) [r.html, r.portableHtml, r.removedTags];
    cold.close();

    const warm = openBuildCache(cacheDir);
    let computed = 0;
    const counting: BuildCache = {
      ...warm,
      get: (kind, input, compute) =>
        warm.get(kind, input, () => {
          computed++;
          return compute();
        }),
      close: () => warm.close(),
    };
    const again = posts.map((post) => renderPostLazily(post, site, counting));
    const changed =
      posts[0] &&
      renderPostLazily({ ...posts[0], body: `${posts[0].body}\n\nOne more line.` }, site, counting);

    for (const [i, post] of posts.entries()) {
      const eager = renderPost(post, site);
      expect(again[i]?.html).toBe(eager.html);
      expect(again[i]?.portableHtml).toBe(eager.portableHtml);
    }
    expect(computed).toBe(0);
    expect(changed?.html).toContain('<p>One more line.</p>');
    expect(changed?.portableHtml).toContain('One more line.');
    expect(computed).toBe(2);
    counting.close();
  });

  it('builds the same site with a warm build cache as without one', async () => {
    const content = await writeContent(join(work, 'content'), {
      '2026-01-05-first.md':
        '---\ntitle: First\ntags: [rust]\n---\n\nHello **there**.\n\n<meta http-equiv="refresh" content="0;url=https://evil.example">\n',
      '2026-01-06-second.md': '---\ntitle: Second\n---\n\n## Talks\n\n- [one](/one/)\n',
    });
    const now = new Date('2026-01-07T12:00:00Z');
    const cacheDir = join(work, 'cache');
    const plain = await runBuild({ contentDir: content, outDir: join(work, 'plain'), emails: 'all', now });
    await runBuild({ contentDir: content, outDir: join(work, 'cold'), emails: 'all', now, cacheDir });
    const warm = await runBuild({
      contentDir: content,
      outDir: join(work, 'warm'),
      emails: 'all',
      now,
      cacheDir,
    });

    const files = await tree(join(work, 'plain', 'site'));
    expect(files.length).toBeGreaterThan(5);
    expect(await tree(join(work, 'warm', 'site'))).toEqual(files);
    for (const file of files) {
      expect(await readFile(join(work, 'warm', 'site', file), 'utf8'), file).toBe(
        await readFile(join(work, 'plain', 'site', file), 'utf8'),
      );
    }
    // Which tags were cut from a page is cached with its HTML.
    expect(plain.warnings.join('\n')).toMatch(/first\.md:\d+: <meta http-equiv="refresh".* is removed/);
    expect(warm.warnings).toEqual(plain.warnings);
  });

  it('builds a Jekyll site with Liquid the same warm as uncached, after includes and data change too', async () => {
    const content = join(work, 'lab');
    await cp(LIQUID_LAB, content, { recursive: true });
    const now = new Date('2026-01-07T12:00:00Z');
    const cacheDir = join(work, 'cache');
    const build = (out: string, cached: boolean) =>
      runBuild({
        contentDir: content,
        outDir: join(work, out),
        emails: 'all',
        now,
        gitTimes: false,
        ...(cached ? { cacheDir } : {}),
      });
    const sameSite = async (a: string, b: string) => {
      const files = await tree(join(work, a, 'site'));
      expect(await tree(join(work, b, 'site'))).toEqual(files);
      for (const file of files) {
        expect(await readFile(join(work, b, 'site', file), 'utf8'), file).toBe(
          await readFile(join(work, a, 'site', file), 'utf8'),
        );
      }
      return files;
    };

    await build('cold', true);
    await build('warm', true);
    await build('plain', false);
    expect((await sameSite('plain', 'warm')).length).toBeGreaterThan(10);

    const note = join(content, '_includes', 'note.html');
    await writeFile(note, (await readFile(note, 'utf8')).replace('Note for', 'A note on'));
    const releases = join(content, '_data', 'releases.yml');
    await writeFile(releases, (await readFile(releases, 'utf8')).replace('9a8b7c', '0c0c0c'));
    await build('changed-warm', true);
    await build('changed-plain', false);

    await sameSite('changed-plain', 'changed-warm');
    const pages = await Promise.all(
      (await tree(join(work, 'changed-warm', 'site')))
        .filter((f) => f.endsWith('.html'))
        .map((f) => readFile(join(work, 'changed-warm', 'site', f), 'utf8')),
    );
    expect(pages.join('\n')).toContain('A note on');
  });

  it('renders a post again after its HTML was let go, with the same output', async () => {
    const { site, posts } = await loadContent(SAMPLE_CONTENT);
    const post = posts[0];
    if (!post) throw new Error('the sample content has posts');
    const lazy = renderPostLazily(post, site);
    const first = lazy.html;

    lazy.release();

    expect(lazy.html).toBe(first);
    expect(lazy.portableHtml).toBe(renderPost(post, site).portableHtml);
    expect(lazy.removedTags).toEqual([]);
  });
});
