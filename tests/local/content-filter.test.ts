import { describe, expect, it } from 'vitest';
import { contentNotificationFilter } from '../../functions/local/s3.ts';

describe('contentNotificationFilter', () => {
  it('notifies _drafts/ only for herald dev --drafts', () => {
    expect(contentNotificationFilter('content').prefixes).toEqual(['posts/', '_posts/']);
    expect(contentNotificationFilter('content', { drafts: true }).prefixes).toEqual([
      'posts/',
      '_posts/',
      '_drafts/',
    ]);
  });
});
