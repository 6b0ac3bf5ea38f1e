import { describe, expect, it } from 'vitest';
import { createPublishHarness } from './harness.ts';

const NOW = new Date('2026-03-20T12:00:00Z');

const CONFIG = `name: Liquid Club
url: https://club.test
repository: club/site
collections:
  posts:
    permalink: /news/:year/:month/:day/:title/
defaults:
  - scope: { path: "_posts" }
    values: { venue: Main Hall }
herald:
  newsletter:
    from_address: club@club.test
    postal_address: 1 Club Road
`;

describe('publish: a Jekyll site with Liquid in its posts', () => {
  it('renders Liquid from the content bucket: site data, includes, defaults and post_url', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', CONFIG);
    await h.upload('_data/releases.csv', 'version,sha\n3.4.0,abc123\n3.5.0,def456\n');
    await h.upload('_includes/note.html', '<aside>{{ include.text }}</aside>');
    await h.upload('_posts/2026-03-01-first.md', '---\ntitle: First\n---\n\nThe first post.\n');
    const source = [
      '---',
      'title: Second',
      '---',
      '',
      '{% assign r = site.data.releases | where: "version", "3.4.0" | first %}Checksum {{ r.sha }} at {{ page.venue }} for {{ site.repository }}.',
      '',
      'See [the first]({% post_url 2026-03-01-first %}).',
      '',
      '{% include note.html text="Bring snacks" %}',
      '',
    ].join('\n');

    const result = await h.publish('_posts/2026-03-19-second.md', source);

    expect(result.batchItemFailures).toEqual([]);
    const page = (await h.siteObject('/news/2026/03/19/second/index.html'))?.body ?? '';
    expect(page).toContain('Checksum abc123 at Main Hall for club/site.');
    expect(page).toContain('href="/news/2026/03/01/first/"');
    expect(page).toContain('<aside>Bring snacks</aside>');
    const feed = (await h.siteObject('/atom.xml'))?.body ?? '';
    expect(feed).toContain('Checksum abc123');
    expect(feed).not.toContain('{%');
  });

  it('refuses a post with a tag Herald does not have, naming the file and line, and writes nothing', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', CONFIG);

    const result = await h.publish(
      '_posts/2026-03-19-plugin.md',
      '---\ntitle: Plugin\n---\n\nHello\n\n{% gist 12345 %}\n',
    );

    expect(result.batchItemFailures).toHaveLength(1);
    const invalid = h.logs.find((l) => l.message === 'invalid content');
    expect(JSON.stringify(invalid?.context)).toContain('_posts/2026-03-19-plugin.md:7');
    expect(JSON.stringify(invalid?.context)).toContain("Unknown tag 'gist'");
    expect([...(await h.siteFiles()).keys()]).toEqual([]);
  });
});
