import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../functions/cli/check.ts';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-check-topics-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('herald check with topics', () => {
  it('warns about a front matter topic that site.yml does not configure, naming file and value', async () => {
    const dir = join(work, 'content');
    await mkdir(join(dir, 'posts'), { recursive: true });
    await writeFile(
      join(dir, 'site.yml'),
      'title: T\nurl: https://t.test\nnewsletter:\n  postal_address: Street 1\n  topics:\n    - { id: berlin, name: Berlin }\n',
    );
    await writeFile(
      join(dir, 'posts', '2026-01-12-a.md'),
      '---\ntitle: A\ntopics: [berlin, paris]\n---\n\nHi.\n',
    );
    await writeFile(join(dir, 'posts', '2026-01-13-b.md'), '---\ntitle: B\ntags: [berlin]\n---\n\nHi.\n');

    const result = await runCheck({ contentDir: dir });

    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /posts\/2026-01-12-a\.md: topics: unknown topic "paris" \(site\.yml has berlin\); left out of the audience$/,
      ),
    ]);
  });
});
