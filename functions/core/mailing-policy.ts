/**
 * Whether a post is mailed when it is published. Pure: the caller passes the clock and the moment
 * the post was first published (so a re-evaluation later gives the same answer).
 */
import type { Post, SiteConfig } from './model.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Why a post is not mailed now. */
export type NotMailedReason = 'draft' | 'email-disabled' | 'before-since' | 'too-old' | 'scheduled';

/**
 * The decision. `record: true` means the answer is final for this post id and must be remembered
 * (`recordNotToMail`) so a later edit or re-upload never mails it; `scheduled` carries `at`.
 */
export type MailingDecision =
  | { mail: true }
  | { mail: false; reason: 'scheduled'; at: Date; record: false; detail: string }
  | { mail: false; reason: Exclude<NotMailedReason, 'scheduled'>; record: boolean; detail: string };

/**
 * Applies the rules in order:
 * 1. drafts are never mailed;
 * 2. `email: false` is never mailed;
 * 3. a future date schedules the post (site, feeds and mail) at its date;
 * 4. `newsletter.since` blocks anything dated before it, even with `email: true`;
 * 5. `email: true` mails regardless of age;
 * 6. otherwise the post is mailed if its date is at most `newsletter.maxAgeDays` before
 *    `firstPublishedAt` (default `now`); an older post is site-and-feeds only, recorded as not-to-mail.
 */
export function shouldMail(
  post: Post,
  site: SiteConfig,
  options: { now: Date; firstPublishedAt?: Date },
): MailingDecision {
  if (post.draft)
    return { mail: false, reason: 'draft', record: false, detail: `${post.sourcePath} is a draft` };
  if (post.email === false) {
    return {
      mail: false,
      reason: 'email-disabled',
      record: false,
      detail: `${post.sourcePath} has email: false`,
    };
  }
  if (post.date.getTime() > options.now.getTime()) {
    return {
      mail: false,
      reason: 'scheduled',
      at: post.date,
      record: false,
      detail: `${post.sourcePath} is dated ${post.date.toISOString()}, in the future`,
    };
  }
  const since = site.newsletter.since;
  if (since && post.date.getTime() < since.getTime()) {
    return {
      mail: false,
      reason: 'before-since',
      record: true,
      detail: `${post.sourcePath} is dated ${post.date.toISOString()}, before newsletter.since ${since.toISOString()}`,
    };
  }
  if (post.email === true) return { mail: true };
  const publishedAt = options.firstPublishedAt ?? options.now;
  const ageMs = publishedAt.getTime() - post.date.getTime();
  if (ageMs > site.newsletter.maxAgeDays * DAY_MS) {
    return {
      mail: false,
      reason: 'too-old',
      record: true,
      detail: `${post.sourcePath} is dated ${post.date.toISOString()}, more than newsletter.maxAgeDays (${site.newsletter.maxAgeDays}) before its first publication ${publishedAt.toISOString()}`,
    };
  }
  return { mail: true };
}
