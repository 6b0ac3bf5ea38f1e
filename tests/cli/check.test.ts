import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../functions/cli/check.ts';
import { createProgram } from '../../functions/cli/program.ts';
import { captureIo } from '../helpers/cli-io.ts';

const SAMPLE_CONTENT = new URL('../../content/', import.meta.url).pathname;

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-cli-check-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function heraldContent(posts: Record<string, string>): Promise<string> {
  const dir = join(work, 'content');
  await mkdir(join(dir, 'posts'), { recursive: true });
  await writeFile(
    join(dir, 'site.yml'),
    'title: Check Meetups\ndescription: d\nurl: https://check.test\nnewsletter:\n  from_address: n@check.test\n  from_name: Check\n  postal_address: Street 1, Town\n',
  );
  for (const [name, text] of Object.entries(posts)) await writeFile(join(dir, 'posts', name), text);
  return dir;
}

describe('herald check', () => {
  it('passes the sample content with exit code 0 and writes nothing', async () => {
    const { io, cli } = captureIo();
    const before = await readdir(work);

    await createProgram(cli).parseAsync([
      'node',
      'herald',
      'check',
      '--content',
      SAMPLE_CONTENT,
      '--emails',
      'all',
    ]);

    expect(io.err).toBe('');
    expect(io.code).toBe(0);
    expect(io.out).toMatch(/^ok: 3 posts, \d+ pages, \d+ feeds, 2 emails\n$/);
    expect(await readdir(work)).toEqual(before);
  });

  it('prints every content problem as file:line: field: message and exits 1', async () => {
    const content = await heraldContent({
      '2026-01-10-no-title.md': '---\nlayout: post\n---\n\nBody.\n',
      '2026-01-11-bad-email.md': '---\ntitle: Bad Flag\nemail: "no"\n---\n\nBody.\n',
    });
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync(['node', 'herald', 'check', '--content', content]);

    expect(io.code).toBe(1);
    expect(io.err).toMatch(/posts\/2026-01-10-no-title\.md:\d+: title: .+\n/);
    expect(io.err).toMatch(/posts\/2026-01-11-bad-email\.md:3: email: .+\n/);
    expect(io.err).toMatch(/2 problem\(s\) found\n$/);
    expect(io.out).toBe('');
  });

  it('reports a YAML alias bomb and 20,000 nested quotes as file:line: message, without a stack trace', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
      const previous = i === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g'][i - 1];
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const content = await heraldContent({
      '2026-01-13-bomb.md': `---\ntitle: Bomb\n${bomb.join('\n')}\n---\n\nBody.\n`,
      '2026-01-14-deep.md': `---\ntitle: Deep\n---\n\nIntro.\n\n${'>'.repeat(20_000)} deep\n`,
    });
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync(['node', 'herald', 'check', '--content', content]);

    expect(io.code).toBe(1);
    expect(io.err).toMatch(
      /posts\/2026-01-13-bomb\.md:4: invalid YAML front matter: aliases .*too much data.*\n/,
    );
    expect(io.err).toMatch(
      /posts\/2026-01-14-deep\.md:7: quotes or lists nested 20000 levels deep; at most 50 .*\n/,
    );
    expect(io.err).toMatch(/2 problem\(s\) found\n$/);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it('warns about an email excerpted for size but still passes', async () => {
    const paragraph = `${'Caches grow, batches shrink, and the scheduler decides. '.repeat(20)}\n\n`;
    const content = await heraldContent({
      '2026-01-12-huge.md': `---\ntitle: Huge\n---\n\n${paragraph.repeat(150)}`,
    });

    const result = await runCheck({ contentDir: content });

    expect(result.ok).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^email for 2026-01-12-huge is over 100 KB in full, so it is sent as an excerpt \(\d+ bytes\)/,
      ),
    ]);
  });

  it('warns, with file and line, about a meta refresh and a base tag it removes from the site page', async () => {
    const content = await heraldContent({
      '2026-01-15-redirect.md':
        '---\ntitle: Redirect\n---\n\nHello.\n\n<meta http-equiv="refresh" content="0;url=https://evil.example">\n\nSee <base href="https://evil.example/">.\n',
    });

    const result = await runCheck({ contentDir: content });

    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /posts\/2026-01-15-redirect\.md:7: <meta http-equiv="refresh" content="0;url=https:\/\/evil\.example"> is removed from the site page/,
      ),
      expect.stringMatching(
        /posts\/2026-01-15-redirect\.md:9: <base href="https:\/\/evil\.example\/"> is removed/,
      ),
    ]);
  });

  it('prints content problems without the control characters a file name carries', async () => {
    const content = await heraldContent({
      '2026-01-16-e\u001b[2J\u001b]0;pwned\u0007\bsc.md': '---\nlayout: post\n---\n\nBody.\n',
    });
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync(['node', 'herald', 'check', '--content', content]);

    expect(io.code).toBe(1);
    expect(io.err).toMatch(/2026-01-16-e\[2J\]0;pwnedsc\.md:\d+: title: /);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(io.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('warns about a missing postal address in a Jekyll site', async () => {
    const site = join(work, 'jekyll');
    await mkdir(join(site, '_posts'), { recursive: true });
    await writeFile(join(site, '_config.yml'), 'title: Jekyll Meetups\nurl: https://jekyll.test\n');
    await writeFile(
      join(site, '_posts', '2026-02-01-first.md'),
      '---\nlayout: post\ntitle: First\n---\n\nHello.\n',
    );
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync(['node', 'herald', 'check', '--content', site]);

    expect(io.code).toBe(0);
    expect(io.err).toMatch(/warning: .*postal.address/i);
    expect(io.out).toMatch(/^ok: 1 posts, .*warning\(s\)\n$/);
  });

  it('names the site template that is not valid Mustache', async () => {
    const templates = join(work, 'templates');
    await cp(new URL('../../templates/', import.meta.url), templates, { recursive: true });
    await writeFile(join(templates, 'site', 'tag.html'), '<h1>{{tag}}</h1>\n{{#posts}}<li>{{title}}</li>\n');
    const { io, cli } = captureIo();

    await createProgram(cli).parseAsync([
      'node',
      'herald',
      'check',
      '--content',
      SAMPLE_CONTENT,
      '--templates',
      templates,
    ]);

    expect(io.code).toBe(1);
    expect(io.err).toContain(
      `${join(templates, 'site', 'tag.html')}: not a valid Mustache template: Unclosed section "posts"`,
    );
  });
});
