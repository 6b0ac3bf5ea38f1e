import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DMARC_POLICIES, type DmarcPolicy } from '../functions/core/mail-dns.ts';
import type { SiteConfig } from '../functions/core/model.ts';
import { DEFAULT_SAFETY_FACTOR } from '../functions/core/pacing.ts';
import { parseSiteConfig } from '../functions/core/site-config.ts';

/** Everything the stack needs, validated before a single construct is created. */
export interface InfraConfig {
  site: SiteConfig;
  /** Domain verified in SES and used in the From address, e.g. `recaps.example.org`. */
  mailDomain: string;
  /** Custom MAIL FROM domain (subdomain of mailDomain) so SPF aligns for DMARC. */
  mailFromDomain: string;
  /** Route 53 hosted zone for mailDomain; without it DNS records are printed as outputs. */
  hostedZone?: { id: string; name: string };
  /** Address whose inbound mail unsubscribes (the `mailto:` in List-Unsubscribe). */
  unsubscribeAddress: string;
  /** Receive alarms here, if set. */
  alarmEmail?: string;
  /** Share of the account's SES maximum send rate Herald may use (0 < f ≤ 1). */
  sesRateSafetyFactor: number;
  /**
   * Minutes between reconciler runs, and how long a recipient must sit in `claimed`/`sending`
   * before the reconciler acts (2–60, default 15; at least twice the send function's timeout).
   */
  reconcileMinutes: number;
  /** Optional custom domain for CloudFront, with an ACM certificate in us-east-1. */
  siteDomain?: { name: string; certificateArn: string };
  /**
   * Optional name CloudFront reaches the API at (a regional ACM certificate in the stack's region).
   * With it the API's default execute-api endpoint is disabled; without it that endpoint stays on
   * and answers 403 to anything but CloudFront (the origin secret header).
   */
  apiDomain?: { name: string; certificateArn: string };
  /** The `_dmarc.<mailDomain>` record Herald creates or prints; undefined when the user publishes their own. */
  dmarc?: { policy: DmarcPolicy; reportAddress: string };
}

/** Thrown when configuration is missing or invalid; names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name');

const contextSchema = z
  .object({
    mailDomain: hostname.optional(),
    mailFromSubdomain: z
      .string()
      .regex(/^[a-z0-9-]+$/i)
      .default('mail'),
    hostedZoneId: z.string().min(1).optional(),
    hostedZoneName: hostname.optional(),
    alarmEmail: z.email().optional(),
    sesRateSafetyFactor: z.coerce.number().gt(0).lte(1).default(DEFAULT_SAFETY_FACTOR),
    reconcileMinutes: z.coerce.number().int().gte(2).lte(60).default(15),
    siteDomain: hostname.optional(),
    certificateArn: z
      .string()
      .regex(/^arn:aws:acm:us-east-1:\d{12}:certificate\/.+$/, 'must be an ACM certificate ARN in us-east-1')
      .optional(),
    apiDomain: hostname.optional(),
    apiCertificateArn: z
      .string()
      .regex(/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/, 'must be an ACM certificate ARN')
      .optional(),
    dmarcPolicy: z.enum([...DMARC_POLICIES, 'off']).default('none'),
    dmarcReportAddress: z.email().optional(),
  })
  .refine((c) => (c.hostedZoneId === undefined) === (c.hostedZoneName === undefined), {
    message: 'hostedZoneId and hostedZoneName must be given together',
    path: ['hostedZoneId'],
  })
  .refine((c) => (c.siteDomain === undefined) === (c.certificateArn === undefined), {
    message: 'siteDomain and certificateArn must be given together',
    path: ['siteDomain'],
  })
  .refine((c) => (c.apiDomain === undefined) === (c.apiCertificateArn === undefined), {
    message: 'apiDomain and apiCertificateArn must be given together',
    path: ['apiDomain'],
  });

const contextKeys = [
  'mailDomain',
  'mailFromSubdomain',
  'hostedZoneId',
  'hostedZoneName',
  'alarmEmail',
  'sesRateSafetyFactor',
  'reconcileMinutes',
  'siteDomain',
  'certificateArn',
  'apiDomain',
  'apiCertificateArn',
  'dmarcPolicy',
  'dmarcReportAddress',
] as const;

/**
 * Reads `content/site.yml` and the CDK context (`herald:<key>` in cdk.json or `-c herald:<key>=…`)
 * into one validated configuration. Throws ConfigError naming the first bad setting.
 */
export function loadInfraConfig(options: {
  contentDir: string;
  context: (key: string) => unknown;
}): InfraConfig {
  const siteFile = join(options.contentDir, 'site.yml');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(siteFile, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${siteFile}: cannot read site configuration: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let site: SiteConfig;
  try {
    site = parseSiteConfig(raw, siteFile, 'herald');
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }

  const given: Record<string, unknown> = {};
  for (const key of contextKeys) {
    const value = options.context(`herald:${key}`);
    if (value !== undefined && value !== '') given[key] = value;
  }
  const parsed = contextSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '?');
    throw new ConfigError(
      `CDK context herald:${key} = ${JSON.stringify(given[key])}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const ctx = parsed.data;
  const fromDomain = site.newsletter.fromAddress.split('@')[1]?.toLowerCase() ?? '';
  const mailDomain = (ctx.mailDomain ?? fromDomain).toLowerCase();
  if (fromDomain !== mailDomain && !fromDomain.endsWith(`.${mailDomain}`)) {
    throw new ConfigError(
      `${siteFile}: newsletter.from_address ${site.newsletter.fromAddress} is not on the SES domain ${mailDomain} (CDK context herald:mailDomain)`,
    );
  }
  if (!site.newsletter.postalAddress.trim()) {
    throw new ConfigError(`${siteFile}: newsletter.postal_address is required to send email (CAN-SPAM)`);
  }
  if (ctx.hostedZoneName && !`.${mailDomain}`.endsWith(`.${ctx.hostedZoneName.toLowerCase()}`)) {
    throw new ConfigError(
      `CDK context herald:hostedZoneName ${ctx.hostedZoneName} does not contain the mail domain ${mailDomain}`,
    );
  }
  return {
    site,
    mailDomain,
    mailFromDomain: `${ctx.mailFromSubdomain}.${mailDomain}`,
    hostedZone:
      ctx.hostedZoneId && ctx.hostedZoneName ? { id: ctx.hostedZoneId, name: ctx.hostedZoneName } : undefined,
    unsubscribeAddress: site.newsletter.unsubscribeMailto ?? `unsubscribe@${mailDomain}`,
    alarmEmail: ctx.alarmEmail,
    sesRateSafetyFactor: ctx.sesRateSafetyFactor,
    reconcileMinutes: ctx.reconcileMinutes,
    siteDomain:
      ctx.siteDomain && ctx.certificateArn
        ? { name: ctx.siteDomain, certificateArn: ctx.certificateArn }
        : undefined,
    apiDomain:
      ctx.apiDomain && ctx.apiCertificateArn
        ? { name: ctx.apiDomain, certificateArn: ctx.apiCertificateArn }
        : undefined,
    dmarc:
      ctx.dmarcPolicy === 'off'
        ? undefined
        : { policy: ctx.dmarcPolicy, reportAddress: ctx.dmarcReportAddress ?? `dmarc-reports@${mailDomain}` },
  };
}
