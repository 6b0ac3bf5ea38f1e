import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../functions/adapters/content-fs.ts';
import { ContentError, type ContentProblem } from '../../functions/core/errors.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../content', import.meta.url));

async function problemsOf(act: () => Promise<unknown>): Promise<ContentProblem[]> {
  try {
    await act();
  } catch (error) {
    if (error instanceof ContentError) return error.problems;
    throw error;
  }
  throw new Error('expected a ContentError');
}

const temps: string[] = [];
async function tempSite(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-content-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadContent', () => {
  it('loads the sample content folder without problems', async () => {
    const dir = SAMPLE;

    const content = await loadContent(dir);

    expect(content.layout).toBe('herald');
    expect(content.site.title).toBe('Open Inference Meetups');
    expect(content.posts.map((p) => p.path)).toEqual([
      '/2026/11/12/lisbon-quantization-workshop.html',
      '/2026/09/24/berlin-serving-night.html',
      '/2026/06/03/hello-herald.html',
    ]);
    expect(content.assets).toContainEqual({
      sitePath: '/assets/recaps/2026-berlin/stage.png',
      file: join(dir, 'assets/recaps/2026-berlin/stage.png'),
    });
    expect(content.warnings).toBeUndefined();
  });

  it('loads a Jekyll site with baseurl, a category folder, three posts and assets', async () => {
    const dir = fixture('jekyll-site');

    const content = await loadContent(dir);

    expect(content.root).toBe(dir);
    expect(content.layout).toBe('jekyll');
    expect(content.site).toMatchObject({
      title: 'Gwanghwamun Inference Club',
      url: 'https://meetups.test',
      baseurl: '/blog',
      language: 'ko',
      timezone: 'Asia/Seoul',
      newsletter: { fromAddress: 'club@meetups.test', postalAddress: '1 Sejong-daero, Jongno-gu, Seoul' },
    });
    expect(
      content.posts.map((p) => ({
        id: p.id,
        url: p.url,
        guid: p.guid,
        date: p.date,
        categories: p.categories,
      })),
    ).toEqual([
      {
        id: '2026-08-19-seoul-inference-night',
        url: 'https://meetups.test/blog/seoul/recap/2026/08/19/seoul-inference-night.html',
        guid: 'https://meetups.test/blog/seoul/recap/2026/08/19/seoul-inference-night',
        date: new Date('2026-08-18T15:00:00Z'),
        categories: ['seoul', 'recap'],
      },
      {
        id: '2026-05-02-spring-hack-night',
        url: 'https://meetups.test/blog/2026/05/02/spring-hack-night.html',
        guid: 'https://meetups.test/blog/2026/05/02/spring-hack-night',
        date: new Date('2026-05-02T10:30:00Z'),
        categories: [],
      },
      {
        id: '2026-03-14-pi-day-meetup',
        url: 'https://meetups.test/blog/2026/03/14/pi-day-meetup.html',
        guid: 'https://meetups.test/blog/2026/03/14/pi-day-meetup',
        date: new Date('2026-03-13T15:00:00Z'),
        categories: [],
      },
    ]);
    expect(content.assets).toEqual([
      { sitePath: '/assets/images/stage.png', file: join(dir, 'assets/images/stage.png') },
      { sitePath: '/robots.txt', file: join(dir, 'robots.txt') },
    ]);
    expect(content.warnings).toEqual([
      `${join(dir, 'index.md')}: page with front matter is not published by Herald`,
    ]);
  });

  it('reads Jekyll front matter the way the posts wrote it', async () => {
    const dir = fixture('jekyll-site');

    const [seoul, spring, piDay] = (await loadContent(dir)).posts;

    expect(seoul?.authors).toEqual([{ name: 'Club Organisers', email: 'hello@meetups.test' }]);
    expect(seoul?.data.social_image).toBe('/assets/images/stage.png');
    expect(seoul?.sourcePath).toBe(join(dir, 'seoul/_posts/2026-08-19-seoul-inference-night.md'));
    expect(spring?.tags).toEqual(['hack-night', 'tooling']);
    expect(spring?.authors).toEqual([
      { name: 'Min-ji Park', url: 'https://minji.test' },
      { name: 'Club Organisers' },
    ]);
    expect(spring?.data.math).toBe(true);
    expect(piDay?.image).toBe('https://meetups.test/blog/assets/images/stage.png');
    expect(piDay?.bodyLine).toBe(9);
  });

  it('warns when a Jekyll site has no postal address', async () => {
    const dir = await tempSite({
      '_config.yml': 'title: Plain Jekyll\nurl: https://plain.test\n',
      '_posts/2026-01-01-hello.md': '---\ntitle: Hello\n---\nHi.\n',
    });

    const content = await loadContent(dir);

    expect(content.site.newsletter.postalAddress).toBe('');
    expect(content.warnings).toEqual([expect.stringContaining('herald.newsletter.postal_address')]);
  });

  it('gathers every problem of every file before failing', async () => {
    const dir = fixture('content-broken');
    const at = (rel: string): string => join(dir, 'posts', rel);

    const problems = await problemsOf(() => loadContent(dir));

    expect(problems.map((p) => ({ file: p.file, line: p.line, field: p.field }))).toEqual([
      { file: at('notes.txt'), line: 1, field: undefined },
      { file: at('2026-01-10-bad-yaml.md'), line: 4, field: undefined },
      { file: at('2026-01-11-no-title.md'), line: 1, field: 'title' },
      { file: at('undated-recap.md'), line: 1, field: undefined },
      { file: at('2026-01-12-first.md'), line: undefined, field: 'id' },
      { file: at('2026-01-13-second.md'), line: undefined, field: 'id' },
      { file: at('2026-01-14-path-a.md'), line: undefined, field: 'permalink' },
      { file: at('2026-01-15-path-b.md'), line: undefined, field: 'permalink' },
    ]);
    expect(problems[4]?.message).toContain(at('2026-01-13-second.md'));
    expect(problems[3]?.message).toContain('YYYY-MM-DD-slug.md');
  });

  it('reports a broken site config together with the posts problems', async () => {
    const dir = fixture('content-bad-site');

    const problems = await problemsOf(() => loadContent(dir));

    expect(problems).toEqual([
      expect.objectContaining({
        file: join(dir, 'site.yml'),
        line: 2,
        field: 'url',
        message: expect.stringContaining('"recaps.test"'),
      }),
      expect.objectContaining({
        file: join(dir, 'posts/2026-02-01-impossible-date.md'),
        line: 3,
        field: 'date',
        message: expect.stringContaining('"2026-02-32"'),
      }),
    ]);
  });

  it('names problem files with the folder as the caller gave it', async () => {
    const dir = await tempSite({
      'site.yml': 'title: T\nurl: https://t.test\nnewsletter:\n  postal_address: Lane 1\n',
      'posts/2026-01-01-x.md': '---\nlayout: post\n---\n',
    });
    const given = relative(process.cwd(), dir);

    const problems = await problemsOf(() => loadContent(given));

    expect(problems).toEqual([
      { file: join(given, 'posts/2026-01-01-x.md'), line: 1, field: 'title', message: 'is required' },
    ]);
  });

  it('reads posts in subfolders of posts/ and skips dotfiles and README.md', async () => {
    const dir = await tempSite({
      'site.yml': 'title: T\nurl: https://t.test\nnewsletter:\n  postal_address: Lane 1\n',
      'posts/2026/2026-01-01-nested.markdown': '---\ntitle: Nested\n---\n',
      'posts/.hidden.md': 'not front matter',
      'posts/README.md': '# How to write posts\n',
      'assets/.DS_Store': 'junk',
      'assets/logo.svg': '<svg/>',
    });

    const content = await loadContent(dir);

    expect(content.posts.map((p) => p.path)).toEqual(['/2026/01/01/nested.html']);
    expect(content.assets).toEqual([{ sitePath: '/assets/logo.svg', file: join(dir, 'assets/logo.svg') }]);
  });

  it('refuses a folder with both config files or with neither', async () => {
    const both = await tempSite({ 'site.yml': 'title: T\n', '_config.yml': 'title: T\n' });
    const neither = await tempSite({ 'posts/2026-01-01-x.md': '---\ntitle: X\n---\n' });

    const bothProblems = await problemsOf(() => loadContent(both));
    const neitherProblems = await problemsOf(() => loadContent(neither));

    expect(bothProblems).toEqual([{ file: both, message: expect.stringContaining('both site.yml') }]);
    expect(neitherProblems).toEqual([{ file: neither, message: expect.stringContaining('no site.yml') }]);
  });
});
