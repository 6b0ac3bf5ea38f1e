import { describe, expect, it } from 'vitest';
import { shouldMail } from '../../functions/core/mailing-policy.ts';
import { makePost, makeSite } from '../helpers/fixtures.ts';

const DAY = 24 * 60 * 60 * 1000;
const postDate = new Date('2026-03-14T12:00:00Z');
const at = (days: number) => new Date(postDate.getTime() + days * DAY);

describe('shouldMail', () => {
  it('mails a fresh post published on its date', () => {
    const post = makePost({ date: postDate });
    const decision = shouldMail(post, makeSite(), { now: at(0) });
    expect(decision).toEqual({ mail: true });
  });

  it('never mails a draft, and does not record it (it may be published later)', () => {
    const decision = shouldMail(makePost({ draft: true }), makeSite(), { now: at(1) });
    expect(decision).toMatchObject({ mail: false, reason: 'draft', record: false });
  });

  it('never mails a post with email: false, even a fresh one', () => {
    const decision = shouldMail(makePost({ email: false }), makeSite(), { now: at(0) });
    expect(decision).toMatchObject({ mail: false, reason: 'email-disabled', record: false });
  });

  it('schedules a future-dated post at its date instead of mailing now', () => {
    const post = makePost({ date: postDate });
    const decision = shouldMail(post, makeSite(), { now: at(-2) });
    expect(decision).toMatchObject({ mail: false, reason: 'scheduled', at: postDate, record: false });
  });

  it('mails a post committed late but within maxAgeDays (exactly 7 days)', () => {
    const decision = shouldMail(makePost({ date: postDate }), makeSite(), { now: at(7) });
    expect(decision).toEqual({ mail: true });
  });

  it('does not mail a post older than maxAgeDays at first publication, and records it', () => {
    const decision = shouldMail(makePost({ date: postDate }), makeSite(), { now: at(7.01) });
    expect(decision).toMatchObject({ mail: false, reason: 'too-old', record: true });
    if (!decision.mail) expect(decision.detail).toContain('maxAgeDays (7)');
  });

  it('judges age at the first publication, not at a later re-evaluation', () => {
    const decision = shouldMail(makePost({ date: postDate }), makeSite(), {
      now: at(30),
      firstPublishedAt: at(2),
    });
    expect(decision).toEqual({ mail: true });
  });

  it('honours a custom maxAgeDays', () => {
    const site = makeSite();
    site.newsletter.maxAgeDays = 1;
    expect(shouldMail(makePost({ date: postDate }), site, { now: at(2) })).toMatchObject({
      reason: 'too-old',
    });
  });

  it('mails an old post when the front matter says email: true (back catalogue opt-in)', () => {
    const decision = shouldMail(makePost({ date: postDate, email: true }), makeSite(), { now: at(400) });
    expect(decision).toEqual({ mail: true });
  });

  it('blocks anything dated before newsletter.since, even with email: true', () => {
    const site = makeSite();
    site.newsletter.since = at(1);
    const decision = shouldMail(makePost({ date: postDate, email: true }), site, { now: at(1) });
    expect(decision).toMatchObject({ mail: false, reason: 'before-since', record: true });
  });

  it('mails a post dated after newsletter.since', () => {
    const site = makeSite();
    site.newsletter.since = at(-1);
    expect(shouldMail(makePost({ date: postDate }), site, { now: at(0) })).toEqual({ mail: true });
  });
});
