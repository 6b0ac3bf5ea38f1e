import { describe, expect, it } from 'vitest';
import { ORIGIN_SECRET_HEADER } from '../../../functions/core/http.ts';
import { freshAddress, startHarness } from './harness.ts';

const SECRET = 'cloudfront-only-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c1e';

describe('the API behind CloudFront (issue 11 item 9)', () => {
  it('refuses with 403 a request without the origin secret, or with a wrong one, and queues nothing', async () => {
    const h = await startHarness({ holdConfirmations: true });
    h.deps.originSecret = SECRET;

    const missing = await h.subscribe({ email: freshAddress('direct') });
    const wrong = await h.subscribe({
      email: freshAddress('forged'),
      headers: { [ORIGIN_SECRET_HEADER]: `${SECRET}x` },
    });
    const page = await h.confirmPage('anything');

    expect([missing.statusCode, wrong.statusCode, page.statusCode]).toEqual([403, 403, 403]);
    expect(h.deps.confirmationQueue.stats().waiting).toBe(0);
  });

  it('answers a request carrying the secret, and keys the per-IP limit on the viewer address CloudFront forwarded', async () => {
    const h = await startHarness({ ipLimit: { max: 1, windowMs: 3600_000 } });
    h.deps.originSecret = SECRET;
    const viaCloudFront = (edge: string) => ({
      ip: edge,
      headers: { [ORIGIN_SECRET_HEADER]: SECRET, 'cloudfront-viewer-address': '203.0.113.77:51234' },
    });

    const first = await h.subscribe({ email: freshAddress('viewer'), ...viaCloudFront('130.176.0.1') });
    const second = await h.subscribe({ email: freshAddress('viewer'), ...viaCloudFront('130.176.0.2') });

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(429);
  });

  it('ignores a CloudFront-Viewer-Address the client wrote when no secret vouches for it', async () => {
    const h = await startHarness({ ipLimit: { max: 1, windowMs: 3600_000 } });
    const forged = (viewer: string) => ({
      ip: '198.51.100.20',
      headers: { 'cloudfront-viewer-address': viewer },
    });

    const first = await h.subscribe({ email: freshAddress('spoof'), ...forged('192.0.2.1:1') });
    const second = await h.subscribe({ email: freshAddress('spoof'), ...forged('192.0.2.2:1') });

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(429);
  });
});
