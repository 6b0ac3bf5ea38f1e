/**
 * Publishing must not depend on the hour it runs at: CI runs at any time of day, and a test once
 * failed every run before 09:00 UTC. The site's zone (Europe/Berlin, UTC+1 in December) puts
 * 23:30 UTC on the next calendar day there, and 00:30 UTC on the same one.
 */
import { describe, expect, it } from 'vitest';
import { createPublishHarness, postSource, siteYaml } from './harness.ts';

const cases = [
  { at: '2026-12-02T00:30:00Z', today: '2026-12-02', tomorrow: '2026-12-03' },
  { at: '2026-12-02T23:30:00Z', today: '2026-12-03', tomorrow: '2026-12-04' },
];

describe('publish at any hour', () => {
  for (const { at, today, tomorrow } of cases) {
    it(`at ${at.slice(11, 16)} UTC publishes and mails a post of the site's today, and schedules tomorrow's`, async () => {
      const h = await createPublishHarness({ now: new Date(at) });
      await h.upload('site.yml', siteYaml());
      const todayKey = `posts/${today}-night-recap.md`;
      const tomorrowKey = `posts/${tomorrow}-next-meetup.md`;

      const results = [
        await h.publish(todayKey, postSource({ title: 'Night Recap' })),
        await h.publish(tomorrowKey, postSource({ title: 'Next Meetup' })),
      ];

      for (const result of results) expect(result.batchItemFailures).toEqual([]);
      expect(await h.siteObject(`/${today.replaceAll('-', '/')}/night-recap.html`)).toBeDefined();
      expect(await h.siteObject(`/${tomorrow.replaceAll('-', '/')}/next-meetup.html`)).toBeUndefined();
      expect((await h.campaignList()).map((c) => [c.kind, c.postId])).toEqual([
        ['campaign', `${today}-night-recap`],
      ]);
      expect(h.scheduler.pending()).toEqual([
        expect.objectContaining({ key: tomorrowKey, at: new Date(`${today}T23:00:00Z`) }),
      ]);
    });
  }
});
