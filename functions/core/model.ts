/**
 * The content model shared by every renderer. Pure types: no I/O, no SDKs.
 */
import type { Topic } from './topics.ts';

/** A person credited on a post or the site. */
export interface Author {
  name: string;
  email?: string;
  url?: string;
}

/** Site-wide configuration, from `content/site.yml` or a Jekyll `_config.yml`. */
export interface SiteConfig {
  title: string;
  description: string;
  /** Origin without trailing slash, e.g. `https://recaps.example.org`. */
  url: string;
  /** Path prefix the site lives under: `''` or e.g. `/blog` (no trailing slash). */
  baseurl: string;
  /** BCP 47 language tag, e.g. `en`. */
  language: string;
  /** IANA time zone for dates written without one. Default `UTC`. */
  timezone: string;
  author?: Author;
  /** Jekyll permalink style or template. Default `date` (`/:categories/:year/:month/:day/:title:output_ext`). */
  permalink: string;
  feed: {
    /** How many newest posts the feeds carry. Default 20. */
    limit: number;
  };
  newsletter: {
    fromAddress: string;
    fromName: string;
    replyTo?: string;
    /** Sender's postal address, printed in every email (CAN-SPAM). */
    postalAddress: string;
    /** Where the subscribe form posts. Default `<baseurl>/api/subscribe`. */
    subscribeAction: string;
    /** Mailbox that processes `mailto:` unsubscribe requests, if any. */
    unsubscribeMailto?: string;
    /** A post older than this when first published is not mailed. Default 7. */
    maxAgeDays: number;
    /** Never mail posts dated before this instant, if set. */
    since?: Date;
    /** Topics readers may choose (see `core/topics.ts`); absent = every post to every reader. */
    topics?: Topic[];
  };
}

/** A validated post. Unknown front matter keys survive in `data`. */
export interface Post {
  /** Stable id (front matter `id`, else derived from the file name), used to key campaigns. */
  id: string;
  /** Feed entry id (RSS guid / Atom id / JSON id): jekyll-feed compatible unless `id` is set. */
  guid: string;
  /** Path of the source file as given to the parser, for error messages. */
  sourcePath: string;
  /** Slug from the file name (or front matter `slug`). */
  slug: string;
  title: string;
  /** The post's instant, from front matter `date` or the file name, in the site's time zone. */
  date: Date;
  /** Last modification instant if front matter gives one (`last_modified_at`/`updated`), else `date`. */
  updated: Date;
  /** Path of the page inside the site, without baseurl, e.g. `/2025/08/19/seoul-meetup.html`. */
  path: string;
  /** Absolute URL of the page, with baseurl. */
  url: string;
  authors: Author[];
  summary?: string;
  /** Absolute URL of the lead image, if any. */
  image?: string;
  tags: string[];
  categories: string[];
  /** `draft: true` or `published: false`: not on the site, feeds or email. */
  draft: boolean;
  /** Explicit `email` flag: `false` never mails, `true` mails even when old; undefined = default policy. */
  email?: boolean;
  /** Email subject override. */
  subject?: string;
  /** Markdown body, front matter removed. */
  body: string;
  /** 1-based line of the source file where the body starts. */
  bodyLine: number;
  /** The whole front matter, unknown keys included. */
  data: Record<string, unknown>;
}

/** A post with its body rendered. */
export interface RenderedPost {
  post: Post;
  /** HTML for the site itself: raw HTML blocks kept, links as the author wrote them. */
  html: string;
  /** Sanitised HTML with absolute URLs, for email and feeds. */
  portableHtml: string;
}
