import { describe, expect, it } from 'vitest';
import { defineHandler, type Env } from '../../functions/handlers/define-handler.ts';

const loadConfig = (env: Env) => {
  if (!env.TABLE_NAME) throw new Error('TABLE_NAME=(unset): must be at least 3 characters');
  return { table: env.TABLE_NAME };
};

describe('defineHandler', () => {
  it('checks the environment at load inside Lambda, so a bad deploy fails at init', () => {
    const define = () =>
      defineHandler(loadConfig, () => async () => 'ok', { env: { AWS_LAMBDA_FUNCTION_NAME: 'herald-send' } });

    expect(define).toThrow(/TABLE_NAME=\(unset\)/);
  });

  it('reads nothing at import elsewhere, and builds once on the first event', async () => {
    let builds = 0;
    const handler = defineHandler(
      loadConfig,
      (config) => {
        builds++;
        return async (event: string) => `${config.table}:${event}`;
      },
      { env: { TABLE_NAME: 'subscribers' } },
    );
    const before = builds;

    const answers = [await handler('a', undefined), await handler('b', undefined)];

    expect(before).toBe(0);
    expect(answers).toEqual(['subscribers:a', 'subscribers:b']);
    expect(builds).toBe(1);
  });

  it('builds again after a failed build instead of keeping the failure', async () => {
    let attempt = 0;
    const handler = defineHandler(
      loadConfig,
      async () => {
        attempt++;
        if (attempt === 1) throw new Error('secret throttled');
        return async () => 'ok';
      },
      { env: { TABLE_NAME: 'subscribers' } },
    );

    const first = await handler('a', undefined).catch((error: Error) => error.message);
    const second = await handler('a', undefined);

    expect([first, second]).toEqual(['secret throttled', 'ok']);
  });

  it('turns an unanswered error into a reply when told how', async () => {
    const handler = defineHandler(
      loadConfig,
      async (): Promise<(event: string) => Promise<{ statusCode: number }>> => {
        throw new Error('templates unreadable');
      },
      { env: { TABLE_NAME: 'subscribers' }, onError: () => ({ statusCode: 503 }) },
    );

    expect(await handler('a', undefined)).toEqual({ statusCode: 503 });
  });
});
