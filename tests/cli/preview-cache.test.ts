import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBuildCache } from '../../functions/adapters/build-cache.ts';
import { DEFAULT_TEMPLATES_DIR } from '../../functions/cli/build.ts';
import { type PreviewJob, startCachedPreviewEmails } from '../../functions/cli/preview-emails.ts';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-preview-cache-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const site = makeSite();
const job = (body = 'We met and talked about caches.'): PreviewJob => ({
  rendered: renderPost(makePost({ id: 'meetup', slug: 'meetup', body }), site),
  name: 'meetup',
});

/** How many times the last {@link previews} asked for a worker thread (none is started in tests). */
let workerAsked = 0;

/** One build's previews, through the build cache in `work/cache`. */
async function previews(jobs: PreviewJob[], templatesDir = DEFAULT_TEMPLATES_DIR, cacheName = 'cache') {
  const cache = openBuildCache(join(work, cacheName));
  workerAsked = 0;
  try {
    const pending = await startCachedPreviewEmails(
      jobs,
      { site, templatesDir, cacheDir: join(work, 'shapes') },
      () => {
        workerAsked++;
        return undefined;
      },
      cache,
    );
    return await pending.wait();
  } finally {
    cache.close();
  }
}

const eml = (all: Awaited<ReturnType<typeof previews>>) =>
  Buffer.from(all[0]?.files.find((f) => f.path.endsWith('.eml'))?.body ?? '').toString('utf8');

describe('preview emails through the build cache', () => {
  it('takes an unchanged preview from the cache, byte for byte (a new rendering has a new MIME boundary)', async () => {
    const first = await previews([job()]);
    expect(workerAsked).toBe(1);
    const again = await previews([job()]);

    // Every preview kept: no worker thread is started for nothing.
    expect(workerAsked).toBe(0);
    expect(again).toEqual(first);
    expect(Buffer.isBuffer(again[0]?.files[2]?.body)).toBe(true);
    expect(eml(again)).toBe(eml(first));
    // Rendering the same post afresh gives another boundary, so equality above means "kept".
    const fresh = await previews([job()], DEFAULT_TEMPLATES_DIR, 'another-cache');
    expect(eml(fresh)).not.toBe(eml(first));
  });

  it('renders again when the post changes', async () => {
    await previews([job()]);

    const changed = await previews([job('We met and talked about queues.')]);

    expect(String(changed[0]?.files[0]?.body)).toContain('queues');
  });

  it('renders again when the newsletter template changes', async () => {
    const templates = await copyOfTemplates();
    await previews([job()], templates);
    const file = join(templates, 'newsletter.mjml');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        '</mj-body>',
        '<mj-section><mj-column><mj-text>Edited footer</mj-text></mj-column></mj-section></mj-body>',
      ),
    );

    const edited = await previews([job()], templates);

    expect(String(edited[0]?.files[0]?.body)).toContain('Edited footer');
  });

  it('keeps the order of the jobs when only some were kept', async () => {
    const other: PreviewJob = {
      rendered: renderPost(makePost({ id: 'other', slug: 'other', title: 'Other night' }), site),
      name: 'other',
    };
    await previews([job()]);

    const both = await previews([other, job()]);

    expect(both.map((p) => p.report.name)).toEqual(['other', 'meetup']);
  });
});

async function copyOfTemplates(): Promise<string> {
  const dir = await mkdtemp(join(work, 'templates-'));
  await cp(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
  return dir;
}
