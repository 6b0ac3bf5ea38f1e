import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsTreatedAsExpired,
  credentialsWillNeedRefresh,
  defaultProvider,
} from '../../infra/bundling/lambda-credentials.ts';

describe('Lambda credential provider (bundled in place of the SDK default chain)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads the role credentials Lambda puts in the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    const credentials = await defaultProvider()();
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('fails with a clear error when the environment has no credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });

  it('treats credentials as expired five minutes before their expiry, like the SDK', () => {
    // Relative to the real clock on purpose: the SDK's expiry check reads it; any hour gives the same answer.
    const soon = new Date(Date.now() + 60_000);
    const later = new Date(Date.now() + 3_600_000);
    expect(credentialsWillNeedRefresh({ expiration: later })).toBe(true);
    expect(credentialsWillNeedRefresh({})).toBe(false);
    expect(credentialsTreatedAsExpired({ expiration: soon })).toBe(true);
    expect(credentialsTreatedAsExpired({ expiration: later })).toBe(false);
    expect(credentialsTreatedAsExpired({})).toBe(false);
  });
});
