/**
 * The local stand-ins `npm start` runs on, started in-process: dynalite (DynamoDB) on the data
 * folder, aws-ses-v2-local (SES) and s3rver (S3), with the tables and buckets Herald uses. A
 * damaged data folder is reported as a {@link LocalDataError} saying how to start fresh.
 */
import { readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { campaignTableDefinition } from '../adapters/campaign-store.ts';
import { loadTokenKeysFile, TokenKeysError } from '../adapters/token-keys.ts';
import type { TokenKeys } from '../core/tokens.ts';
import { LocalS3Error, startLocalS3 } from './s3.ts';
import { createSubscriberTable, localDynamoClient, startLocalSes } from './services.ts';

/** Table names of the local cloud. */
export const TABLES = { subscribers: 'herald-subscribers', campaigns: 'herald-campaigns' };
/** Bucket names of the local cloud. */
export const BUCKETS = { content: 'herald-content', site: 'herald-site', state: 'herald-state' };

/** The data folder (or part of it) cannot be used; the message says what to do. */
export class LocalDataError extends Error {
  override name = 'LocalDataError';
}

export function dataProblem(path: string, what: string, error: unknown): LocalDataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new LocalDataError(
    `The local data in ${path} cannot be used (${what}: ${reason}). It may be damaged, e.g. by a crash ` +
      'mid-write or files from another tool. Start fresh with `herald dev --reset` (deletes local ' +
      'subscribers, campaigns, sent mail and the built site), or move the folder aside to keep it.',
    { cause: error },
  );
}

/** Opens the dynalite LevelDB folder once, so damage is reported clearly instead of hanging requests. */
async function checkLevelFolder(path: string): Promise<void> {
  // dynalite's own `level`, so both agree on the format.
  const require = createRequire(import.meta.resolve('dynalite'));
  const { Level } = require('level') as {
    Level: new (path: string, options: object) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(path, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw dataProblem(path, 'the DynamoDB files do not open', cause ?? error);
  }
  await db.close();
}

/** Deletes everything in the data folder but `keep` (the lock file). */
export async function resetData(dataDir: string, keep: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => join(dataDir, n) !== keep)
      .map((n) => rm(join(dataDir, n), { recursive: true, force: true })),
  );
}

async function startDynaliteAt(
  path: string,
  host: string,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const endpoint = await new Promise<string>((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      done(`http://${host}:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
  return {
    endpoint,
    stop: () =>
      new Promise((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  };
}

/** The running stand-ins, their clients and the local token keys. */
export interface LocalServices {
  dynamoEndpoint: string;
  ses: Awaited<ReturnType<typeof startLocalSes>>;
  s3: Awaited<ReturnType<typeof startLocalS3>>;
  dynamo: DynamoDBClient;
  tokenKeys: TokenKeys;
}

/**
 * Starts the stand-ins on `host` and creates the tables. Each started service's stop is handed to
 * `onStop` at once, so a later failure still stops what did start.
 * @throws LocalDataError when the data folder is damaged.
 */
export async function startLocalServices(options: {
  dataDir: string;
  host: string;
  onStop(stop: () => Promise<void>): void;
  /** Called once DynamoDB answers, before the tables are created (the lock records the endpoint). */
  onDynamo?(endpoint: string): Promise<void>;
}): Promise<LocalServices> {
  const { dataDir, host } = options;
  const dynamoDir = join(dataDir, 'dynamo');
  // Both checks finish before either failure is thrown: the level folder check opens files in the data
  // folder, which must be closed again before the caller cleans up.
  const [keys, level] = await Promise.allSettled([
    loadTokenKeysFile(join(dataDir, 'token-keys.json'), { create: true }).catch((error: unknown) => {
      if (error instanceof TokenKeysError)
        throw dataProblem(join(dataDir, 'token-keys.json'), 'token keys', error);
      throw error;
    }),
    checkLevelFolder(dynamoDir),
  ]);
  if (keys.status === 'rejected') throw keys.reason;
  if (level.status === 'rejected') throw level.reason;
  const tokenKeys = keys.value;

  const started = await Promise.allSettled([
    startDynaliteAt(dynamoDir, host),
    startLocalSes(host),
    startLocalS3({
      dir: join(dataDir, 's3'),
      buckets: [BUCKETS.content, BUCKETS.site, BUCKETS.state],
      host,
    }),
  ] as const);
  for (const result of started) if (result.status === 'fulfilled') options.onStop(() => result.value.stop());
  const failure = started.find((r) => r.status === 'rejected');
  if (failure) {
    const error = failure.reason as unknown;
    throw error instanceof LocalS3Error ? dataProblem(join(dataDir, 's3'), 'local S3', error) : error;
  }
  const [dynamoService, ses, s3] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof startDynaliteAt>>,
    Awaited<ReturnType<typeof startLocalSes>>,
    Awaited<ReturnType<typeof startLocalS3>>,
  ];

  const dynamo = localDynamoClient(dynamoService.endpoint);
  await options.onDynamo?.(dynamoService.endpoint);
  try {
    await createSubscriberTable(dynamo, TABLES.subscribers);
    await dynamo
      .send(new CreateTableCommand(campaignTableDefinition(TABLES.campaigns)))
      .catch((error: unknown) => {
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      });
  } catch (error) {
    throw dataProblem(dynamoDir, 'the tables cannot be created', error);
  }
  return { dynamoEndpoint: dynamoService.endpoint, ses, s3, dynamo, tokenKeys };
}
