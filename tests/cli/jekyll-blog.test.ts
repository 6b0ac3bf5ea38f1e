import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prepareBuild, runBuild } from '../../functions/cli/build.ts';
import { runCheck } from '../../functions/cli/check.ts';

const dirs: string[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function blog(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-jekyll-blog-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const CONFIG = 'name: Club\nurl: https://club.test\n';

describe('an existing Jekyll blog', () => {
  it('check lists every Liquid problem with file and line, and build writes nothing', async () => {
    const dir = await blog({
      '_config.yml': CONFIG,
      '_posts/2026-01-01-plugin.md': '---\ntitle: Plugin\n---\n\nHello\n\n{% youtube abc %}\n',
      '_posts/2026-01-02-syntax.md': '---\ntitle: Syntax\n---\n{% for x in %}\n',
      '_posts/2026-01-03-link.md': '---\ntitle: Link\n---\n\n{% post_url 2025-01-01-gone %}\n',
      '_posts/2026-01-04-escape.md': '---\ntitle: Escape\n---\n\n{% include ../_config.yml %}\n',
    });
    const out = join(dir, 'out');

    const check = await runCheck({ contentDir: dir });
    const build = runBuild({ contentDir: dir, outDir: out });

    expect(check.ok).toBe(false);
    expect(check.errors).toEqual([
      expect.stringMatching(/_posts\/2026-01-01-plugin\.md:7: .*Unknown tag 'youtube'/),
      expect.stringMatching(/_posts\/2026-01-02-syntax\.md:4: /),
      expect.stringMatching(
        /_posts\/2026-01-03-link\.md:5: .*Could not find post "2025-01-01-gone" in tag 'post_url'/,
      ),
      expect.stringMatching(/_posts\/2026-01-04-escape\.md:5: .*Invalid syntax for include tag/),
    ]);
    await expect(build).rejects.toThrow(/youtube/);
    expect(existsSync(out)).toBe(false);
  });

  it('publishes _drafts only with --drafts, dated by the file time, and leaves out future and unpublished posts', async () => {
    const dir = await blog({
      '_config.yml': CONFIG,
      '_posts/2026-01-01-kept.md': '---\ntitle: Kept\n---\n\nKept.\n',
      '_posts/2026-01-02-hidden.md': '---\ntitle: Hidden\npublished: false\n---\n\nHidden.\n',
      '_posts/2026-07-01-future.md': '---\ntitle: Future\n---\n\nLater.\n',
      '_drafts/idea.md': '---\ntitle: Idea\n---\n\nAn idea.\n',
    });
    vi.setSystemTime(new Date('2026-06-01T00:00:00Z'));
    await utimes(
      join(dir, '_drafts/idea.md'),
      new Date('2026-02-03T04:05:06Z'),
      new Date('2026-02-03T04:05:06Z'),
    );

    const without = await prepareBuild({ contentDir: dir });
    const withDrafts = await prepareBuild({ contentDir: dir, drafts: true });

    expect(without.content.posts.map((p) => p.title)).toEqual(['Kept']);
    expect(withDrafts.content.posts.map((p) => [p.title, p.path])).toEqual([
      ['Idea', '/2026/02/03/idea.html'],
      ['Kept', '/2026/01/01/kept.html'],
    ]);
  });
});
