/**
 * Email address normalisation for subscriptions: strict on purpose. We only accept a bare
 * `local@domain` that SES can deliver to; anything a person would not type into a form
 * (display names, comments, control characters, invisible or bidi characters) is rejected
 * rather than "fixed", because fixing is where header injection and lookalikes sneak in.
 */
import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';

/** Why an address was rejected; stable codes for tests and logs, never shown to users verbatim. */
export type AddressProblem =
  | 'empty'
  | 'too-long'
  | 'control-character'
  | 'invisible-character'
  | 'display-name'
  | 'syntax'
  | 'non-ascii-local-part'
  | 'domain';

/** Result of {@link normalizeEmailAddress}. */
export type AddressResult = { ok: true; address: string } | { ok: false; problem: AddressProblem };

/** RFC 5321 path limit minus the angle brackets. */
export const MAX_ADDRESS_LENGTH = 254;

// RFC 5322 dot-atom characters; quoted local parts are legal but nobody subscribes with them.
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// C0/C1 controls and DEL: newlines here are header injection attempts.
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
// Zero-width, bidi overrides/isolates, BOM, soft hyphen, word joiners: invisible lookalike tricks.
const INVISIBLE = /[\u00ad\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]/;

/**
 * Trims, checks and normalises an address: domain lower-cased (IDNs to punycode),
 * local part kept as typed, at most 254 characters.
 */
export function normalizeEmailAddress(input: string): AddressResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  if (hasControl(trimmed)) return { ok: false, problem: 'control-character' };
  if (INVISIBLE.test(trimmed)) return { ok: false, problem: 'invisible-character' };
  if (/[<>"(),;:\s]/.test(trimmed)) return { ok: false, problem: 'display-name' };
  if (trimmed.length > MAX_ADDRESS_LENGTH * 2) return { ok: false, problem: 'too-long' };

  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, problem: 'syntax' };
  const local = trimmed.slice(0, at);
  const domainInput = trimmed.slice(at + 1);
  if (local.includes('@')) return { ok: false, problem: 'syntax' };
  // SES does not support SMTPUTF8 local parts; a non-ASCII local part cannot be delivered.
  if (/[^\u0020-\u007e]/.test(local)) return { ok: false, problem: 'non-ascii-local-part' };
  if (local.length > 64 || !LOCAL_ATOM.test(local)) return { ok: false, problem: 'syntax' };

  const domain = domainInput.normalize('NFC').toLowerCase().replace(/\.$/, '');
  const ascii = domainToASCII(domain);
  if (ascii === '' || ascii.length > 253) return { ok: false, problem: 'domain' };
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label)))
    return { ok: false, problem: 'domain' };
  const tld = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(tld)) return { ok: false, problem: 'domain' };

  const address = `${local}@${ascii}`;
  if (address.length > MAX_ADDRESS_LENGTH) return { ok: false, problem: 'too-long' };
  return { ok: true, address };
}

/**
 * Stable hash of a normalised address, used as the subscriber key and the suppression key.
 * The whole address is lower-cased first: real mailboxes ignore local-part case, and treating
 * `Ada@x` and `ada@x` as one person is the safe side for both mail-bombing and suppression.
 */
export function addressHash(address: string): string {
  return createHash('sha256').update(address.toLowerCase()).digest('hex');
}
