/**
 * The DNS records Herald's mail needs, in one place: the stack creates or prints them, the README
 * lists them and `herald doctor` checks them against what resolves.
 */

/** DMARC policies a receiver applies to mail that fails both SPF and DKIM alignment. */
export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** The SPF value SES needs on the MAIL FROM domain. */
export const SES_SPF_VALUE = 'v=spf1 include:amazonses.com ~all';

/** One DNS record as a user types it into a DNS console. */
export interface DnsRecord {
  name: string;
  type: 'CNAME' | 'MX' | 'TXT';
  value: string;
}

/** `NAME TYPE VALUE`, TXT values quoted: the form the stack outputs and the doctor print. */
export function formatDnsRecord(record: DnsRecord): string {
  return `${record.name} ${record.type} ${record.type === 'TXT' ? `"${record.value}"` : record.value}`;
}

/** The TXT value of `_dmarc.<domain>`, e.g. `v=DMARC1; p=none; rua=mailto:dmarc@example.org`. */
export function dmarcValue(options: { policy: DmarcPolicy; reportAddress?: string }): string {
  const parts = ['v=DMARC1', `p=${options.policy}`];
  if (options.reportAddress) parts.push(`rua=mailto:${options.reportAddress}`);
  return parts.join('; ');
}

/** The record names and targets of an SES domain identity in `region`. */
export const sesRecords = {
  /** Easy DKIM: one CNAME per token SES issued for the identity. */
  dkim: (domain: string, token: string): DnsRecord => ({
    name: `${token}._domainkey.${domain}`,
    type: 'CNAME',
    value: `${token}.dkim.amazonses.com`,
  }),
  mailFromMx: (mailFromDomain: string, region: string): DnsRecord => ({
    name: mailFromDomain,
    type: 'MX',
    value: `10 feedback-smtp.${region}.amazonses.com`,
  }),
  mailFromSpf: (mailFromDomain: string): DnsRecord => ({
    name: mailFromDomain,
    type: 'TXT',
    value: SES_SPF_VALUE,
  }),
  /** Lets SES receive mail for the `mailto:` unsubscribe address. */
  inboundMx: (domain: string, region: string): DnsRecord => ({
    name: domain,
    type: 'MX',
    value: `10 inbound-smtp.${region}.amazonaws.com`,
  }),
  dmarc: (domain: string, options: { policy: DmarcPolicy; reportAddress?: string }): DnsRecord => ({
    name: `_dmarc.${domain}`,
    type: 'TXT',
    value: dmarcValue(options),
  }),
};

/** The tags of a DMARC record (`v`, `p`, `sp`, `rua`, …), or undefined when it is not one. */
export function parseDmarc(txt: string): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const part of txt.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    tags[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  // RFC 7489 6.3: v=DMARC1 must come first, and p is required.
  if (!/^\s*v\s*=\s*DMARC1\s*(;|$)/i.test(txt)) return undefined;
  return tags;
}
