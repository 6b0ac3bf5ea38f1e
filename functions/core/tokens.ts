/**
 * Signed, stateless tokens for subscription links (confirm, unsubscribe, manage: the preference page).
 *
 * Format: `<keyId>.<payload>.<signature>`, all base64url, where payload encodes
 * `<purpose>.<subscriberId>.<issuedAt ms>` and the signature is HMAC-SHA256 over
 * `herald-token-v1.<keyId>.<payload>`. The key id lets the secret rotate: new tokens are signed
 * with `currentKeyId`, old tokens verify as long as their key stays in `keys`.
 *
 * node:crypto is computation, not I/O, so this stays in core.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token may be used for; a token for one purpose never verifies for another. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'manage';

/** Signing keys: base64 secrets of at least 32 bytes, by key id. */
export interface TokenKeys {
  currentKeyId: string;
  keys: Record<string, string>;
}

/** Result of {@link verifyToken}. Every kind of forgery collapses into one `invalid`. */
export type TokenVerification =
  | { ok: true; subscriberId: string; issuedAt: Date }
  | { ok: false; reason: 'invalid' | 'expired' };

/** Thrown when the key set itself is unusable (a configuration error, not a bad token). */
export class TokenKeyError extends Error {
  override name = 'TokenKeyError';
}

const DOMAIN = 'herald-token-v1';
const MIN_SECRET_BYTES = 32;
// Clocks across Lambdas drift a little; more than this into the future means forged or broken.
const FUTURE_SKEW_MS = 5 * 60 * 1000;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const SUBSCRIBER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
const PURPOSES: readonly TokenPurpose[] = ['confirm', 'unsubscribe', 'manage'];

function secretFor(keys: TokenKeys, keyId: string): Buffer | undefined {
  const encoded = Object.hasOwn(keys.keys, keyId) ? keys.keys[keyId] : undefined;
  if (encoded === undefined) return undefined;
  const secret = Buffer.from(encoded, 'base64');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new TokenKeyError(
      `token key "${keyId}" is ${secret.length} bytes; at least ${MIN_SECRET_BYTES} needed`,
    );
  }
  return secret;
}

function mac(secret: Buffer, keyId: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${DOMAIN}.${keyId}.${payload}`).digest();
}

/**
 * Signs a token for one subscriber and purpose with the current key.
 * @throws TokenKeyError if the current key is missing or too short, or an id has characters tokens cannot carry.
 */
export function signToken(
  keys: TokenKeys,
  claims: { purpose: TokenPurpose; subscriberId: string; issuedAt: Date },
): string {
  const keyId = keys.currentKeyId;
  if (!KEY_ID.test(keyId)) throw new TokenKeyError(`token key id "${keyId}" must match ${KEY_ID}`);
  const secret = secretFor(keys, keyId);
  if (!secret) throw new TokenKeyError(`current token key "${keyId}" is not in the key set`);
  if (!SUBSCRIBER_ID.test(claims.subscriberId)) {
    throw new TokenKeyError(`subscriber id "${claims.subscriberId}" must match ${SUBSCRIBER_ID}`);
  }
  const issued = claims.issuedAt.getTime();
  if (!Number.isSafeInteger(issued) || issued < 0) throw new TokenKeyError('issuedAt must be a valid date');
  const payload = Buffer.from(`${claims.purpose}.${claims.subscriberId}.${issued.toString(36)}`).toString(
    'base64url',
  );
  return `${keyId}.${payload}.${mac(secret, keyId, payload).toString('base64url')}`;
}

/**
 * Verifies a token: signature (constant time), purpose, then age.
 * `maxAgeMs` undefined means the token never expires (unsubscribe links).
 * `expired` is only reported for authentic tokens, so it reveals nothing to a forger.
 */
export function verifyToken(
  keys: TokenKeys,
  token: string,
  expected: { purpose: TokenPurpose; now: Date; maxAgeMs?: number },
): TokenVerification {
  const invalid: TokenVerification = { ok: false, reason: 'invalid' };
  if (typeof token !== 'string' || token.length > 512) return invalid;
  const parts = token.split('.');
  if (parts.length !== 3) return invalid;
  const [keyId, payload, signature] = parts as [string, string, string];
  if (!KEY_ID.test(keyId) || !B64URL.test(payload) || !B64URL.test(signature)) return invalid;
  const secret = secretFor(keys, keyId);
  if (!secret) return invalid;

  const given = Buffer.from(signature, 'base64url');
  const wanted = mac(secret, keyId, payload);
  // Re-encoding catches non-canonical base64url (trailing bits) that would decode to the same bytes.
  if (given.length !== wanted.length || given.toString('base64url') !== signature) return invalid;
  if (!timingSafeEqual(given, wanted)) return invalid;

  const fields = Buffer.from(payload, 'base64url').toString('utf8').split('.');
  if (fields.length !== 3) return invalid;
  const [purpose, subscriberId, issuedRaw] = fields as [string, string, string];
  if (!PURPOSES.includes(purpose as TokenPurpose) || purpose !== expected.purpose) return invalid;
  if (!SUBSCRIBER_ID.test(subscriberId) || !/^[0-9a-z]{1,12}$/.test(issuedRaw)) return invalid;
  const issuedMs = Number.parseInt(issuedRaw, 36);
  const nowMs = expected.now.getTime();
  if (issuedMs > nowMs + FUTURE_SKEW_MS) return invalid;
  if (expected.maxAgeMs !== undefined && nowMs - issuedMs > expected.maxAgeMs) {
    return { ok: false, reason: 'expired' };
  }
  return { ok: true, subscriberId, issuedAt: new Date(issuedMs) };
}
