import { describe, expect, it } from 'vitest';
import { ContentError } from '../../functions/core/errors.ts';
import { frontMatterDefaults, readJekyllSettings } from '../../functions/core/jekyll-config.ts';
import { parseSiteConfig } from '../../functions/core/site-config.ts';

const CONFIG = `
title: Club
url: https://club.test
collections:
  posts:
    permalink: /news/:year/:title/
    output: false
defaults:
  - scope: { path: "" }
    values: { layout: default, author: Everyone, social: { card: small, site: club } }
  - scope: { path: "_posts", type: posts }
    values: { layout: post }
  - scope: { path: "_posts" }
    values: { author: Posters, social: { card: large } }
  - scope: { path: "news/_posts/2023*" }
    values: { archived: true }
  - scope: { type: drafts }
    values: { draft_note: yes }
excerpt_separator: "<!--more-->"
future: true
feed:
  path: /atom-feed.xml
  posts_limit: 5
  excerpt_only: true
  categories: [news]
  tags:
    except: [private]
`;

describe('readJekyllSettings', () => {
  it('reads collections, excerpt separator, future and jekyll-feed settings', () => {
    const settings = readJekyllSettings(CONFIG);

    expect(settings).toMatchObject({
      postsPermalink: '/news/:year/:title/',
      excerptSeparator: '<!--more-->',
      future: true,
      unpublished: false,
      showDrafts: false,
      feed: {
        path: '/atom-feed.xml',
        postsLimit: 5,
        excerptOnly: true,
        categories: ['news'],
        tags: { except: ['private'], path: '/feed/by_tag/' },
      },
    });
  });
});

describe('frontMatterDefaults', () => {
  const { defaults } = readJekyllSettings(CONFIG);

  // Checked against Jekyll 4.3: a set as specific as the last one taken but without a type loses to it.
  it('merges every set whose scope applies with Jekyll’s precedence, mappings deeply', () => {
    expect(frontMatterDefaults(defaults, '_posts/2024-01-01-x.md', 'posts')).toEqual({
      layout: 'post',
      author: 'Everyone',
      social: { card: 'small', site: 'club' },
    });
    expect(frontMatterDefaults(defaults, 'about.md', 'pages')).toEqual({
      layout: 'default',
      author: 'Everyone',
      social: { card: 'small', site: 'club' },
    });
  });

  it('matches globs in scope paths and types', () => {
    expect(frontMatterDefaults(defaults, 'news/_posts/2023-05-01-x.md', 'posts')).toMatchObject({
      archived: true,
    });
    expect(frontMatterDefaults(defaults, 'news/_posts/2024-05-01-x.md', 'posts')).not.toHaveProperty(
      'archived',
    );
    expect(frontMatterDefaults(defaults, '_drafts/x.md', 'drafts')).toMatchObject({
      draft_note: 'yes',
      author: 'Everyone',
    });
  });
});

describe('parseSiteConfig of a Jekyll _config.yml', () => {
  it('falls back to name for the title and takes the posts permalink from the collection', () => {
    const site = parseSiteConfig(
      'name: Named Club\nurl: https://club.test\ncollections:\n  posts:\n    permalink: /news/:title/\nfeed:\n  posts_limit: 7\n',
      '_config.yml',
      'jekyll',
    );

    expect(site).toMatchObject({ title: 'Named Club', permalink: '/news/:title/', feed: { limit: 7 } });
  });

  it('names the collection key when that permalink is wrong', () => {
    let problems: unknown[] = [];
    try {
      parseSiteConfig(
        'title: Club\nurl: https://club.test\ncollections:\n  posts:\n    permalink: /:nope/\n',
        '_config.yml',
        'jekyll',
      );
    } catch (error) {
      if (error instanceof ContentError) problems = error.problems;
    }

    expect(problems).toEqual([expect.objectContaining({ field: 'collections.posts.permalink', line: 5 })]);
  });
});
