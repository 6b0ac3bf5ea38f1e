/**
 * Environment of the delivery Lambdas, validated once at cold start with the variable's name and
 * value in every error. Each function checks only what it uses: fan-out and reconcile never send
 * mail, so they need neither token keys nor SES settings.
 */
// zod/mini: the classic build adds ~450 KB to every delivery function's cold start.
import * as z from 'zod/mini';
import { DEFAULT_RATE_SHARE, DEFAULT_SAFETY_FACTOR } from '../core/pacing.ts';
import { environmentError } from './config.ts';

const tableName = () => z.string().check(z.minLength(3, 'must be at least 3 characters'));
const nonEmpty = () => z.string().check(z.minLength(1, 'must not be empty'));
const fraction = (fallback: number) =>
  z._default(z.coerce.number().check(z.gt(0, 'must be above 0'), z.lte(1, 'must be at most 1')), fallback);

const fanoutEnv = z.object({
  CAMPAIGN_TABLE_NAME: tableName(),
  SUBSCRIBER_TABLE_NAME: tableName(),
  DELIVERY_QUEUE_URL: z.url(),
  FANOUT_QUEUE_URL: z.url(),
});

const sendEnv = z
  .object({
    CAMPAIGN_TABLE_NAME: tableName(),
    SUBSCRIBER_TABLE_NAME: tableName(),
    /** Throttled and paused messages go back on the delivery queue with a delay. */
    DELIVERY_QUEUE_URL: z.url(),
    SES_CONFIGURATION_SET: z.optional(nonEmpty()),
    TOKEN_KEYS_FILE: z.optional(nonEmpty()),
    TOKEN_KEYS_SECRET_ID: z.optional(nonEmpty()),
    SEND_RATE_SHARE: fraction(DEFAULT_RATE_SHARE),
    SEND_SAFETY_FACTOR: fraction(DEFAULT_SAFETY_FACTOR),
  })
  .check(
    z.refine((env) => (env.TOKEN_KEYS_FILE === undefined) !== (env.TOKEN_KEYS_SECRET_ID === undefined), {
      message: 'set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID',
      path: ['TOKEN_KEYS_SECRET_ID'],
    }),
  );

/** Validated configuration of the `send` Lambda. */
export type SendConfig = z.infer<typeof sendEnv>;

/** Validated configuration of the `fanout` and `reconcile` Lambdas (DynamoDB and SQS only). */
export type FanoutConfig = z.infer<typeof fanoutEnv>;

/** Reads the `send` Lambda's configuration from `env`. @throws ConfigError naming each bad variable. */
export function loadSendConfig(env: Record<string, string | undefined>): SendConfig {
  const parsed = sendEnv.safeParse(env);
  if (!parsed.success) throw environmentError(parsed.error, env, 'send');
  return parsed.data;
}

/** Reads the `fanout` Lambda's configuration from `env`. @throws ConfigError naming each bad variable. */
export function loadFanoutConfig(env: Record<string, string | undefined>): FanoutConfig {
  const parsed = fanoutEnv.safeParse(env);
  if (!parsed.success) throw environmentError(parsed.error, env, 'fanout');
  return parsed.data;
}

/**
 * Reads the `reconcile` Lambda's configuration from `env`: the same tables and queues as fan-out
 * (it re-enqueues recipients and restarts stalled fan-outs). @throws ConfigError naming each bad variable.
 */
export function loadReconcileConfig(env: Record<string, string | undefined>): FanoutConfig {
  const parsed = fanoutEnv.safeParse(env);
  if (!parsed.success) throw environmentError(parsed.error, env, 'reconcile');
  return parsed.data;
}
