/**
 * `herald doctor`: reads the deployment (stack, SES, the subscriber count) and the DNS names it
 * needs, then hands the facts to core's `diagnose`. Read-only: nothing here changes AWS or DNS.
 */
import {
  type DeploymentReader,
  type DnsFacts,
  type DnsLookup,
  type DoctorCheck,
  type DoctorFacts,
  diagnose,
  mailCanGoOut,
} from '../core/doctor.ts';
import { sesRecords } from '../core/mail-dns.ts';
import { STACK_OUTPUTS } from '../core/stack-outputs.ts';

/** What the doctor found. */
export interface DoctorReport {
  checks: DoctorCheck[];
  /** False when at least one failed check stops mail from going out. */
  canSend: boolean;
  facts: DoctorFacts;
}

/** `recaps.example.org` → [`recaps.example.org`, `example.org`]: where receivers look for DMARC. */
function dmarcDomains(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 0; labels.length - i >= 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

async function readDns(
  dns: DnsLookup,
  outputs: Record<string, string>,
  facts: Pick<DoctorFacts, 'identity'>,
): Promise<DnsFacts> {
  const domain = outputs[STACK_OUTPUTS.mailDomain];
  const identity = facts.identity?.ok ? facts.identity.value : undefined;
  const mailFromDomain = identity?.mailFrom?.domain ?? outputs[STACK_OUTPUTS.mailFromDomain];
  const siteHost = hostOf(outputs[STACK_OUTPUTS.publicSiteUrl]);
  const distribution = outputs[STACK_OUTPUTS.distributionDomain];
  const unsubscribeDomain = outputs[STACK_OUTPUTS.unsubscribeAddress]?.split('@')[1];

  const [dkim, mailFrom, dmarc, site, inbound] = await Promise.all([
    Promise.all(
      domain
        ? (identity?.dkim.tokens ?? []).map(async (token) => {
            const name = sesRecords.dkim(domain, token).name;
            return { name, token, cname: await dns.cname(name) };
          })
        : [],
    ),
    mailFromDomain
      ? Promise.all([dns.mx(mailFromDomain), dns.txt(mailFromDomain)]).then(([mx, txt]) => ({
          domain: mailFromDomain,
          mx,
          txt,
        }))
      : undefined,
    Promise.all(
      (domain ? dmarcDomains(domain) : []).map(async (d) => ({
        domain: d,
        txt: await dns.txt(`_dmarc.${d}`),
      })),
    ),
    siteHost && distribution
      ? Promise.all([dns.cname(siteHost), dns.addresses(siteHost), dns.addresses(distribution)]).then(
          ([cname, addresses, distributionAddresses]) => ({
            host: siteHost,
            cname,
            addresses,
            distributionAddresses,
          }),
        )
      : undefined,
    unsubscribeDomain
      ? dns.mx(unsubscribeDomain).then((mx) => ({ domain: unsubscribeDomain, mx }))
      : undefined,
  ]);
  return {
    dkim,
    dmarc,
    ...(mailFrom ? { mailFrom } : {}),
    ...(site ? { site } : {}),
    ...(inbound ? { inbound } : {}),
  };
}

/** Checks one deployed stack in `region` with the given AWS reader and DNS lookup. */
export async function runDoctor(deps: {
  aws: DeploymentReader;
  dns: DnsLookup;
  stackName: string;
  region: string;
}): Promise<DoctorReport> {
  const { aws } = deps;
  const [stack, account, activeRuleSet] = await Promise.all([
    aws.stack(deps.stackName),
    aws.account(),
    aws.activeReceiptRuleSet(),
  ]);
  const outputs = stack.ok ? stack.value.outputs : {};
  const domain = outputs[STACK_OUTPUTS.mailDomain];
  const configurationSetName = outputs[STACK_OUTPUTS.configurationSet];
  const table = outputs[STACK_OUTPUTS.subscribersTable];
  const [identity, configurationSet, confirmedSubscribers] = await Promise.all([
    domain ? aws.identity(domain) : undefined,
    configurationSetName ? aws.configurationSet(configurationSetName) : undefined,
    table ? aws.confirmedSubscribers(table) : undefined,
  ]);
  const known = {
    ...(identity ? { identity } : {}),
    ...(configurationSet ? { configurationSet } : {}),
    ...(confirmedSubscribers ? { confirmedSubscribers } : {}),
  };
  const facts: DoctorFacts = {
    region: deps.region,
    stackName: deps.stackName,
    stack,
    account,
    activeRuleSet,
    ...known,
    dns: await readDns(deps.dns, outputs, known),
  };
  const checks = diagnose(facts);
  return { checks, canSend: mailCanGoOut(checks), facts };
}
