/**
 * In-process stand-ins for DynamoDB (dynalite) and SES (aws-ses-v2-local) on free ports, plus the
 * helpers to reach them: clients with dummy credentials, table creation, the SES mail store.
 * Used by the integration tests' global setup, the bench and the local runtime.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { subscriberTableDefinition } from '../adapters/subscriber-store.ts';

/** Endpoints of running local services and how to stop them. */
export interface LocalServices {
  dynamoEndpoint: string;
  sesEndpoint: string;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const REGION = 'eu-central-1';

function listen(server: Server, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://${host}:${port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** Starts dynalite (in memory, tables active at once) on a free port. */
export async function startDynalite(
  host = '127.0.0.1',
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const endpoint = await listen(server, host);
  return { endpoint, stop: () => close(server) };
}

/** Starts aws-ses-v2-local on a free port; `GET <endpoint>/store` lists what was sent. */
export async function startLocalSes(
  host = '127.0.0.1',
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  type Start = (config: { host: string; port: number }) => Promise<Server>;
  const mod = (await import('aws-ses-v2-local')) as unknown as { default: Start | { default: Start } };
  // CommonJS with `exports.default`: Node's ESM wrapper nests it one level deeper than tsx does.
  const start = typeof mod.default === 'function' ? mod.default : mod.default.default;
  const server = await start({ host, port: 0 });
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://${host}:${port}`, stop: () => close(server) };
}

/** Starts both services. */
export async function startLocalServices(): Promise<LocalServices> {
  const [dynamo, ses] = await Promise.all([startDynalite(), startLocalSes()]);
  return {
    dynamoEndpoint: dynamo.endpoint,
    sesEndpoint: ses.endpoint,
    stop: async () => {
      await Promise.all([dynamo.stop(), ses.stop()]);
    },
  };
}

/** A DynamoDB client for a local endpoint. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** An SES client for a local endpoint. */
export function localSesClient(endpoint: string): SESClient {
  return new SESClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** Creates the subscriber table (see subscriber-store.ts) if it does not exist, and waits until it is active. */
export async function createSubscriberTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(subscriberTableDefinition(tableName)));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`local table ${tableName} did not become active`);
}

/** One email as aws-ses-v2-local stores it. */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Every email the local SES has accepted, oldest first. */
export async function readSesStore(sesEndpoint: string): Promise<StoredEmail[]> {
  const response = await fetch(`${sesEndpoint}/store`);
  if (!response.ok) throw new Error(`local SES store answered ${response.status}`);
  const store = (await response.json()) as { emails: StoredEmail[] };
  return store.emails;
}
