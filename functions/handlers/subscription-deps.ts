/**
 * What the subscription handlers need, and the one place that builds it from the environment.
 * Tests and the local runtime build the same deps from local clients instead.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import {
  type ConfirmationEmailRenderer,
  createConfirmationEmailRenderer,
} from '../adapters/confirmation-email.ts';
import { createJsonLogger, type Logger } from '../adapters/json-logger.ts';
import { loadPageTemplates, type PageName, type PageRenderer } from '../adapters/page-templates.ts';
import { createSesMailer, formatFromAddress, type Mailer } from '../adapters/ses-mailer.ts';
import { createSubscriberStore, type SubscriberStore } from '../adapters/subscriber-store.ts';
import { loadTokenKeysFile, loadTokenKeysSecret } from '../adapters/token-keys.ts';
import {
  type HttpRequestLike,
  type HttpResponse,
  htmlResponse,
  jsonResponse,
  wantsJson,
} from '../core/http.ts';
import type { SubscriptionPolicy } from '../core/subscriber.ts';
import type { TokenKeys } from '../core/tokens.ts';
import { loadSubscriptionConfig, type SubscriptionConfig } from './config.ts';

/** The logging surface handlers use. */
export type LoggerLike = Pick<Logger, 'info' | 'warn' | 'error'>;

/** Everything the subscribe, confirm and unsubscribe handlers depend on. */
export interface SubscriptionDeps {
  store: SubscriberStore;
  mailer: Mailer;
  renderConfirmation: ConfirmationEmailRenderer;
  pages: PageRenderer;
  keys: TokenKeys;
  /** Site URL with baseurl, no trailing slash. */
  siteUrl: string;
  siteTitle: string;
  policy: SubscriptionPolicy;
  ipLimit: { max: number; windowMs: number };
  consentTextVersion: string;
  now: () => Date;
  newId: () => string;
  logger: LoggerLike;
}

/** Answers JSON clients with `{ ok, message }` and browsers with a page, same status for both. */
export function reply(
  deps: SubscriptionDeps,
  request: HttpRequestLike,
  status: number,
  page: PageName,
  view: { title: string; message?: string; heading?: string; token?: string; [key: string]: unknown },
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  const ok = status < 400;
  if (wantsJson(request)) {
    return jsonResponse(status, { ok, message: view.message ?? view.title }, extraHeaders);
  }
  const html = deps.pages(page, {
    siteTitle: deps.siteTitle,
    siteUrl: deps.siteUrl,
    apiUrl: `${deps.siteUrl}/api`,
    validDays: Math.round(deps.policy.confirmTokenMaxAgeMs / 86_400_000),
    heading: view.title,
    ...view,
  });
  return htmlResponse(status, html, { formOrigin: new URL(deps.siteUrl).origin, extra: extraHeaders });
}

/** Headers for "try again shortly" answers. */
export const RETRY_LATER = { 'retry-after': '30' };

/** The answer when a dependency failed (throttling, network): nothing changed, try again shortly. */
export function retryLater(deps: SubscriptionDeps, request: HttpRequestLike): HttpResponse {
  return reply(
    deps,
    request,
    503,
    'error',
    {
      title: 'Please try again',
      message: 'Something went wrong on our side. Please try again in a minute.',
    },
    RETRY_LATER,
  );
}

/** Builds deps for real AWS from a validated config (clients pick up endpoints from the AWS SDK env). */
export async function buildSubscriptionDeps(
  config: SubscriptionConfig,
  logger: LoggerLike,
): Promise<SubscriptionDeps> {
  const templatesDir = resolve(config.templatesDir);
  const [keys, pages] = await Promise.all([
    config.tokenKeys.kind === 'file'
      ? loadTokenKeysFile(config.tokenKeys.path)
      : loadTokenKeysSecret(config.tokenKeys.secretId),
    loadPageTemplates(join(templatesDir, 'pages')),
  ]);
  const policy: SubscriptionPolicy = {
    resendIntervalMs: config.resendIntervalMs,
    confirmTokenMaxAgeMs: config.confirmTokenMaxAgeMs,
    transientBounceThreshold: config.transientBounceThreshold,
  };
  return {
    store: createSubscriberStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    mailer: createSesMailer({
      client: () => new SESClient({}),
      from: formatFromAddress(config.fromAddress, config.fromName),
      replyTo: config.replyTo,
      configurationSet: config.sesConfigurationSet,
    }),
    renderConfirmation: createConfirmationEmailRenderer({
      templatePath: config.confirmTemplate
        ? resolve(config.confirmTemplate)
        : join(templatesDir, 'confirm.mjml'),
      siteTitle: config.siteTitle,
      siteUrl: config.siteUrl,
      validDays: Math.round(config.confirmTokenMaxAgeMs / 86_400_000),
    }),
    pages,
    keys,
    siteUrl: config.siteUrl,
    siteTitle: config.siteTitle,
    policy,
    ipLimit: config.ipLimit,
    consentTextVersion: config.consentTextVersion,
    now: () => new Date(),
    newId: randomUUID,
    logger,
  };
}

/** The structured logger all subscription Lambdas share. */
export function createLogger(): Logger {
  return createJsonLogger({ service: 'herald-subscriptions' });
}

/**
 * Wraps a handler factory for Lambda. Inside Lambda the environment is validated at module load,
 * so a bad variable fails the init phase naming it, and deps (keys, templates) start loading during
 * init. Elsewhere (tests, tools importing the factory) importing stays free of side effects.
 */
export function lazyHandler<E, R>(
  factory: (deps: SubscriptionDeps) => (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  let built: Promise<(event: E) => Promise<R>> | undefined;
  const build = () => {
    built ??= (async () => {
      const config = loadSubscriptionConfig(process.env);
      return factory(await buildSubscriptionDeps(config, createLogger()));
    })().catch((error: unknown) => {
      built = undefined; // a transient failure (Secrets Manager throttling) is retried on the next event
      throw error;
    });
    return built;
  };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
    loadSubscriptionConfig(process.env);
    build().catch(() => undefined); // surfaced by the first event instead
  }
  return async (event) => (await build())(event);
}
