/**
 * Loads the token signing keys: from AWS Secrets Manager in the cloud, from a local JSON file
 * (generated on first use) for `npm start`. Never from code.
 *
 * Both hold the same JSON: `{ "currentKeyId": "k1", "keys": { "k1": "<base64, >= 32 bytes>" } }`.
 * To rotate, add a new key, make it current, and drop the old one once its links may die
 * (unsubscribe links in old newsletters verify only while their key is present).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import type { TokenKeys } from '../core/tokens.ts';

/** The keys are missing, unreadable or malformed. */
export class TokenKeysError extends Error {
  override name = 'TokenKeysError';
}

// zod/mini keeps this off the cold-start bill (see handlers/config.ts).
const keyId = () => z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 of A-Z a-z 0-9 _ -'));
const tokenKeysSchema = z
  .object({
    currentKeyId: keyId(),
    keys: z.record(
      keyId(),
      z.string().check(
        z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
        z.refine((s) => Buffer.from(s, 'base64').length >= 32, 'must decode to at least 32 bytes'),
      ),
    ),
  })
  .check(
    z.refine((k) => Object.hasOwn(k.keys, k.currentKeyId), { message: 'currentKeyId must name one of keys' }),
  );

/**
 * CloudFormation can only generate flat secrets (`{ "currentKeyId": "k1", "k1": "<random>" }`), so
 * the flat form is accepted too and read as `{ currentKeyId, keys: { k1 } }`.
 */
function nestKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || 'keys' in value) return value;
  const { currentKeyId, ...keys } = value as Record<string, unknown>;
  return { currentKeyId, keys };
}

/** Validates a parsed key document; `where` names its origin in errors. */
export function parseTokenKeys(value: unknown, where: string): TokenKeys {
  const result = tokenKeysSchema.safeParse(nestKeys(value));
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new TokenKeysError(`${where}: invalid token keys: ${problems}`, { cause: result.error });
  }
  return result.data;
}

/** A fresh key set with one random 32-byte key. */
export function generateTokenKeys(keyId = 'k1'): TokenKeys {
  return { currentKeyId: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
}

/** Reads keys from a local JSON file; with `create`, writes a fresh one (mode 0600) if it is missing. */
export async function loadTokenKeysFile(
  path: string,
  options: { create?: boolean } = {},
): Promise<TokenKeys> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.create && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      const keys = generateTokenKeys();
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(
        (writeError: unknown) => {
          // Another process won the race to create it; read theirs.
          if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
        },
      );
      return loadTokenKeysFile(path);
    }
    throw new TokenKeysError(`${path}: cannot read token keys`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenKeysError(`${path}: token keys are not valid JSON`, { cause: error });
  }
  return parseTokenKeys(value, path);
}

/** Reads keys from a Secrets Manager secret (SecretString JSON), once per container. */
export async function loadTokenKeysSecret(secretId: string): Promise<TokenKeys> {
  const client = new SecretsManagerClient({});
  let secret: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    secret = out.SecretString;
  } catch (error) {
    throw new TokenKeysError(`secret ${secretId}: cannot read token keys`, { cause: error });
  } finally {
    client.destroy();
  }
  if (secret === undefined) throw new TokenKeysError(`secret ${secretId}: has no SecretString`);
  let value: unknown;
  try {
    value = JSON.parse(secret);
  } catch (error) {
    throw new TokenKeysError(`secret ${secretId}: token keys are not valid JSON`, { cause: error });
  }
  return parseTokenKeys(value, `secret ${secretId}`);
}
