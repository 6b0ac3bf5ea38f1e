/**
 * `GET /api/preferences?token=…` shows the preference page (what the reader gets, topic choices,
 * unsubscribe from everything) and changes nothing: link scanners open every link.
 * `POST /api/preferences` (fields `token`, `action` = `save` | `unsubscribe`, `choice` =
 * `everything` | `topics`, `topics` repeated; or JSON `{ token, action, topics: [...] }`) changes it.
 * The token has its own purpose (`manage`): a confirm or unsubscribe token is refused here.
 */
import {
  changeNotice,
  changePreferences,
  MANAGE_LINK_REFUSED,
  preferencePage,
  preferenceRequest,
  showPreferences,
} from '../app/manage-preferences.ts';
import { listField, parseBody } from '../core/http.ts';
import type { SubscriptionDeps } from '../wiring/subscription-deps.ts';
import {
  type ApiEvent,
  apiEntryPoint,
  endpoint,
  methodOf,
  notAllowed,
  reply,
  tokenOf,
  UNSUBSCRIBED,
  unreadable,
} from './http-reply.ts';

const STATUS = { 'bad-topics': 400, 'not-subscribed': 409, saved: 200 } as const;

/** Builds the preferences handler over injected deps. */
export function createPreferencesHandler(deps: SubscriptionDeps) {
  const topics = deps.topics ?? [];
  const preferenceDeps = { ...deps, topics };
  const refused = (event: ApiEvent, kind: 'invalid' | 'expired') =>
    reply(deps, event, kind === 'invalid' ? 400 : 410, 'error', MANAGE_LINK_REFUSED[kind]);
  return endpoint('preferences', deps, async (event: ApiEvent) => {
    const method = methodOf(event);
    if (method === 'GET' || method === 'HEAD') {
      const token = event.queryStringParameters?.token ?? '';
      const shown = await showPreferences(preferenceDeps, { token, now: deps.now() });
      if (shown.kind !== 'show') return refused(event, shown.kind);
      return reply(deps, event, 200, 'preferences', preferencePage(topics, token, shown.view));
    }
    if (method !== 'POST') return notAllowed(deps, event, 'buttons');
    const body = parseBody(event);
    if (!body.ok) return unreadable(deps, event, body.status, 'buttons');
    const token = tokenOf(event, body.fields);
    const request = preferenceRequest(body.fields, listField(event, 'topics'));
    const changed = await changePreferences(preferenceDeps, { token, now: deps.now(), request });
    if (changed.kind === 'invalid' || changed.kind === 'expired') return refused(event, changed.kind);
    if (changed.kind === 'unsubscribed') return reply(deps, event, 200, 'unsubscribed', UNSUBSCRIBED);
    const page = preferencePage(topics, token, changed.view, changeNotice(changed, topics));
    return reply(deps, event, STATUS[changed.kind], 'preferences', page);
  });
}

/** The Lambda entry point. */
export const handler = apiEntryPoint(createPreferencesHandler);
