/**
 * Whether an inbound message's header `From` is authentic enough to unsubscribe that address.
 *
 * SPF alone proves nothing here: it covers the envelope sender's domain, while the unsubscribe acts
 * on the header From, so mail from any SPF-passing domain could carry `From: victim@…`. We act
 * only when DMARC passed (it checks alignment with the From domain), or, where the From domain
 * publishes no DMARC policy (SES: `dmarcVerdict` GRAY, or a `p=none` policy), when DKIM passed
 * and every DKIM signature on the message is aligned with the From domain. SES reports one DKIM
 * verdict for the message, not per signature, so a message that also carries a signature of
 * another domain cannot show which one passed, and is refused.
 */

import { normalizeEmailAddress } from './email-address.ts';

/** SES receipt verdict statuses. */
export type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED';

/** What SES tells about one inbound message, plus what its headers say. */
export interface InboundEvidence {
  /** The header From addresses (SES `commonHeaders.from`), raw. */
  from: readonly string[];
  dmarcVerdict?: string;
  /** Only present when DMARC failed: `none`, `quarantine` or `reject`. */
  dmarcPolicy?: string;
  dkimVerdict?: string;
  spamVerdict?: string;
  virusVerdict?: string;
  /** Values of every `DKIM-Signature` header. */
  dkimSignatures: readonly string[];
}

/** Why a message is refused. */
export type RefusalReason =
  | 'spam-or-virus'
  | 'no-single-from'
  | 'dmarc-failed'
  | 'dmarc-unavailable'
  | 'dkim-not-passed'
  | 'no-dkim-signature'
  | 'dkim-not-aligned';

/** The decision, with what it rests on. */
export type SenderJudgement =
  | { act: true; address: string; basis: 'dmarc' | 'aligned-dkim' }
  | { act: false; reason: RefusalReason };

/** The normalised address inside a From header value (`"Name" <a@b>` or bare), or undefined. */
export function fromHeaderAddress(value: string): string | undefined {
  const bare = /<([^<>]*)>\s*$/.exec(value)?.[1] ?? value;
  const normal = normalizeEmailAddress(bare);
  return normal.ok ? normal.address : undefined;
}

/** The `d=` domain of a DKIM-Signature header value, lowercased, or undefined. */
export function dkimSigningDomain(signature: string): string | undefined {
  for (const tag of signature.replace(/\s+/g, '').split(';')) {
    const eq = tag.indexOf('=');
    if (eq > 0 && tag.slice(0, eq).toLowerCase() === 'd') {
      const domain = tag
        .slice(eq + 1)
        .toLowerCase()
        .replace(/\.$/, '');
      return domain.includes('.') ? domain : undefined;
    }
  }
  return undefined;
}

/**
 * Relaxed alignment without a public-suffix list: equal, or one a subdomain of the other. Whoever
 * signs as `d=` controls that domain's DNS, so a parent or child of the From domain is the same
 * organisation.
 */
export function domainsAligned(signingDomain: string, fromDomain: string): boolean {
  const d = signingDomain.toLowerCase();
  const f = fromDomain.toLowerCase();
  return d === f || f.endsWith(`.${d}`) || d.endsWith(`.${f}`);
}

/** Decides whether to act on the message's From address. */
export function judgeInboundSender(evidence: InboundEvidence): SenderJudgement {
  if (evidence.spamVerdict === 'FAIL' || evidence.virusVerdict === 'FAIL') {
    return { act: false, reason: 'spam-or-virus' };
  }
  const addresses = evidence.from.map(fromHeaderAddress);
  const [address] = addresses;
  if (addresses.length !== 1 || address === undefined) return { act: false, reason: 'no-single-from' };

  if (evidence.dmarcVerdict === 'PASS') return { act: true, address, basis: 'dmarc' };
  const noPolicy =
    evidence.dmarcVerdict === 'GRAY' ||
    (evidence.dmarcVerdict === 'FAIL' && evidence.dmarcPolicy?.toLowerCase() === 'none');
  if (!noPolicy) {
    return { act: false, reason: evidence.dmarcVerdict === 'FAIL' ? 'dmarc-failed' : 'dmarc-unavailable' };
  }

  if (evidence.dkimVerdict !== 'PASS') return { act: false, reason: 'dkim-not-passed' };
  if (evidence.dkimSignatures.length === 0) return { act: false, reason: 'no-dkim-signature' };
  const fromDomain = address.slice(address.lastIndexOf('@') + 1);
  const aligned = evidence.dkimSignatures.every((signature) => {
    const domain = dkimSigningDomain(signature);
    return domain !== undefined && domainsAligned(domain, fromDomain);
  });
  return aligned ? { act: true, address, basis: 'aligned-dkim' } : { act: false, reason: 'dkim-not-aligned' };
}
