import type { Post, SiteConfig } from '../../functions/core/model.ts';

/** A complete site config with fixed values; override what a test cares about. */
export function makeSite(overrides: Partial<SiteConfig> = {}): SiteConfig {
  return {
    title: 'Test Meetups',
    description: 'Recaps of test meetups.',
    url: 'https://recaps.test',
    baseurl: '',
    language: 'en',
    timezone: 'UTC',
    author: { name: 'Test Organisers' },
    permalink: 'date',
    feed: { limit: 20 },
    newsletter: {
      fromAddress: 'news@recaps.test',
      fromName: 'Test Meetups',
      postalAddress: 'Test Street 1, 12345 Testtown',
      subscribeAction: '/api/subscribe',
      maxAgeDays: 7,
    },
    ...overrides,
  };
}

/** A valid post dated 2026-03-14 12:00 UTC; override what a test cares about. */
export function makePost(overrides: Partial<Post> = {}): Post {
  const date = overrides.date ?? new Date('2026-03-14T12:00:00Z');
  const slug = overrides.slug ?? 'pi-day-meetup';
  const path = overrides.path ?? `/2026/03/14/${slug}.html`;
  return {
    id: `2026-03-14-${slug}`,
    guid: `https://recaps.test${path.replace(/\.html$/, '')}`,
    sourcePath: `posts/2026-03-14-${slug}.md`,
    slug,
    title: 'Pi Day Meetup',
    date,
    updated: date,
    path,
    url: `https://recaps.test${path}`,
    authors: [{ name: 'Ada Example' }],
    summary: 'We met on Pi Day and talked about serving models.',
    tags: ['community'],
    categories: [],
    draft: false,
    body: 'We met on **Pi Day**.\n\n![Stage](/assets/pi/stage.png)\n',
    bodyLine: 6,
    data: { layout: 'post', title: 'Pi Day Meetup' },
    ...overrides,
  };
}
