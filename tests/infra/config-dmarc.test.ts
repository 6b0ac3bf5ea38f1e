import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.ts';
import { repoRoot } from '../../infra/paths.ts';

const contentDir = join(repoRoot, 'content');
const load = (context: Record<string, string>) =>
  loadInfraConfig({ contentDir, context: (key) => context[key] });

describe('DMARC configuration', () => {
  it('defaults to p=none with reports to dmarc-reports@ the mail domain', () => {
    const config = load({});

    expect(config.dmarc).toEqual({ policy: 'none', reportAddress: 'dmarc-reports@recaps.example.org' });
  });

  it('takes the policy and report address from the CDK context', () => {
    const config = load({ 'herald:dmarcPolicy': 'reject', 'herald:dmarcReportAddress': 'dmarc@example.net' });

    expect(config.dmarc).toEqual({ policy: 'reject', reportAddress: 'dmarc@example.net' });
  });

  it('leaves DMARC to the user with dmarcPolicy=off', () => {
    const config = load({ 'herald:dmarcPolicy': 'off' });

    expect(config.dmarc).toBeUndefined();
  });

  it('names the setting and value of an unknown policy', () => {
    expect(() => load({ 'herald:dmarcPolicy': 'strict' })).toThrow(/herald:dmarcPolicy = "strict"/);
  });
});
