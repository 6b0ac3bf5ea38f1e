/**
 * `GET /api/preferences?token=…` shows the preference page (what the reader gets, topic choices,
 * unsubscribe from everything) and changes nothing: link scanners open every link.
 * `POST /api/preferences` (fields `token`, `action` = `save` | `unsubscribe`, `choice` =
 * `everything` | `topics`, `topics` repeated; or JSON `{ token, action, topics: [...] }`) changes it.
 * The token has its own purpose (`manage`): a confirm or unsubscribe token is refused here.
 */
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyEventV2 as Event } from 'aws-lambda';
import {
  changePreferences,
  type PreferenceRequest,
  type PreferenceView,
  showPreferences,
} from '../app/manage-preferences.ts';
import { listField, parseBody } from '../core/http.ts';
import { describeChoice, type Topic } from '../core/topics.ts';
import { loadSubscriptionConfig } from '../wiring/config.ts';
import { buildSubscriptionDeps, createLogger, type SubscriptionDeps } from '../wiring/subscription-deps.ts';
import { defineHandler } from './define-handler.ts';
import { reply, retryLater, unavailable } from './http-reply.ts';

const INVALID = {
  title: 'This link does not work',
  message:
    'The link is incomplete or no longer valid. Please use the "Manage your subscription" link of your latest newsletter.',
};
const EXPIRED = {
  title: 'This link has expired',
  message:
    'For your safety, these links work for 90 days. Please use the "Manage your subscription" link of a newer newsletter; the "Unsubscribe" link of any newsletter always works.',
};

/** The page's view of the configured topics, with the reader's choice ticked. */
function pageView(deps: SubscriptionDeps, token: string, view: PreferenceView, notice?: string) {
  const topics: readonly Topic[] = deps.topics ?? [];
  const subscribed = view.status === 'confirmed' || view.status === 'pending';
  return {
    title: 'Your subscription',
    message: notice ?? `You get: ${describeChoice(view.topics, topics)}.`,
    token,
    email: view.email,
    subscribed,
    pending: view.status === 'pending',
    notice,
    choice: describeChoice(view.topics, topics),
    hasTopics: topics.length > 0,
    everything: view.topics === undefined,
    topics: topics.map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      checked: view.topics?.includes(t.id) === true,
    })),
  };
}

/** Reads the change a POST asks for. */
function requestOf(event: Event, fields: Record<string, string>): PreferenceRequest {
  if (fields.action === 'unsubscribe') return { action: 'unsubscribe' };
  if (fields.choice === 'everything') return { action: 'topics', topics: undefined };
  return { action: 'topics', topics: listField(event, 'topics'), picking: fields.choice === 'topics' };
}

/** Builds the preferences handler over injected deps. */
export function createPreferencesHandler(deps: SubscriptionDeps) {
  const preferenceDeps = { ...deps, topics: deps.topics ?? [] };
  return async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    try {
      if (method === 'GET' || method === 'HEAD') {
        const token = event.queryStringParameters?.token ?? '';
        const shown = await showPreferences(preferenceDeps, { token, now: deps.now() });
        if (shown.kind === 'invalid') return reply(deps, event, 400, 'error', INVALID);
        if (shown.kind === 'expired') return reply(deps, event, 410, 'error', EXPIRED);
        return reply(deps, event, 200, 'preferences', pageView(deps, token, shown.view));
      }
      if (method !== 'POST') {
        return reply(deps, event, 405, 'error', {
          title: 'Not allowed',
          message: 'Use the buttons on the page.',
        });
      }
      const body = parseBody(event);
      if (!body.ok) {
        return reply(deps, event, body.status, 'error', {
          title: 'We could not read that',
          message: 'That request could not be read. Please use the buttons on the page.',
        });
      }
      const token = body.fields.token ?? event.queryStringParameters?.token ?? '';
      const changed = await changePreferences(preferenceDeps, {
        token,
        now: deps.now(),
        request: requestOf(event, body.fields),
      });
      switch (changed.kind) {
        case 'invalid':
          return reply(deps, event, 400, 'error', INVALID);
        case 'expired':
          return reply(deps, event, 410, 'error', EXPIRED);
        case 'bad-topics':
          return reply(
            deps,
            event,
            400,
            'preferences',
            pageView(
              deps,
              token,
              changed.view,
              `Nothing was changed: ${changed.message}. Pick topics from the list, or choose everything.`,
            ),
          );
        case 'unsubscribed':
          return reply(deps, event, 200, 'unsubscribed', {
            title: 'You are unsubscribed',
            message: 'You are unsubscribed.',
          });
        case 'not-subscribed':
          return reply(
            deps,
            event,
            409,
            'preferences',
            pageView(deps, token, changed.view, 'You are not subscribed, so there is nothing to change.'),
          );
        case 'saved':
          return reply(
            deps,
            event,
            200,
            'preferences',
            pageView(
              deps,
              token,
              changed.view,
              `Saved. You get: ${describeChoice(changed.view.topics, deps.topics ?? [])}.`,
            ),
          );
      }
    } catch (error) {
      deps.logger.error('preferences failed', { error });
      return retryLater(deps, event);
    }
  };
}

/** The Lambda entry point. */
export const handler = defineHandler(
  loadSubscriptionConfig,
  async (config) => createPreferencesHandler(await buildSubscriptionDeps(config, createLogger())),
  { onError: () => unavailable() },
);
