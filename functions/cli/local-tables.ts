/**
 * Where CLI commands find their DynamoDB table: `--table` (and the AWS SDK's usual environment),
 * the command's environment variable, or else the `npm start` runtime running on this machine.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runningRuntime } from '../local/lock.ts';
import { localDynamoClient } from '../local/services.ts';

/** A table and a client that reaches it. */
export interface TableTarget {
  client: DynamoDBClient;
  tableName: string;
}

/**
 * Resolves the table for a command. Returns undefined when none is given and no local runtime is
 * running in `dataDir`; the caller then names what to pass.
 */
export async function resolveTable(options: {
  table: string | undefined;
  envName: string;
  kind: 'subscribers' | 'campaigns';
  dataDir?: string;
}): Promise<TableTarget | undefined> {
  const named = options.table ?? process.env[options.envName];
  if (named) return { client: new DynamoDBClient({}), tableName: named };
  const local = await runningRuntime(options.dataDir ?? '.herald');
  if (!local?.dynamo) return undefined;
  return { client: localDynamoClient(local.dynamo.endpoint), tableName: local.dynamo[options.kind] };
}
