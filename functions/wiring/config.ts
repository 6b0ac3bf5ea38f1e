/**
 * Environment configuration for the subscription handlers, validated once with zod.
 * A missing or malformed variable fails the cold start with the variable's name and value.
 * `zod/mini` on purpose: the classic build is ~800 KB of bundle on every cold start.
 */
import * as z from 'zod/mini';
import { MAX_TOPICS, TOPIC_ID, type Topic } from '../core/topics.ts';

/** Thrown at init when the environment is unusable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const positiveInt = (fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.positive('must be a positive integer')), fallback);
const text = () => z.string().check(z.minLength(1, 'must not be empty'));

// TOPICS is written by infra from site.yml (already validated there): `[{ id, name, description?, tags }]`.
const topicList = z
  .array(
    z.object({
      id: z.string().check(z.regex(TOPIC_ID, 'topic id must be a lower-case slug')),
      name: text(),
      description: z.optional(z.string()),
      tags: z._default(z.array(z.string()), []),
    }),
  )
  .check(z.maxLength(MAX_TOPICS, `at most ${MAX_TOPICS} topics`));
const topicsJson = z.pipe(
  z.string(),
  z.transform((raw: string, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'must be a JSON list of topics', input: raw });
      return z.NEVER;
    }
  }),
);

const subscriptionFields = z.object({
  TABLE_NAME: z.string().check(z.minLength(3, 'must be at least 3 characters')),
  SITE_URL: z.pipe(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    z.transform((url: string) => url.replace(/\/+$/, '')),
  ),
  SITE_TITLE: z._default(text(), 'Herald'),
  FROM_ADDRESS: z.email('must be an email address'),
  FROM_NAME: z.optional(z.string()),
  REPLY_TO: z.optional(z.email('must be an email address')),
  SES_CONFIGURATION_SET: z.optional(text()),
  TOKEN_KEYS_FILE: z.optional(text()),
  TOKEN_KEYS_SECRET_ID: z.optional(text()),
  TEMPLATES_DIR: z._default(text(), 'templates'),
  CONFIRM_TEMPLATE: z.optional(text()),
  CONFIRM_TOKEN_MAX_AGE_HOURS: positiveInt(7 * 24),
  CONFIRMATION_RESEND_MINUTES: positiveInt(15),
  SUBSCRIBE_IP_LIMIT: positiveInt(20),
  SUBSCRIBE_IP_WINDOW_SECONDS: positiveInt(3600),
  CONSENT_TEXT_VERSION: z._default(text(), '1'),
  TRANSIENT_BOUNCE_THRESHOLD: positiveInt(3),
  TOPICS: z.optional(z.pipe(topicsJson, topicList)),
  CONFIRMATION_QUEUE_URL: z.optional(z.url({ protocol: /^https?$/, error: 'must be an SQS queue URL' })),
  ORIGIN_SECRET_ID: z.optional(text()),
});

const subscriptionEnv = subscriptionFields.check(
  z.refine((env) => (env.TOKEN_KEYS_FILE === undefined) !== (env.TOKEN_KEYS_SECRET_ID === undefined), {
    message: 'set exactly one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID',
    path: ['TOKEN_KEYS_SECRET_ID'],
  }),
);

/** Subscribe signs and verifies no token, so it needs no token keys, but it needs the queue. */
const subscribeEnv = subscriptionFields.check(
  z.refine((env) => env.TOKEN_KEYS_FILE === undefined || env.TOKEN_KEYS_SECRET_ID === undefined, {
    message: 'set at most one of TOKEN_KEYS_FILE or TOKEN_KEYS_SECRET_ID',
    path: ['TOKEN_KEYS_SECRET_ID'],
  }),
  z.refine((env) => env.CONFIRMATION_QUEUE_URL !== undefined, {
    message: 'subscribe queues confirmation requests: set the queue URL',
    path: ['CONFIRMATION_QUEUE_URL'],
  }),
);

/** Validated configuration for subscribe, confirm and unsubscribe. */
export interface SubscriptionConfig {
  tableName: string;
  /** Site URL including baseurl, no trailing slash; the API lives under `<siteUrl>/api`. */
  siteUrl: string;
  siteTitle: string;
  fromAddress: string;
  fromName?: string;
  replyTo?: string;
  sesConfigurationSet?: string;
  /** Absent only for subscribe, which signs and verifies no token. */
  tokenKeys?: { kind: 'file'; path: string } | { kind: 'secret'; secretId: string };
  templatesDir: string;
  /** `confirm.mjml`, or HTML precompiled from it so the Lambda never loads mjml. Default `<templatesDir>/confirm.mjml`. */
  confirmTemplate?: string;
  confirmTokenMaxAgeMs: number;
  resendIntervalMs: number;
  ipLimit: { max: number; windowMs: number };
  consentTextVersion: string;
  transientBounceThreshold: number;
  /** The topics readers may choose (from site.yml); empty = none configured. */
  topics: Topic[];
  /** The SQS queue subscribe and resend put confirmation requests on (they fail without it). */
  confirmationQueueUrl?: string;
  /**
   * The Secrets Manager secret CloudFront's origin header must match (AWS); requests without it are
   * refused with 403. Unset locally, where no CloudFront sits in front.
   */
  originSecretId?: string;
}

/**
 * The error every handler's environment check throws: each bad variable with its value, e.g.
 * `invalid environment: TABLE_NAME=(unset): …; SITE_URL="x": must be an http(s) URL`.
 */
export function environmentError(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  env: Record<string, string | undefined>,
  scope?: string,
): ConfigError {
  const problems = error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const value = env[name];
    return `${name}=${value === undefined ? '(unset)' : JSON.stringify(value)}: ${issue.message}`;
  });
  return new ConfigError(`${scope ? `${scope}: ` : ''}invalid environment: ${problems.join('; ')}`, {
    cause: error,
  });
}

function fail(error: z.core.$ZodError, env: Record<string, string | undefined>): never {
  throw environmentError(error, env);
}

/** Reads the subscription handlers' configuration from `env` (pass `process.env`). */
export function loadSubscriptionConfig(env: Record<string, string | undefined>): SubscriptionConfig {
  const parsed = subscriptionEnv.safeParse(env);
  if (!parsed.success) fail(parsed.error, env);
  return subscriptionConfig(parsed.data);
}

/** Reads the subscribe function's configuration: no token keys needed, the confirmation queue required. */
export function loadSubscribeConfig(env: Record<string, string | undefined>): SubscriptionConfig {
  const parsed = subscribeEnv.safeParse(env);
  if (!parsed.success) fail(parsed.error, env);
  return subscriptionConfig(parsed.data);
}

function subscriptionConfig(e: z.output<typeof subscriptionFields>): SubscriptionConfig {
  return {
    tableName: e.TABLE_NAME,
    siteUrl: e.SITE_URL,
    siteTitle: e.SITE_TITLE,
    fromAddress: e.FROM_ADDRESS,
    fromName: e.FROM_NAME,
    replyTo: e.REPLY_TO,
    sesConfigurationSet: e.SES_CONFIGURATION_SET,
    ...(e.TOKEN_KEYS_FILE
      ? { tokenKeys: { kind: 'file', path: e.TOKEN_KEYS_FILE } as const }
      : e.TOKEN_KEYS_SECRET_ID
        ? { tokenKeys: { kind: 'secret', secretId: e.TOKEN_KEYS_SECRET_ID } as const }
        : {}),
    templatesDir: e.TEMPLATES_DIR,
    confirmTemplate: e.CONFIRM_TEMPLATE,
    confirmTokenMaxAgeMs: e.CONFIRM_TOKEN_MAX_AGE_HOURS * 3600_000,
    resendIntervalMs: e.CONFIRMATION_RESEND_MINUTES * 60_000,
    ipLimit: { max: e.SUBSCRIBE_IP_LIMIT, windowMs: e.SUBSCRIBE_IP_WINDOW_SECONDS * 1000 },
    consentTextVersion: e.CONSENT_TEXT_VERSION,
    transientBounceThreshold: e.TRANSIENT_BOUNCE_THRESHOLD,
    topics: (e.TOPICS ?? []).map((t) => ({
      id: t.id,
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      tags: t.tags,
    })),
    ...(e.CONFIRMATION_QUEUE_URL ? { confirmationQueueUrl: e.CONFIRMATION_QUEUE_URL } : {}),
    ...(e.ORIGIN_SECRET_ID ? { originSecretId: e.ORIGIN_SECRET_ID } : {}),
  };
}

const feedbackEnv = z.object({
  TABLE_NAME: z.string().check(z.minLength(3, 'must be at least 3 characters')),
  TRANSIENT_BOUNCE_THRESHOLD: positiveInt(3),
});

/** Validated configuration for the SES feedback handler. */
export interface FeedbackConfig {
  tableName: string;
  transientBounceThreshold: number;
}

/** Reads the feedback handler's configuration from `env`. */
export function loadFeedbackConfig(env: Record<string, string | undefined>): FeedbackConfig {
  const parsed = feedbackEnv.safeParse(env);
  if (!parsed.success) fail(parsed.error, env);
  return {
    tableName: parsed.data.TABLE_NAME,
    transientBounceThreshold: parsed.data.TRANSIENT_BOUNCE_THRESHOLD,
  };
}
