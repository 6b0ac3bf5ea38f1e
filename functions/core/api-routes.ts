/**
 * The HTTP API's one route table: the CDK construct (`infra/constructs/subscribers.ts`) and the
 * local router (`functions/local/subscriptions.ts`) both read it, so AWS and `npm start` cannot
 * send a path to different functions.
 */

/** The subscription functions behind the API (file names under `functions/handlers/`). */
export type ApiFunctionName = 'subscribe' | 'confirm' | 'resend' | 'unsubscribe' | 'preferences';

/** What an API function is for and which of the subscription resources it may touch. */
export interface ApiFunctionSpec {
  description: string;
  /** Puts confirmation requests on the confirmation queue (SQS send). None sends mail itself. */
  requestsConfirmations: boolean;
  /** Signs or verifies tokens, so reads the token-key secret. */
  verifiesTokens: boolean;
}

/** Every API function's spec; the CDK construct grants exactly what it says. */
export const API_FUNCTIONS: Readonly<Record<ApiFunctionName, ApiFunctionSpec>> = {
  subscribe: {
    description: 'Validates a sign-up and queues its confirmation request',
    requestsConfirmations: true,
    verifiesTokens: false,
  },
  confirm: {
    description: 'Shows the confirm page (GET) and confirms (POST)',
    requestsConfirmations: false,
    verifiesTokens: true,
  },
  resend: {
    description: 'Queues a fresh confirmation link for a still-pending subscriber',
    requestsConfirmations: true,
    verifiesTokens: true,
  },
  unsubscribe: {
    description: 'RFC 8058 one-click unsubscribe (POST) and the unsubscribe page (GET)',
    requestsConfirmations: false,
    verifiesTokens: true,
  },
  preferences: {
    description:
      'The preference page behind "Manage your subscription": shows (GET), changes topics or unsubscribes (POST)',
    requestsConfirmations: false,
    verifiesTokens: true,
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
