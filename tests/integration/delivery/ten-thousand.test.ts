import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyToken } from '../../../functions/core/tokens.ts';
import { startThrottlingSes, type ThrottlingSes } from '../../support/throttling-ses.ts';
import { createPipeline, type Pipeline, SITE_URL, seedSubscribers, TOKEN_KEYS } from './harness.ts';

const COUNT = 10_000;
let ses: ThrottlingSes;
let p: Pipeline | undefined;

beforeAll(async () => {
  ses = await startThrottlingSes();
});

afterAll(async () => {
  await p?.stop();
  await ses.stop();
});

describe('10,000 subscribers end to end', () => {
  it('gives every confirmed subscriber exactly one message with their own working unsubscribe token', {
    // About 50 s on an idle 2-core machine; several times that when other work shares the CPU.
    timeout: 600_000,
  }, async () => {
    p = await createPipeline({
      sesEndpoint: ses.endpoint,
      concurrency: 8,
      configurationSetName: 'herald-newsletter',
    });
    const subscribers = await seedSubscribers(p.dynamo, p.tables.subscriberTable, COUNT, p.now());
    const byEmail = new Map(subscribers.map((s) => [s.email, s]));
    const postId = `tenk-${randomUUID().slice(0, 8)}`;
    await p.start(postId);
    await p.settle();
    // Exactly one accepted message per subscriber, nothing else.
    expect(p.errors).toEqual([]);
    expect(ses.accepted).toHaveLength(COUNT);
    expect(new Set(ses.accepted.map((m) => m.to)).size).toBe(COUNT);
    expect(ses.accepted.every((m) => m.configurationSet === 'herald-newsletter')).toBe(true);
    // Every raw message handed to SES: headers and the recipient's own token.
    const now = p.now();
    for (const accepted of ses.accepted) {
      const mail = await simpleParser(accepted.raw as Buffer, {
        skipHtmlToText: true,
        skipTextToHtml: true,
        skipTextLinks: true,
      });
      const subscriber = byEmail.get(accepted.to);
      expect(subscriber, accepted.to).toBeDefined();
      const header =
        mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r\n\s+/g, ' ') ?? '';
      const match =
        /^List-Unsubscribe: <(https:[^>]+)>, <mailto:unsubscribe@recaps\.test\?subject=unsubscribe>$/.exec(
          header,
        );
      expect(match, header).not.toBeNull();
      const url = new URL(match?.[1] ?? '');
      expect(`${url.origin}${url.pathname}`).toBe(`${SITE_URL}/api/unsubscribe`);
      const verified = verifyToken(TOKEN_KEYS, url.searchParams.get('token') ?? '', {
        purpose: 'unsubscribe',
        now,
      });
      expect(verified).toMatchObject({ ok: true, subscriberId: subscriber?.id });
      expect(mail.text).toContain(`Unsubscribe: ${url.href}`);
    }
    expect(await p.wiring.store.countStates(postId)).toMatchObject({
      sent: COUNT,
      claimed: 0,
      sending: 0,
      unknown: 0,
    });
  });
});
