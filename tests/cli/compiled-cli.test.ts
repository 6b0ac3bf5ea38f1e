import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript build script without type declarations
import { compileCli } from '../../bin/compile-cli.mjs';
import { EmailTemplateError } from '../../functions/adapters/email-template-error.ts';
import { DEFAULT_TEMPLATES_DIR, prepareBuild } from '../../functions/cli/build.ts';
import { type MarkdownAhead, startMarkdownAhead } from '../../functions/cli/markdown-ahead.ts';
import {
  type PreviewEmail,
  type PreviewJob,
  renderPreviewEmails,
  startPreviewEmails,
  startPreviewWorker,
} from '../../functions/cli/preview-emails.ts';
import type { Post } from '../../functions/core/model.ts';
import { renderMarkdownReport } from '../../functions/core/render-markdown.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';
import { outputManifest } from '../helpers/output-manifest.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE_CONTENT = join(ROOT, 'content');
const GOLDEN = join(ROOT, 'tests', 'fixtures', 'golden');
const LIQUID_LAB = join(ROOT, 'tests', 'fixtures', 'jekyll-diff', 'liquid-lab');

let outDir: string;
let entry: string;

beforeAll(async () => {
  // Inside the repository, as the real cache is, so the compiled modules resolve node_modules.
  const cache = join(ROOT, 'node_modules', '.cache', 'herald');
  await mkdir(cache, { recursive: true });
  outDir = join(await mkdtemp(join(cache, 'test-')), 'cli');
  entry = fileURLToPath((await compileCli({ outDir })) as URL);
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(join(outDir, '..'), { recursive: true, force: true });
});

describe('the compiled CLI', () => {
  it('reads files next to its sources: the version from package.json', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    const { stdout } = await run(process.execPath, [entry, '--version'], { cwd: ROOT });

    expect(stdout).toBe(`${version}\n`);
  });

  it('checks the sample content with Herald’s own templates', async () => {
    const { stdout } = await run(process.execPath, [entry, 'check', '--content', SAMPLE_CONTENT], {
      cwd: ROOT,
    });

    expect(stdout).toMatch(/^ok: 3 posts, \d+ pages, \d+ feeds, \d+ emails/);
  });

  it('lists every source file it was built from, so bin/herald.mjs can tell when to rebuild', async () => {
    const { inputs } = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as {
      inputs: [string, number, number][];
    };

    const files = inputs.map(([file]) => file);
    expect(files).toContain(join(ROOT, 'functions', 'cli', 'build.ts'));
    expect(files).toContain(join(ROOT, 'functions', 'cli', 'subscribers.ts'));
    expect(files).toContain(join(ROOT, 'bin', 'compile-cli.mjs'));
    expect(files.some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('builds the golden corpus byte for byte as the TypeScript sources do', async () => {
    const out = join(outDir, '..', 'golden-out');

    await run(
      process.execPath,
      [entry, 'build', '--content', join(GOLDEN, 'content'), '--out', out, '--emails', 'all'],
      {
        cwd: ROOT,
      },
    );

    const pinned = JSON.parse(await readFile(join(GOLDEN, 'build-output.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(await outputManifest(out)).toEqual(pinned);
  });
});

describe('the compiled CLI’s mjml', () => {
  it('renders the newsletter as mjml from node_modules does, loading no file from node_modules', async () => {
    const template = join(ROOT, 'templates', 'newsletter.mjml');
    const script = `
      const { createRequire } = require('node:module');
      const mjml = createRequire(${JSON.stringify(join(outDir, 'main.mjs'))})('./mjml.cjs');
      const source = require('node:fs').readFileSync(${JSON.stringify(template)}, 'utf8');
      mjml(source, { validationLevel: 'soft' }).then(async ({ html }) => {
        const minify = await mjml(source, { minify: true }).then(() => 'minified', (e) => e.message);
        const loaded = Object.keys(require.cache).filter((f) => f.includes('/node_modules/'));
        process.stdout.write(JSON.stringify({ html, minify, loaded }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
    const bundled = JSON.parse(stdout) as { html: string; minify: string; loaded: string[] };
    const { default: mjml2html } = await import('mjml');
    const { html } = await mjml2html(await readFile(template, 'utf8'), { validationLevel: 'soft' });

    expect(bundled.html).toBe(html);
    expect(bundled.loaded.filter((f) => !f.startsWith(outDir))).toEqual([]);
    expect(bundled.minify).toMatch(/htmlnano is not bundled/);
  });
});

describe('the compiled CLI in a pipe', () => {
  it('finishes the build when the reader of its output goes away', async () => {
    const out = join(outDir, '..', 'piped-out');
    const child = spawn(process.execPath, [entry, 'build', '--content', SAMPLE_CONTENT, '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // As `| head -1` does once it has its line: the pipe closes before Herald writes its summary.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });

    const [code] = (await once(child, 'exit')) as [number | null];

    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
    expect((await readFile(join(out, 'site', 'index.html'), 'utf8')).length).toBeGreaterThan(0);
  });
});

describe('preview emails on the compiled CLI’s worker thread', () => {
  const site = makeSite();
  const jobs: PreviewJob[] = [
    {
      rendered: renderPost(makePost({ id: 'first', slug: 'first', title: 'First & <best>' }), site),
      name: 'first',
    },
    {
      rendered: renderPost(
        makePost({ id: 'second', slug: 'second', body: '## Talks\n\n- one\n- two\n\n> quoted' }),
        site,
      ),
      name: 'second',
    },
  ];
  const options = {
    site,
    templatesDir: DEFAULT_TEMPLATES_DIR,
    cacheDir: join(tmpdir(), 'herald-no-shape-cache'),
  };
  const workerUrl = () => pathToFileURL(join(outDir, 'preview-worker.mjs'));
  /** MIME boundaries are random per message; everything else must be equal. */
  const comparable = (previews: PreviewEmail[] | undefined) =>
    previews?.map((p) => ({
      ...p,
      files: p.files.map((f) => ({
        ...f,
        body: Buffer.from(f.body)
          .toString('utf8')
          .replace(/_NmP-[0-9a-f]+-Part/g, 'BOUNDARY'),
      })),
    }));

  it('renders the same previews as the main thread, .eml files as Buffers', async () => {
    const here = await renderPreviewEmails(jobs, options);

    const onWorker = await startPreviewWorker(workerUrl()).render(jobs, options);

    expect(onWorker).toHaveLength(2);
    expect(comparable(onWorker)).toEqual(comparable(here));
    expect(onWorker?.[0]?.files.map((f) => f.path)).toEqual([
      'email/first.html',
      'email/first.txt',
      'email/first.eml',
    ]);
    expect(Buffer.isBuffer(onWorker?.[0]?.files[2]?.body)).toBe(true);
  });

  it('falls back to the main thread when the worker cannot start', async () => {
    const missing = pathToFileURL(join(outDir, 'no-such-worker.mjs'));

    expect(await startPreviewWorker(missing).render(jobs, options)).toBeUndefined();
    expect(comparable(await startPreviewEmails(jobs, options, startPreviewWorker(missing)).wait())).toEqual(
      comparable(await renderPreviewEmails(jobs, options)),
    );
  });

  it('falls back to the main thread when a post cannot be copied to the worker', async () => {
    const odd = renderPost(makePost({ id: 'odd', slug: 'odd', data: { hook: () => 'not cloneable' } }), site);
    const oddJobs = [{ rendered: odd, name: 'odd' }];

    expect(await startPreviewWorker(workerUrl()).render(oddJobs, options)).toBeUndefined();
    const previews = await startPreviewEmails(oddJobs, options, startPreviewWorker(workerUrl())).wait();
    expect(previews.map((p) => p.report.name)).toEqual(['odd']);
  });

  it('reports a broken template with the renderer’s own error, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-worker-template-'));
    try {
      await writeFile(
        join(dir, 'newsletter.mjml'),
        '<mjml><mj-body><mj-section><mj-column><mj-txt>{{title}}</mj-txt></mj-column></mj-section></mj-body></mjml>',
      );
      const broken = { ...options, templatesDir: dir };

      expect(await startPreviewWorker(workerUrl()).render(jobs, broken)).toBeUndefined();
      const result = startPreviewEmails(jobs, broken, startPreviewWorker(workerUrl())).wait();
      await expect(result).rejects.toBeInstanceOf(EmailTemplateError);
      await expect(result).rejects.toThrow(`${join(dir, 'newsletter.mjml')}: MJML errors`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the compiled CLI’s help', () => {
  const RECORD_MODULES = join(ROOT, 'tests', 'helpers', 'record-modules.mjs');

  it.each([
    [[]],
    [['build']],
    [['check']],
    [['dev']],
    [['preview']],
    [['doctor']],
    [['subscribers']],
    [['subscribers', 'import']],
    [['campaigns']],
    [['campaign']],
    [['send-test']],
  ])(
    'herald %j --help loads no package from node_modules (no AWS SDK, mjml, juice, liquidjs…)',
    async (words) => {
      const dir = await mkdtemp(join(tmpdir(), 'herald-help-'));
      const log = join(dir, 'modules.txt');
      try {
        const { stdout } = await run(
          process.execPath,
          ['--import', RECORD_MODULES, entry, ...words, '--help'],
          {
            cwd: ROOT,
            env: { ...process.env, HERALD_MODULE_LOG: log },
          },
        );

        expect(stdout).toMatch(/^Usage: herald/);
        const loaded = (await readFile(log, 'utf8')).trim().split('\n');
        expect(loaded).toContain(pathToFileURL(entry).href);
        expect(
          loaded.filter(
            (url) => url.includes('/node_modules/') && !url.startsWith(pathToFileURL(outDir).href),
          ),
        ).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('Markdown on the compiled CLI’s worker thread, while Liquid renders', () => {
  const workerUrl = () => pathToFileURL(join(outDir, 'markdown-worker.mjs'));
  /** Posts of different files; headings, an alert, raw HTML a page must not keep, a table. */
  const posts = Array.from({ length: 40 }, (_, i) =>
    makePost({
      sourcePath: `_posts/2026-01-${String((i % 28) + 1).padStart(2, '0')}-post-${i}.md`,
      body: [
        `## Talk ${i}\n\n## Talk ${i}`,
        `> [!NOTE]\n> Slides for talk ${i}.`,
        i % 5 === 0 ? '<meta http-equiv="refresh" content="0; url=https://elsewhere.test">' : '',
        `| a | b |\n|---|---|\n| ${i} | *${i * 2}* |`,
        '- one\n- two\n\n```js\nconst x = 1;\n```',
      ].join('\n\n'),
    }),
  );
  const running: MarkdownAhead[] = [];
  const start = (url = workerUrl(), options?: { aheadLimit: number }) => {
    const ahead = startMarkdownAhead(url, options);
    running.push(ahead);
    return ahead;
  };
  afterAll(() => {
    for (const ahead of running) ahead.close();
  });
  async function delivered(ahead: MarkdownAhead, count: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (ahead.delivered < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  it('renders what the main thread renders: HTML and the tags it removed', async () => {
    const ahead = start();
    for (const post of posts) ahead.send(post);
    await delivered(ahead, posts.length);

    for (const post of posts) expect(ahead.take(post)).toEqual(renderMarkdownReport(post.body));
    expect(ahead.taken).toBe(posts.length);
    expect(posts.filter((p) => ahead.take(p) !== undefined)).toEqual([]);
  });

  it('leaves the main thread a post it takes first, which the worker then does not render', async () => {
    const ahead = start();
    for (const post of posts) ahead.send(post);
    // Taken at once, oldest first: the worker (still starting, then newest first) has reached few if any.
    const local = posts.filter((post) => {
      const taken = ahead.take(post);
      if (taken) expect(taken).toEqual(renderMarkdownReport(post.body));
      return taken === undefined;
    });
    expect(local.length).toBeGreaterThan(0);
    const late = makePost({ sourcePath: '_posts/2026-02-01-late.md', body: '# Late' });
    ahead.send(late);
    await delivered(ahead, posts.length - local.length + 1);

    expect(ahead.delivered).toBe(posts.length - local.length + 1);
    expect(ahead.take(late)).toEqual(renderMarkdownReport('# Late'));
  });

  it("holds at most a set number of posts sent and not taken; later ones are the main thread's", async () => {
    const ahead = start(workerUrl(), { aheadLimit: 5 });
    for (const post of posts) ahead.send(post);
    await delivered(ahead, 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(ahead.delivered).toBe(5);

    const [first, second] = posts as [Post, Post];
    expect(ahead.take(posts.at(-1) as Post)).toBeUndefined();
    expect(ahead.take(first)).toEqual(renderMarkdownReport(first.body));
    ahead.send(posts.at(-1) as Post);
    await delivered(ahead, 6);
    expect(ahead.take(posts.at(-1) as Post)).toEqual(renderMarkdownReport((posts.at(-1) as Post).body));
    expect(ahead.take(second)).toEqual(renderMarkdownReport(second.body));
  });

  it('gives nothing for a post not sent, or one whose body is not the body sent', () => {
    const ahead = start();
    const [first, second] = posts as [Post, Post];
    ahead.send(first);

    expect(ahead.take(second)).toBeUndefined();
    expect(ahead.take({ ...first, body: `${first.body}\nchanged` })).toBeUndefined();
  });

  it('leaves every post to the main thread when the worker cannot start', async () => {
    const ahead = start(pathToFileURL(join(outDir, 'no-such-worker.mjs')));
    for (const post of posts) ahead.send(post);
    await new Promise((r) => setTimeout(r, 200));

    expect(posts.map((p) => ahead.take(p))).toEqual(posts.map(() => undefined));
  });

  it('builds a Jekyll blog with Liquid as the main thread alone does', async () => {
    const options = {
      contentDir: LIQUID_LAB,
      emails: 'all' as const,
      now: new Date('2026-01-07T12:00:00Z'),
      gitTimes: false,
    };
    const files = (build: Awaited<ReturnType<typeof prepareBuild>>) =>
      build.siteFiles.map((f) => [f.path, Buffer.from(f.body).toString('utf8')]);

    const alone = await prepareBuild(options);
    const ahead = await prepareBuild({ ...options, markdownWorker: workerUrl() });

    expect(files(ahead)).toEqual(files(alone));
    expect(ahead.report.warnings).toEqual(alone.report.warnings);
    expect(alone.report.markdownAhead).toBe(0);
    expect(ahead.report.markdownAhead).toBeLessThanOrEqual(ahead.report.posts);
  });
});
