import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as fanoutHandler } from '../../functions/handlers/fanout.ts';
import { handler as reconcileHandler } from '../../functions/handlers/reconcile.ts';
import { handler as sendHandler } from '../../functions/handlers/send.ts';
import { ConfigError } from '../../functions/wiring/config.ts';
import {
  loadFanoutConfig,
  loadReconcileConfig,
  loadSendConfig,
} from '../../functions/wiring/delivery-config.ts';

const PLANNING = {
  CAMPAIGN_TABLE_NAME: 'herald-campaigns',
  SUBSCRIBER_TABLE_NAME: 'herald-subscribers',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/send',
  FANOUT_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/fanout',
};
const SEND = {
  CAMPAIGN_TABLE_NAME: 'herald-campaigns',
  SUBSCRIBER_TABLE_NAME: 'herald-subscribers',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/send',
  TOKEN_KEYS_SECRET_ID: 'herald/token-keys',
};

describe('delivery configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lets fan-out and reconcile start without token keys, SES settings or an email bucket', () => {
    const fanout = loadFanoutConfig(PLANNING);
    const reconcile = loadReconcileConfig(PLANNING);

    expect(fanout).toEqual(PLANNING);
    expect(reconcile).toEqual(PLANNING);
  });

  it('names the function, the variable and its value when fan-out or reconcile is misconfigured', () => {
    const fanout = () => loadFanoutConfig({ ...PLANNING, FANOUT_QUEUE_URL: undefined });
    const reconcile = () => loadReconcileConfig({ ...PLANNING, CAMPAIGN_TABLE_NAME: 'ab' });

    expect(fanout).toThrow(ConfigError);
    expect(fanout).toThrow(/^fanout: invalid environment: FANOUT_QUEUE_URL=\(unset\)/);
    expect(reconcile).toThrow('reconcile: invalid environment: CAMPAIGN_TABLE_NAME="ab": must be at least 3');
  });

  it('gives send its pacing defaults and still requires exactly one token key source', () => {
    const config = loadSendConfig({ ...SEND, SES_CONFIGURATION_SET: 'herald' });
    const none = () => loadSendConfig({ ...SEND, TOKEN_KEYS_SECRET_ID: undefined });
    const both = () => loadSendConfig({ ...SEND, TOKEN_KEYS_FILE: '/tmp/keys.json' });
    const rate = () => loadSendConfig({ ...SEND, SEND_RATE_SHARE: '1.5' });

    expect(config).toMatchObject({
      SES_CONFIGURATION_SET: 'herald',
      SEND_RATE_SHARE: 1,
      SEND_SAFETY_FACTOR: 0.98,
    });
    expect(none).toThrow(/^send: invalid environment: TOKEN_KEYS_SECRET_ID=\(unset\): set exactly one of/);
    expect(both).toThrow('set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID');
    expect(rate).toThrow('SEND_RATE_SHARE="1.5": must be at most 1');
  });

  it('checks the environment on the first event, not at import, and again after a failure', async () => {
    // The test process has none of the delivery variables.
    const event = { Records: [] };

    const unconfigured = fanoutHandler(event as never, {} as never);
    await unconfigured.catch(() => undefined);
    for (const [name, value] of Object.entries(PLANNING)) vi.stubEnv(name, value);
    const configured = fanoutHandler(event as never, {} as never);

    await expect(unconfigured).rejects.toThrow(/^fanout: invalid environment: CAMPAIGN_TABLE_NAME=\(unset\)/);
    await expect(configured).resolves.toEqual({ batchItemFailures: [] });
    await expect(sendHandler(event as never, {})).rejects.toThrow(/^send: invalid environment: TOKEN_KEYS/);
    vi.unstubAllEnvs();
    await expect(reconcileHandler({}, {})).rejects.toThrow(/^reconcile: invalid environment/);
  });
});
