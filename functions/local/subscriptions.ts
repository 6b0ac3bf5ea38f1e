/**
 * Wires the subscription handlers to the local stand-ins: the same factories the Lambdas use,
 * with clients pointed at dynalite and aws-ses-v2-local, and the confirm-mailer behind an
 * in-process queue (SQS on AWS). Tests, the bench and `npm start` use this.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createConfirmationEmailRenderer } from '../adapters/confirmation-email.ts';
import { silentLogger as createSilentLogger } from '../adapters/json-logger.ts';
import { loadPageTemplates } from '../adapters/page-templates.ts';
import { createSesMailer, formatFromAddress } from '../adapters/ses-mailer.ts';
import { createSubscriberStore } from '../adapters/subscriber-store.ts';
import type { ConfirmationMailerDeps } from '../app/deliver-confirmation.ts';
import { API_ROUTES, type ApiFunctionName } from '../core/api-routes.ts';
import { DEFAULT_POLICY, type SubscriptionPolicy } from '../core/subscriber.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { Topic } from '../core/topics.ts';
import { createConfirmHandler } from '../handlers/confirm.ts';
import { createConfirmMailerHandler } from '../handlers/confirm-mailer.ts';
import { createPreferencesHandler } from '../handlers/preferences.ts';
import { createResendHandler } from '../handlers/resend.ts';
import { createSubscribeHandler } from '../handlers/subscribe.ts';
import { createUnsubscribeHandler } from '../handlers/unsubscribe.ts';
import type { LoggerLike, SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { createLocalDeliveryQueue, type LocalDeliveryQueue } from './delivery-queue.ts';
import type { HttpApiHandler, Routes } from './http-adapter.ts';
import { localDynamoClient, localSesClient } from './services.ts';

/** Options for {@link createLocalSubscriptionDeps}; everything but endpoints, table, site and keys has a default. */
export interface LocalSubscriptionOptions {
  dynamoEndpoint: string;
  sesEndpoint: string;
  tableName: string;
  siteUrl: string;
  keys: TokenKeys;
  siteTitle?: string;
  fromAddress?: string;
  fromName?: string;
  templatesDir?: string;
  policy?: Partial<SubscriptionPolicy>;
  ipLimit?: { max: number; windowMs: number };
  consentTextVersion?: string;
  topics?: Topic[];
  now?: () => Date;
  newId?: () => string;
  logger?: LoggerLike;
  /** Leave the confirmation queue stopped (a test starts it when it wants the mail). Default false. */
  holdConfirmations?: boolean;
  /** How long a failed confirmation request waits before it is retried. Default 1,000 ms. */
  confirmationRetryMs?: number;
}

/**
 * The API's deps plus the confirm-mailer's (it shares the store, keys and logger) and its queue.
 * Replacing `mailer` later (the runtime's outbox) reaches the mailer: it reads the field per send.
 */
export type LocalSubscriptionDeps = SubscriptionDeps &
  ConfirmationMailerDeps & { logger: LoggerLike; confirmationQueue: LocalDeliveryQueue };

/** A logger that prints nothing (tests). */
export function silentLogger(): LoggerLike {
  return createSilentLogger('herald-local');
}

/** Builds handler deps over local services. */
export async function createLocalSubscriptionDeps(
  options: LocalSubscriptionOptions,
): Promise<LocalSubscriptionDeps> {
  const templatesDir = resolve(options.templatesDir ?? 'templates');
  const policy = { ...DEFAULT_POLICY, ...options.policy };
  const siteUrl = options.siteUrl.replace(/\/+$/, '');
  const siteTitle = options.siteTitle ?? 'Herald Local';
  let mailerHandler: ReturnType<typeof createConfirmMailerHandler> | undefined;
  const confirmationQueue = createLocalDeliveryQueue({
    handler: (event) => (mailerHandler as NonNullable<typeof mailerHandler>)(event),
    concurrency: 2,
    visibilityTimeoutMs: options.confirmationRetryMs ?? 1000,
    queueArn: 'arn:aws:sqs:local:000000000000:herald-confirmations',
  });
  const deps: LocalSubscriptionDeps = {
    confirmations: confirmationQueue,
    confirmationQueue,
    store: createSubscriberStore({
      client: localDynamoClient(options.dynamoEndpoint),
      tableName: options.tableName,
    }),
    mailer: createSesMailer({
      client: localSesClient(options.sesEndpoint),
      from: formatFromAddress(options.fromAddress ?? 'recaps@herald.test', options.fromName ?? siteTitle),
    }),
    renderConfirmation: createConfirmationEmailRenderer({
      templatePath: join(templatesDir, 'confirm.mjml'),
      siteTitle,
      siteUrl,
      validDays: Math.round(policy.confirmTokenMaxAgeMs / 86_400_000),
    }),
    pages: await loadPageTemplates(join(templatesDir, 'pages')),
    keys: options.keys,
    siteUrl,
    siteTitle,
    policy,
    ipLimit: options.ipLimit ?? { max: 20, windowMs: 3600_000 },
    consentTextVersion: options.consentTextVersion ?? '1',
    topics: options.topics ?? [],
    now: options.now ?? (() => new Date()),
    newId: options.newId ?? randomUUID,
    logger: options.logger ?? silentLogger(),
  };
  mailerHandler = createConfirmMailerHandler(deps);
  if (!options.holdConfirmations) confirmationQueue.start();
  return deps;
}

/** The HTTP API routes, as API Gateway maps them: the shared table in `core/api-routes.ts`. */
export function subscriptionRoutes(deps: SubscriptionDeps): Routes {
  const handlers: Record<ApiFunctionName, HttpApiHandler> = {
    subscribe: createSubscribeHandler(deps),
    confirm: createConfirmHandler(deps),
    resend: createResendHandler(deps),
    unsubscribe: createUnsubscribeHandler(deps),
    preferences: createPreferencesHandler(deps),
  };
  return Object.fromEntries(API_ROUTES.map((r) => [`${r.method} ${r.path}`, handlers[r.fn]]));
}
