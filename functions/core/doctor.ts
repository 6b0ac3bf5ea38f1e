/**
 * `herald doctor`'s judgement: from what AWS and DNS say about a deployment, one check per line —
 * passed or not, what it means, and the exact record, console step or command that fixes it.
 * Pure: the facts are read elsewhere (functions/app/doctor.ts) and handed in.
 */
import { formatDnsRecord, parseDmarc, SES_SPF_VALUE, sesRecords } from './mail-dns.ts';
import { STACK_OUTPUTS } from './stack-outputs.ts';

/** A read that may have failed; `missing` when AWS says the thing does not exist. */
export type Read<T> = { ok: true; value: T } | { ok: false; missing: boolean; error: string };

/** SES account-level state (SES v2 GetAccount). */
export interface AccountFacts {
  productionAccess: boolean;
  sendingEnabled: boolean;
  /** HEALTHY, PROBATION or SHUTDOWN. */
  enforcementStatus?: string;
  /** State of a production-access request: PENDING, GRANTED, DENIED, FAILED. */
  reviewStatus?: string;
  /** -1 means unlimited. */
  max24HourSend: number;
  maxSendRate: number;
  sentLast24Hours: number;
}

/** SES domain identity (SES v2 GetEmailIdentity). */
export interface IdentityFacts {
  verifiedForSending: boolean;
  verificationStatus?: string;
  dkim: { signingEnabled: boolean; status?: string; tokens: string[] };
  mailFrom?: { domain: string; status?: string; behaviorOnMxFailure?: string };
}

/** SES configuration set and its event destinations. */
export interface ConfigurationSetFacts {
  sendingEnabled: boolean;
  eventDestinations: { name: string; enabled: boolean; events: string[] }[];
}

/** The CloudFormation stack: status and outputs by key. */
export interface StackFacts {
  status: string;
  outputs: Record<string, string>;
}

/** Normalised DNS answer: CNAME targets, `PRIORITY HOST` for MX, joined strings for TXT, addresses for A. */
export type DnsAnswer = { found: true; records: string[] } | { found: false; error: string };

/** What DNS said about the names the deployment needs. */
export interface DnsFacts {
  /** Per DKIM record name. */
  dkim: { name: string; token: string; cname: DnsAnswer }[];
  mailFrom?: { domain: string; mx: DnsAnswer; txt: DnsAnswer };
  /** `_dmarc.<domain>` first, then its parent domains (DMARC's organisational fallback). */
  dmarc: { domain: string; txt: DnsAnswer }[];
  site?: { host: string; cname: DnsAnswer; addresses: DnsAnswer; distributionAddresses: DnsAnswer };
  inbound?: { domain: string; mx: DnsAnswer };
}

/** Everything the doctor read; a missing field means it could not be asked (e.g. no stack). */
export interface DoctorFacts {
  region: string;
  stackName: string;
  stack: Read<StackFacts>;
  account: Read<AccountFacts>;
  identity?: Read<IdentityFacts>;
  configurationSet?: Read<ConfigurationSetFacts>;
  confirmedSubscribers?: Read<number>;
  /** Name of the active SES receipt rule set, undefined when none is active. */
  activeRuleSet?: Read<string | undefined>;
  dns: DnsFacts;
}

/** The AWS reads `herald doctor` needs; implemented by adapters/aws-deployment.ts. */
export interface DeploymentReader {
  stack(name: string): Promise<Read<StackFacts>>;
  account(): Promise<Read<AccountFacts>>;
  identity(domain: string): Promise<Read<IdentityFacts>>;
  configurationSet(name: string): Promise<Read<ConfigurationSetFacts>>;
  confirmedSubscribers(tableName: string): Promise<Read<number>>;
  activeReceiptRuleSet(): Promise<Read<string | undefined>>;
}

/** DNS questions, implemented by adapters/dns-lookup.ts over `node:dns`. */
export interface DnsLookup {
  cname(name: string): Promise<DnsAnswer>;
  mx(name: string): Promise<DnsAnswer>;
  txt(name: string): Promise<DnsAnswer>;
  addresses(name: string): Promise<DnsAnswer>;
}

/** One line of the report. */
export interface DoctorCheck {
  ok: boolean;
  /** When not ok: true if mail cannot go out until this is fixed. */
  blocking: boolean;
  title: string;
  /** What the result means for the newsletter. */
  meaning: string;
  /** Exact records, console steps or commands that fix it (empty when ok). */
  fix: string[];
}

const pass = (title: string, meaning: string): DoctorCheck => ({
  ok: true,
  blocking: false,
  title,
  meaning,
  fix: [],
});
const fail = (title: string, meaning: string, fix: string[], blocking: boolean): DoctorCheck => ({
  ok: false,
  blocking,
  title,
  meaning,
  fix,
});

const SETTLING_STACK = /_IN_PROGRESS$/;
const DEAD_STACK = /^(CREATE_FAILED|ROLLBACK_COMPLETE|ROLLBACK_FAILED|ROLLBACK_IN_PROGRESS|DELETE_.*)$/;
const VERIFY_WAIT = 'SES looks for the records for up to 72 hours; run `herald doctor` again later.';

function unreadable(title: string, read: { error: string }, permission: string): DoctorCheck {
  return fail(
    title,
    `could not be read: ${read.error}`,
    [`Run with credentials for this account and region that allow ${permission}.`],
    true,
  );
}

function checkStack(f: DoctorFacts): DoctorCheck[] {
  const title = `Stack ${f.stackName} in ${f.region}`;
  if (!f.stack.ok) {
    if (!f.stack.missing) return [unreadable(title, f.stack, 'cloudformation:DescribeStacks')];
    return [
      fail(
        title,
        'is not deployed in this account and region, so nothing can publish or send.',
        [
          'npx cdk deploy',
          `or name the right one: herald doctor --stack NAME --region REGION (looked for "${f.stackName}" in ${f.region})`,
        ],
        true,
      ),
    ];
  }
  const { status, outputs } = f.stack.value;
  const checks: DoctorCheck[] = [];
  if (DEAD_STACK.test(status)) {
    checks.push(
      fail(
        title,
        `is ${status}: its resources do not exist or are being removed.`,
        [
          `See why: aws cloudformation describe-stack-events --stack-name ${f.stackName} --max-items 20`,
          'Fix the cause, delete the stack if it is ROLLBACK_COMPLETE, then npx cdk deploy',
        ],
        true,
      ),
    );
  } else if (SETTLING_STACK.test(status)) {
    checks.push(
      fail(
        title,
        `is ${status}: a deploy is running; results below may change.`,
        ['Wait for the deploy to finish, then run herald doctor again.'],
        false,
      ),
    );
  } else if (status === 'UPDATE_ROLLBACK_COMPLETE') {
    checks.push(
      fail(
        title,
        'is UPDATE_ROLLBACK_COMPLETE: the last deploy failed and the previous version is still running.',
        [`See why: aws cloudformation describe-stack-events --stack-name ${f.stackName} --max-items 20`],
        false,
      ),
    );
  } else {
    checks.push(pass(title, `is ${status}.`));
  }
  const needed = [
    STACK_OUTPUTS.mailDomain,
    STACK_OUTPUTS.configurationSet,
    STACK_OUTPUTS.subscribersTable,
    STACK_OUTPUTS.contentBucket,
    STACK_OUTPUTS.publicSiteUrl,
    STACK_OUTPUTS.distributionDomain,
  ];
  const absent = needed.filter((key) => !outputs[key]);
  checks.push(
    absent.length === 0
      ? pass(
          'Stack outputs',
          `site ${outputs[STACK_OUTPUTS.publicSiteUrl]}, content bucket ${outputs[STACK_OUTPUTS.contentBucket]}.`,
        )
      : fail(
          'Stack outputs',
          `missing ${absent.join(', ')}: the stack was deployed by an older Herald, so some checks below are skipped.`,
          ['npx cdk deploy'],
          false,
        ),
  );
  return checks;
}

function quotaText(a: AccountFacts): string {
  return a.max24HourSend < 0
    ? `unlimited a day, ${a.maxSendRate} a second`
    : `${a.max24HourSend.toLocaleString('en-US')} a day, ${a.maxSendRate} a second`;
}

function checkAccount(f: DoctorFacts): DoctorCheck[] {
  if (!f.account.ok) return [unreadable('SES account', f.account, 'ses:GetAccount')];
  const a = f.account.value;
  const checks: DoctorCheck[] = [];
  if (a.productionAccess) {
    checks.push(pass('SES production access', `granted: SES mails any address (${quotaText(a)}).`));
  } else {
    const pending = a.reviewStatus === 'PENDING';
    const denied = a.reviewStatus === 'DENIED' || a.reviewStatus === 'FAILED';
    checks.push(
      fail(
        'SES production access',
        `not granted: the account is in the SES sandbox (${quotaText(a)}, only to verified addresses), so subscribers get nothing.` +
          (pending ? ' Your request is being reviewed (usually within 24 hours).' : '') +
          (denied
            ? ` Your request was ${a.reviewStatus?.toLowerCase()}; reply to the case in the AWS Support Center.`
            : ''),
        pending
          ? ['Wait for the answer to your request in the AWS Support Center.']
          : [
              `SES console (${f.region}) → Account dashboard → Request production access; the text to send is in the README, "Deploy to AWS", step 3.`,
              `or: aws sesv2 put-account-details --region ${f.region} --production-access-enabled --mail-type MARKETING --website-url <your site> --use-case-description "<see README>"`,
            ],
        true,
      ),
    );
  }
  if (a.enforcementStatus === 'SHUTDOWN') {
    checks.push(
      fail(
        'SES account standing',
        'SHUTDOWN: AWS stopped this account from sending because of bounces or complaints.',
        [
          'Read the notice in the SES console → Reputation metrics and answer the case in the AWS Support Center.',
        ],
        true,
      ),
    );
  } else if (a.enforcementStatus === 'PROBATION') {
    checks.push(
      fail(
        'SES account standing',
        'PROBATION: bounce or complaint rates are too high; sending stops if they do not fall.',
        [
          'SES console → Reputation metrics; remove stale addresses (herald subscribers export) before the next post.',
        ],
        false,
      ),
    );
  }
  checks.push(
    a.sendingEnabled
      ? pass('SES sending', 'enabled for the account.')
      : fail(
          'SES sending',
          'paused for the whole account: nothing is sent.',
          [`aws sesv2 put-account-sending-attributes --region ${f.region} --sending-enabled`],
          true,
        ),
  );
  if (f.confirmedSubscribers?.ok === false) {
    checks.push(
      fail(
        'Send quota vs subscribers',
        `the subscriber count could not be read: ${f.confirmedSubscribers.error}`,
        ['Run with credentials that allow dynamodb:Query on the subscribers table.'],
        false,
      ),
    );
  } else if (f.confirmedSubscribers?.ok) {
    const n = f.confirmedSubscribers.value;
    const minutes = a.maxSendRate > 0 ? Math.ceil(n / a.maxSendRate / 60) : undefined;
    const duration = minutes === undefined ? '' : ` at ${a.maxSendRate}/s a post takes about ${minutes} min`;
    if (n === 0) {
      checks.push(
        pass('Send quota vs subscribers', `no confirmed subscribers yet; the quota is ${quotaText(a)}.`),
      );
    } else if (a.max24HourSend < 0 || n <= a.max24HourSend) {
      checks.push(
        pass(
          'Send quota vs subscribers',
          `${n.toLocaleString('en-US')} confirmed subscribers fit in the daily quota (${quotaText(a)});${duration}.`,
        ),
      );
    } else {
      const days = Math.ceil(n / a.max24HourSend);
      checks.push(
        fail(
          'Send quota vs subscribers',
          `${n.toLocaleString('en-US')} confirmed subscribers exceed the daily quota of ${a.max24HourSend.toLocaleString('en-US')}: each post pauses at the quota and takes ${days} days to reach everyone.`,
          [
            `Service Quotas console (${f.region}) → Amazon Simple Email Service → Sending quota → Request increase, to at least ${n.toLocaleString('en-US')}.`,
          ],
          false,
        ),
      );
    }
  }
  return checks;
}

function checkIdentity(f: DoctorFacts, domain: string): DoctorCheck[] {
  if (!f.identity) return [];
  if (!f.identity.ok) {
    if (!f.identity.missing)
      return [unreadable(`SES identity ${domain}`, f.identity, 'ses:GetEmailIdentity')];
    return [
      fail(
        `SES identity ${domain}`,
        `does not exist in ${f.region}: SES refuses mail from it.`,
        ['npx cdk deploy (the stack creates it), and check that --region is the stack’s region.'],
        true,
      ),
    ];
  }
  const id = f.identity.value;
  const checks: DoctorCheck[] = [];
  checks.push(
    id.verifiedForSending
      ? pass(`SES identity ${domain}`, 'verified: SES sends as this domain.')
      : fail(
          `SES identity ${domain}`,
          `not verified (${id.verificationStatus ?? 'unknown'}): SES refuses mail from ${domain}. It verifies when the DKIM records below resolve.`,
          id.verificationStatus === 'FAILED'
            ? [
                `SES stopped looking after 72 hours. Add the DKIM records below, then restart verification in the SES console (${f.region}) → Identities → ${domain}.`,
              ]
            : [`Add the DKIM records below. ${VERIFY_WAIT}`],
          true,
        ),
  );
  const dkimStatus = id.dkim.status ?? 'unknown';
  if (!id.dkim.signingEnabled) {
    checks.push(
      fail(
        'DKIM signing',
        'disabled: mail goes out unsigned and fails DMARC at Gmail and Yahoo.',
        [
          `aws sesv2 put-email-identity-dkim-attributes --region ${f.region} --email-identity ${domain} --signing-enabled`,
        ],
        true,
      ),
    );
  } else if (dkimStatus === 'SUCCESS') {
    checks.push(pass('DKIM (SES)', 'SES found the DKIM records and signs every message (2048-bit).'));
  } else {
    checks.push(
      fail(
        'DKIM (SES)',
        `${dkimStatus}: SES has not found the DKIM records, so the domain is not verified and nothing is sent.`,
        [`Add the DKIM records below. ${VERIFY_WAIT}`],
        true,
      ),
    );
  }
  const mf = id.mailFrom;
  if (mf) {
    const rejects = mf.behaviorOnMxFailure === 'REJECT_MESSAGE';
    checks.push(
      mf.status === 'SUCCESS'
        ? pass(`MAIL FROM ${mf.domain}`, 'SES found its MX record: bounces come back to SES and SPF aligns.')
        : fail(
            `MAIL FROM ${mf.domain}`,
            `${mf.status ?? 'unknown'}: SES has not found the MX record. ` +
              (rejects
                ? 'Herald is set to reject messages until it does, so nothing is sent.'
                : 'Mail goes out with amazonses.com as MAIL FROM, so SPF does not align.'),
            [
              `Add: ${formatDnsRecord(sesRecords.mailFromMx(mf.domain, f.region))}`,
              `Add: ${formatDnsRecord(sesRecords.mailFromSpf(mf.domain))}`,
              'SES checks again within a few hours.',
            ],
            rejects,
          ),
    );
  }
  return checks;
}

function checkConfigurationSet(f: DoctorFacts, name: string): DoctorCheck[] {
  if (!f.configurationSet) return [];
  const title = `Configuration set ${name}`;
  if (!f.configurationSet.ok) {
    if (!f.configurationSet.missing)
      return [unreadable(title, f.configurationSet, 'ses:GetConfigurationSet')];
    return [
      fail(
        title,
        'does not exist: every send names it, so SES refuses every message.',
        ['npx cdk deploy (the stack creates it).'],
        true,
      ),
    ];
  }
  const cs = f.configurationSet.value;
  const checks: DoctorCheck[] = [
    cs.sendingEnabled
      ? pass(title, 'exists and sending through it is enabled.')
      : fail(
          title,
          'sending is paused for this configuration set (SES pauses it when reputation drops): nothing is sent.',
          [
            `aws sesv2 put-configuration-set-sending-options --region ${f.region} --configuration-set-name ${name} --sending-enabled`,
          ],
          true,
        ),
  ];
  const feedback = cs.eventDestinations.find(
    (d) =>
      d.enabled && ['BOUNCE', 'COMPLAINT'].every((e) => d.events.map((x) => x.toUpperCase()).includes(e)),
  );
  checks.push(
    feedback
      ? pass(
          'SES event destination',
          `${feedback.name} sends bounces and complaints to Herald, which suppresses those addresses.`,
        )
      : fail(
          'SES event destination',
          'no enabled destination receives bounces and complaints: bad addresses stay on the list and the account’s reputation drops.',
          ['npx cdk deploy (restores the destination the stack defines).'],
          false,
        ),
  );
  return checks;
}

/** A lookup that timed out or failed proves nothing: the record may be fine. */
const definitive = (a: DnsAnswer) => a.found || a.error === 'no record';

const recordsOf = (a: DnsAnswer): string[] => (a.found ? a.records : []);

function answerText(a: DnsAnswer): string {
  return a.found ? a.records.join(', ') : a.error;
}

const host = (value: string) => value.toLowerCase().replace(/\.$/, '');

function checkDkimDns(f: DoctorFacts, domain: string): DoctorCheck[] {
  const records = f.dns.dkim;
  if (records.length === 0) return [];
  const wrong = records.filter(
    (r) => !(r.cname.found && r.cname.records.map(host).includes(`${r.token}.dkim.amazonses.com`)),
  );
  if (wrong.length === 0) {
    return [pass(`DNS: DKIM CNAMEs for ${domain}`, `all ${records.length} point to SES.`)];
  }
  return wrong.map((r) => {
    const expected = sesRecords.dkim(domain, r.token);
    return fail(
      `DNS: ${r.name}`,
      `is ${r.cname.found ? `a CNAME to ${answerText(r.cname)}` : `not there (${r.cname.error})`}, not SES: receivers cannot verify the DKIM signature.`,
      [`Add: ${formatDnsRecord(expected)}`],
      definitive(r.cname),
    );
  });
}

function checkMailFromDns(f: DoctorFacts, rejectsOnMxFailure: boolean): DoctorCheck[] {
  const mf = f.dns.mailFrom;
  if (!mf) return [];
  const expectedMx = sesRecords.mailFromMx(mf.domain, f.region);
  const mxHost = expectedMx.value.split(' ')[1] ?? '';
  const mxOk = mf.mx.found && mf.mx.records.some((r) => host(r.split(' ')[1] ?? '') === mxHost);
  const spfRecords = mf.txt.found ? mf.txt.records.filter((r) => /^v=spf1(\s|$)/i.test(r)) : [];
  const spfOk = spfRecords.length === 1 && /\binclude:amazonses\.com\b/i.test(spfRecords[0] ?? '');
  return [
    mxOk
      ? pass(`DNS: MX ${mf.domain}`, `points to ${mxHost}.`)
      : fail(
          `DNS: MX ${mf.domain}`,
          `is ${answerText(mf.mx)}: SES needs it to take bounces for the MAIL FROM domain.`,
          [`Add: ${formatDnsRecord(expectedMx)}`],
          rejectsOnMxFailure && definitive(mf.mx),
        ),
    spfOk
      ? pass(`DNS: SPF ${mf.domain}`, 'includes amazonses.com.')
      : fail(
          `DNS: SPF ${mf.domain}`,
          spfRecords.length > 1
            ? `has ${spfRecords.length} SPF records; receivers treat that as an error.`
            : `is ${spfRecords[0] ?? answerText(mf.txt)}: receivers cannot check that SES may send for ${mf.domain}.`,
          [`Have exactly one: ${mf.domain} TXT "${SES_SPF_VALUE}"`],
          false,
        ),
  ];
}

function checkDmarcDns(f: DoctorFacts, domain: string, outputs: Record<string, string>): DoctorCheck[] {
  if (f.dns.dmarc.length === 0) return [];
  const suggested =
    outputs[STACK_OUTPUTS.dmarcRecord] ??
    formatDnsRecord(sesRecords.dmarc(domain, { policy: 'none', reportAddress: `dmarc-reports@${domain}` }));
  const fix = [`Add: ${suggested}`];
  for (const [i, { domain: at, txt }] of f.dns.dmarc.entries()) {
    const records = txt.found ? txt.records.filter((r) => /^\s*v\s*=\s*DMARC1/i.test(r)) : [];
    if (records.length === 0) continue;
    const title = `DNS: DMARC _dmarc.${at}`;
    if (records.length > 1) {
      return [
        fail(
          title,
          `has ${records.length} DMARC records; receivers ignore them all.`,
          ['Keep exactly one.'],
          false,
        ),
      ];
    }
    const tags = parseDmarc(records[0] ?? '');
    const policy = i === 0 ? tags?.p : (tags?.sp ?? tags?.p);
    if (!policy) {
      return [fail(title, `"${records[0]}" has no p= policy; receivers ignore it.`, fix, false)];
    }
    const inherited = i === 0 ? '' : ` (inherited by ${domain})`;
    return [pass(title, `policy ${policy}${inherited}: Gmail's and Yahoo's bulk-sender rule is met.`)];
  }
  return [
    fail(
      `DNS: DMARC _dmarc.${domain}`,
      'no DMARC record: Gmail and Yahoo reject or spam bulk mail without one (required since February 2024).',
      fix,
      false,
    ),
  ];
}

function checkSiteDns(f: DoctorFacts, distribution: string | undefined): DoctorCheck[] {
  const site = f.dns.site;
  if (!site || !distribution) return [];
  const title = `DNS: site ${site.host}`;
  if (host(site.host) === host(distribution)) {
    return [pass(title, 'is the CloudFront name itself.')];
  }
  if (site.cname.found && site.cname.records.map(host).includes(host(distribution))) {
    return [pass(title, `is a CNAME to CloudFront (${distribution}).`)];
  }
  const cloudfront = new Set(recordsOf(site.distributionAddresses));
  const shared = recordsOf(site.addresses).filter((a) => cloudfront.has(a));
  if (shared.length > 0) {
    return [pass(title, `resolves to CloudFront (${distribution}; an alias record).`)];
  }
  return [
    fail(
      title,
      `does not point to CloudFront (${site.cname.found ? `CNAME ${answerText(site.cname)}` : `addresses: ${answerText(site.addresses)}`}): readers, the subscribe form and the unsubscribe links in every email do not reach Herald.`,
      [
        `Add: ${site.host} CNAME ${distribution} (at a zone apex: a Route 53 alias A/AAAA record to the distribution).`,
        `CloudFront must know the name: deploy with -c herald:siteDomain=${site.host} -c herald:certificateArn=<ACM certificate in us-east-1>.`,
      ],
      false,
    ),
  ];
}

function checkInbound(f: DoctorFacts, outputs: Record<string, string>): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const ruleSet = outputs[STACK_OUTPUTS.inboundRuleSet];
  if (ruleSet && f.activeRuleSet) {
    const title = 'SES inbound rule set';
    if (!f.activeRuleSet.ok) {
      checks.push(
        fail(
          title,
          `could not be read: ${f.activeRuleSet.error}. Mail to the unsubscribe address may not reach Herald.`,
          ['Run with ses:DescribeActiveReceiptRuleSet; SES receives mail only in some regions.'],
          false,
        ),
      );
    } else if (f.activeRuleSet.value === ruleSet) {
      checks.push(pass(title, `${ruleSet} is active: mailto: unsubscribes reach Herald.`));
    } else {
      checks.push(
        fail(
          title,
          `${f.activeRuleSet.value ? `${f.activeRuleSet.value} is active instead` : 'none is active'}: mail to the unsubscribe address is dropped.`,
          [`aws ses set-active-receipt-rule-set --region ${f.region} --rule-set-name ${ruleSet}`],
          false,
        ),
      );
    }
  }
  const inbound = f.dns.inbound;
  if (inbound) {
    const expected = sesRecords.inboundMx(inbound.domain, f.region);
    const target = expected.value.split(' ')[1] ?? '';
    const ok = inbound.mx.found && inbound.mx.records.some((r) => host(r.split(' ')[1] ?? '') === target);
    checks.push(
      ok
        ? pass(`DNS: MX ${inbound.domain}`, `points to ${target}: SES receives mailto: unsubscribes.`)
        : fail(
            `DNS: MX ${inbound.domain}`,
            `is ${answerText(inbound.mx)}: mailto: unsubscribe requests (the List-Unsubscribe fallback) never reach SES.`,
            [`Add: ${formatDnsRecord(expected)}`],
            false,
          ),
    );
  }
  return checks;
}

/** Every check, in the order a user fixes them: stack, account, identity, DNS, site. */
export function diagnose(facts: DoctorFacts): DoctorCheck[] {
  const outputs = facts.stack.ok ? facts.stack.value.outputs : {};
  const domain = outputs[STACK_OUTPUTS.mailDomain];
  const configurationSet = outputs[STACK_OUTPUTS.configurationSet];
  const identity = facts.identity?.ok ? facts.identity.value : undefined;
  return [
    ...checkStack(facts),
    ...checkAccount(facts),
    ...(domain ? checkIdentity(facts, domain) : []),
    ...(configurationSet ? checkConfigurationSet(facts, configurationSet) : []),
    ...(domain ? checkDkimDns(facts, domain) : []),
    ...checkMailFromDns(facts, identity?.mailFrom?.behaviorOnMxFailure === 'REJECT_MESSAGE'),
    ...(domain ? checkDmarcDns(facts, domain, outputs) : []),
    ...checkSiteDns(facts, outputs[STACK_OUTPUTS.distributionDomain]),
    ...checkInbound(facts, outputs),
  ];
}

/** Whether mail can go out: no failed check is blocking. */
export function mailCanGoOut(checks: readonly DoctorCheck[]): boolean {
  return !checks.some((c) => !c.ok && c.blocking);
}
