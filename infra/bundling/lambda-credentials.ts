/**
 * Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles (an esbuild alias set in
 * constructs/herald-function.ts). Lambda hands a function its role's credentials in environment
 * variables, so the SDK's default chain (SSO, INI profiles, processes, web identity, container and
 * instance metadata, with the STS/SSO clients they need) is dead weight there: about 120 KB of
 * every bundle and ~10 ms of each cold start. Tests and the local runtime use the real chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type Init = Parameters<typeof fromEnv>[0];
interface Expiring {
  expiration?: Date;
}

/** The SDK clients' default credential provider, reduced to the environment Lambda provides. */
export const defaultProvider = (init: Init = {}) => fromEnv(init);

/** Same contract as the SDK's: temporary credentials carry an expiry. */
export const credentialsWillNeedRefresh = (credentials?: Expiring): boolean =>
  credentials?.expiration !== undefined;

/** Same contract as the SDK's: refresh five minutes before the expiry. */
export const credentialsTreatedAsExpired = (credentials?: Expiring): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
