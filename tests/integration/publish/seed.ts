/**
 * Seeds the publish state of a large site straight into the site bucket (index + one fragment
 * object per post), as if every post had been published before: the incremental test and the
 * publish benchmark start from it. No vitest imports, so the benchmark can use it too.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeCorpus } from '../../../bench/corpus.ts';
import { loadContent } from '../../../functions/adapters/content-fs.ts';
import { loadSiteTemplates } from '../../../functions/adapters/templates-fs.ts';
import type { SiteStore } from '../../../functions/app/ports.ts';
import { renderKey } from '../../../functions/core/plan-site-update.ts';
import { emptyIndex, indexEntry, type PostIndex, upsertEntry } from '../../../functions/core/post-index.ts';
import { renderPost } from '../../../functions/core/render-post.ts';

/**
 * Writes `count` synthetic recaps (bench/corpus.ts: one a day back from 2026-11-30) into the state,
 * and the corpus's site.yml into the content bucket. Returns the index written.
 */
export async function seedPublishedSite(options: {
  count: number;
  s3: S3Client;
  contentBucket: string;
  site: SiteStore;
  templatesDir: string;
  firstPublishedAt: Date;
}): Promise<PostIndex> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-seed-'));
  try {
    await writeCorpus(dir, options.count);
    const [content, templates] = await Promise.all([
      loadContent(dir),
      loadSiteTemplates(join(options.templatesDir, 'site')),
    ]);
    await options.s3.send(
      new PutObjectCommand({
        Bucket: options.contentBucket,
        Key: 'site.yml',
        Body: await readFile(join(dir, 'site.yml'), 'utf8'),
      }),
    );
    let index = emptyIndex();
    const jobs: (() => Promise<void>)[] = [];
    for (const post of content.posts) {
      const key = `posts/${post.sourcePath.split('/').pop()}`;
      const rendered = renderPost({ ...post, sourcePath: key }, content.site);
      index = upsertEntry(index, indexEntry(rendered, key, options.firstPublishedAt));
      jobs.push(() =>
        options.site.writeFragments(post.id, { html: rendered.html, portableHtml: rendered.portableHtml }),
      );
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
      }),
    );
    index = { ...index, renderKey: renderKey(content.site, templates) };
    await options.site.writeIndex(index);
    return index;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
