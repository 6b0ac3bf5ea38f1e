/**
 * The origin secret CloudFront sends to the subscription API (`core/http.ts`,
 * `ORIGIN_SECRET_HEADER`): read once per container from Secrets Manager, where CDK generated it as
 * `{"value":"…"}`. The CloudFormation template carries only a reference to it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The secret is unreadable or has no usable value. */
export class OriginSecretError extends Error {
  override name = 'OriginSecretError';
}

/** Reads the secret's `value` (at least 32 characters). */
export async function loadOriginSecret(secretId: string): Promise<string> {
  const client = new SecretsManagerClient({});
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    throw new OriginSecretError(`secret ${secretId}: cannot read the origin secret`, { cause: error });
  } finally {
    client.destroy();
  }
  let value: unknown;
  try {
    value = (JSON.parse(text ?? '') as { value?: unknown }).value;
  } catch (error) {
    throw new OriginSecretError(`secret ${secretId}: is not JSON with a "value" field`, { cause: error });
  }
  if (typeof value !== 'string' || value.length < 32) {
    throw new OriginSecretError(`secret ${secretId}: "value" must be a string of at least 32 characters`);
  }
  return value;
}
