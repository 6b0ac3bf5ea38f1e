import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTable } from '../../functions/cli/local-tables.ts';
import { acquireRuntimeLock } from '../../functions/local/lock.ts';

const saved = process.env.TABLE_NAME;
afterEach(() => {
  if (saved === undefined) delete process.env.TABLE_NAME;
  else process.env.TABLE_NAME = saved;
});

describe('CLI table resolution', () => {
  it('attaches to the local runtime that holds the data folder', async () => {
    delete process.env.TABLE_NAME;
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-attach-'));
    const lock = await acquireRuntimeLock(dataDir);
    await lock.update('http://localhost:3999', {
      endpoint: 'http://127.0.0.1:45678',
      subscribers: 'herald-subscribers',
      campaigns: 'herald-campaigns',
    });

    const subscribers = await resolveTable({
      table: undefined,
      envName: 'TABLE_NAME',
      kind: 'subscribers',
      dataDir,
    });
    const campaigns = await resolveTable({
      table: undefined,
      envName: 'TABLE_NAME',
      kind: 'campaigns',
      dataDir,
    });

    expect(subscribers?.tableName).toBe('herald-subscribers');
    expect(campaigns?.tableName).toBe('herald-campaigns');
    const endpoint = await subscribers?.client.config.endpoint?.();
    expect(endpoint?.port).toBe(45678);
    await lock.release();
    expect(
      await resolveTable({ table: undefined, envName: 'TABLE_NAME', kind: 'subscribers', dataDir }),
    ).toBeUndefined();
  });

  it('prefers --table, then the environment, and ignores a lock left by a dead process', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-attach-'));
    await writeFile(
      join(dataDir, 'runtime.lock'),
      JSON.stringify({
        pid: 2 ** 22 + 7,
        startedAt: '',
        dynamo: { endpoint: 'http://127.0.0.1:1', subscribers: 's', campaigns: 'c' },
      }),
    );

    process.env.TABLE_NAME = 'from-env';
    const fromFlag = await resolveTable({
      table: 'from-flag',
      envName: 'TABLE_NAME',
      kind: 'subscribers',
      dataDir,
    });
    const fromEnv = await resolveTable({
      table: undefined,
      envName: 'TABLE_NAME',
      kind: 'subscribers',
      dataDir,
    });
    delete process.env.TABLE_NAME;
    const stale = await resolveTable({
      table: undefined,
      envName: 'TABLE_NAME',
      kind: 'subscribers',
      dataDir,
    });

    expect(fromFlag?.tableName).toBe('from-flag');
    expect(fromEnv?.tableName).toBe('from-env');
    expect(stale).toBeUndefined();
  });
});
