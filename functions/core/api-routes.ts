/**
 * The HTTP API's one route table: the CDK construct (`infra/constructs/subscribers.ts`) and the
 * local router (`functions/local/subscriptions.ts`) both read it, so AWS and `npm start` cannot
 * send a path to different functions.
 */

/** The subscription functions behind the API (file names under `functions/handlers/`). */
export type ApiFunctionName = 'subscribe' | 'confirm' | 'resend' | 'unsubscribe' | 'preferences';

/**
 * What each API function is for, and whether it requests confirmation emails: those put requests
 * on the confirmation queue (SQS send); none of them sends mail itself (the confirm-mailer does).
 */
export const API_FUNCTIONS: Readonly<
  Record<ApiFunctionName, { description: string; requestsConfirmations: boolean }>
> = {
  subscribe: {
    description: 'Validates a sign-up and queues its confirmation request',
    requestsConfirmations: true,
  },
  confirm: { description: 'Shows the confirm page (GET) and confirms (POST)', requestsConfirmations: false },
  resend: {
    description: 'Queues a fresh confirmation link for a still-pending subscriber',
    requestsConfirmations: true,
  },
  unsubscribe: {
    description: 'RFC 8058 one-click unsubscribe (POST) and the unsubscribe page (GET)',
    requestsConfirmations: false,
  },
  preferences: {
    description:
      'The preference page behind "Manage your subscription": shows (GET), changes topics or unsubscribes (POST)',
    requestsConfirmations: false,
  },
};

/** One API route: method, path and the function that answers it. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: `/api/${string}`;
  fn: ApiFunctionName;
}

/** Every route of the HTTP API. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/api/subscribe', fn: 'subscribe' },
  { method: 'GET', path: '/api/confirm', fn: 'confirm' },
  { method: 'POST', path: '/api/confirm', fn: 'confirm' },
  { method: 'POST', path: '/api/resend', fn: 'resend' },
  { method: 'GET', path: '/api/unsubscribe', fn: 'unsubscribe' },
  { method: 'POST', path: '/api/unsubscribe', fn: 'unsubscribe' },
  { method: 'GET', path: '/api/preferences', fn: 'preferences' },
  { method: 'POST', path: '/api/preferences', fn: 'preferences' },
];
