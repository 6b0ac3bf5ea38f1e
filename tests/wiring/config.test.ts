import { describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  loadFeedbackConfig,
  loadSubscribeConfig,
  loadSubscriptionConfig,
} from '../../functions/wiring/config.ts';

const BASE = {
  TABLE_NAME: 'herald-subscribers',
  SITE_URL: 'https://recaps.test/blog/',
  FROM_ADDRESS: 'recaps@recaps.test',
  TOKEN_KEYS_SECRET_ID: 'herald/token-keys',
};

describe('loadSubscriptionConfig', () => {
  it('applies defaults and strips the trailing slash of SITE_URL', () => {
    const config = loadSubscriptionConfig(BASE);

    expect(config).toMatchObject({
      tableName: 'herald-subscribers',
      siteUrl: 'https://recaps.test/blog',
      tokenKeys: { kind: 'secret', secretId: 'herald/token-keys' },
      confirmTokenMaxAgeMs: 7 * 24 * 3600_000,
      resendIntervalMs: 15 * 60_000,
      ipLimit: { max: 20, windowMs: 3600_000 },
      templatesDir: 'templates',
    });
  });

  it('fails fast naming the variable and its value', () => {
    const load = () => loadSubscriptionConfig({ ...BASE, SITE_URL: 'recaps.test', SUBSCRIBE_IP_LIMIT: '-1' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SITE_URL="recaps\.test": must be an http\(s\) URL/);
    expect(load).toThrow(/SUBSCRIBE_IP_LIMIT="-1"/);
  });

  it('names a missing variable as unset', () => {
    const load = () => loadSubscriptionConfig({ ...BASE, TABLE_NAME: undefined });

    expect(load).toThrow(/TABLE_NAME=\(unset\)/);
  });

  it('requires exactly one token key source', () => {
    const both = () => loadSubscriptionConfig({ ...BASE, TOKEN_KEYS_FILE: '.herald/keys.json' });
    const none = () => loadSubscriptionConfig({ ...BASE, TOKEN_KEYS_SECRET_ID: undefined });

    expect(both).toThrow('set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID');
    expect(none).toThrow('set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID');
  });
});

describe('loadSubscribeConfig', () => {
  const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/herald-confirmations';

  it('needs no token keys, since subscribe signs nothing', () => {
    const config = loadSubscribeConfig({
      ...BASE,
      TOKEN_KEYS_SECRET_ID: undefined,
      CONFIRMATION_QUEUE_URL: QUEUE,
    });

    expect(config.tokenKeys).toBeUndefined();
    expect(config.confirmationQueueUrl).toBe(QUEUE);
  });

  it('requires the confirmation queue, naming it', () => {
    const load = () => loadSubscribeConfig({ ...BASE, TOKEN_KEYS_SECRET_ID: undefined });

    expect(load).toThrow(/CONFIRMATION_QUEUE_URL=\(unset\)/);
  });
});

describe('loadFeedbackConfig', () => {
  it('rejects a table name dynalite and DynamoDB would refuse', () => {
    const load = () => loadFeedbackConfig({ TABLE_NAME: 'ab' });

    expect(load).toThrow('TABLE_NAME="ab": must be at least 3 characters');
  });
});

describe('Lambda entry points', () => {
  it('fail the init phase, naming the variable, when the environment is bad', async () => {
    const saved = { ...process.env };
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'herald-unsubscribe';
    delete process.env.TABLE_NAME;
    vi.resetModules();

    const loading = import('../../functions/handlers/unsubscribe.ts');

    try {
      await expect(loading).rejects.toThrow(/TABLE_NAME=\(unset\)/);
    } finally {
      process.env = saved;
      vi.resetModules();
    }
  });
});
