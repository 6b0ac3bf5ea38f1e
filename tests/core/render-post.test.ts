import { describe, expect, it } from 'vitest';
import { renderPost } from '../../functions/core/render-post.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

describe('renderPost', () => {
  it('renders site HTML as written and portable HTML against the site root with baseurl', () => {
    const site = makeSite({ baseurl: '/blog' });
    const post = makePost({
      url: 'https://recaps.test/blog/2026/03/14/pi-day-meetup.html',
      body: '## Recap\n\n![Stage](/assets/pi/stage.png)\n\n[Details](#recap) and [slides](slides.pdf)\n',
    });

    const rendered = renderPost(post, site);

    expect(rendered.post).toBe(post);
    expect(rendered.html).toBe(
      '<h2 id="recap">Recap</h2>\n<p><img src="/assets/pi/stage.png" alt="Stage"></p>\n<p><a href="#recap">Details</a> and <a href="slides.pdf">slides</a></p>\n',
    );
    expect(rendered.portableHtml).toBe(
      '<h2>Recap</h2>\n<p><img src="https://recaps.test/blog/assets/pi/stage.png" alt="Stage" /></p>\n' +
        '<p><a href="https://recaps.test/blog/2026/03/14/pi-day-meetup.html#recap">Details</a> and ' +
        '<a href="https://recaps.test/blog/2026/03/14/slides.pdf">slides</a></p>\n',
    );
  });

  it('keeps raw HTML on the site but sanitises it for email and feeds', () => {
    const site = makeSite();
    const post = makePost({
      body: '<p align="center"><picture><img src="/a.png" onerror="x()"></picture></p>\n',
    });

    const rendered = renderPost(post, site);

    expect(rendered.html).toBe('<p align="center"><picture><img src="/a.png" onerror="x()"></picture></p>\n');
    expect(rendered.portableHtml).toBe(
      '<p align="center"><img src="https://recaps.test/a.png" alt="" /></p>\n',
    );
  });
});
