import { describe, expect, it } from 'vitest';
import { type DoctorCheck, type DoctorFacts, diagnose, mailCanGoOut } from '../../functions/core/doctor.ts';

const DISTRIBUTION = 'd111111abcdef8.cloudfront.net';

function healthy(): DoctorFacts {
  return {
    region: 'eu-west-1',
    stackName: 'Herald',
    stack: {
      ok: true,
      value: {
        status: 'UPDATE_COMPLETE',
        outputs: {
          MailDomain: 'recaps.example.org',
          MailFromDomain: 'mail.recaps.example.org',
          ConfigurationSet: 'HeraldMailConfigurationSet',
          SubscribersTable: 'Herald-Subscribers',
          ContentBucket: 'herald-content',
          PublicSiteUrl: 'https://recaps.example.org',
          DistributionDomain: DISTRIBUTION,
          UnsubscribeAddress: 'unsubscribe@recaps.example.org',
          InboundRuleSet: 'HeraldInbound',
        },
      },
    },
    account: {
      ok: true,
      value: {
        productionAccess: true,
        sendingEnabled: true,
        enforcementStatus: 'HEALTHY',
        reviewStatus: 'GRANTED',
        max24HourSend: 50_000,
        maxSendRate: 14,
        sentLast24Hours: 0,
      },
    },
    identity: {
      ok: true,
      value: {
        verifiedForSending: true,
        verificationStatus: 'SUCCESS',
        dkim: { signingEnabled: true, status: 'SUCCESS', tokens: ['tok1', 'tok2', 'tok3'] },
        mailFrom: {
          domain: 'mail.recaps.example.org',
          status: 'SUCCESS',
          behaviorOnMxFailure: 'REJECT_MESSAGE',
        },
      },
    },
    configurationSet: {
      ok: true,
      value: {
        sendingEnabled: true,
        eventDestinations: [
          { name: 'ToFeedback', enabled: true, events: ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY'] },
        ],
      },
    },
    confirmedSubscribers: { ok: true, value: 1200 },
    activeRuleSet: { ok: true, value: 'HeraldInbound' },
    dns: {
      dkim: ['tok1', 'tok2', 'tok3'].map((token) => ({
        name: `${token}._domainkey.recaps.example.org`,
        token,
        cname: { found: true, records: [`${token}.dkim.amazonses.com`] },
      })),
      mailFrom: {
        domain: 'mail.recaps.example.org',
        mx: { found: true, records: ['10 feedback-smtp.eu-west-1.amazonses.com'] },
        txt: { found: true, records: ['v=spf1 include:amazonses.com ~all'] },
      },
      dmarc: [
        {
          domain: 'recaps.example.org',
          txt: { found: true, records: ['v=DMARC1; p=none; rua=mailto:dmarc-reports@recaps.example.org'] },
        },
        { domain: 'example.org', txt: { found: false, error: 'no record' } },
      ],
      site: {
        host: 'recaps.example.org',
        cname: { found: true, records: [DISTRIBUTION] },
        addresses: { found: true, records: ['18.66.1.1'] },
        distributionAddresses: { found: true, records: ['18.66.1.1'] },
      },
      inbound: {
        domain: 'recaps.example.org',
        mx: { found: true, records: ['10 inbound-smtp.eu-west-1.amazonaws.com'] },
      },
    },
  };
}

function find(checks: DoctorCheck[], title: string | RegExp): DoctorCheck {
  const check = checks.find((c) => (typeof title === 'string' ? c.title === title : title.test(c.title)));
  if (!check) throw new Error(`no check titled ${title}: ${checks.map((c) => c.title).join(' | ')}`);
  return check;
}

describe('diagnose', () => {
  it('passes every check of a ready deployment', () => {
    const checks = diagnose(healthy());

    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(mailCanGoOut(checks)).toBe(true);
    expect(checks.map((c) => c.title)).toEqual([
      'Stack Herald in eu-west-1',
      'Stack outputs',
      'SES production access',
      'SES sending',
      'Send quota vs subscribers',
      'SES identity recaps.example.org',
      'DKIM (SES)',
      'MAIL FROM mail.recaps.example.org',
      'Configuration set HeraldMailConfigurationSet',
      'SES event destination',
      'DNS: DKIM CNAMEs for recaps.example.org',
      'DNS: MX mail.recaps.example.org',
      'DNS: SPF mail.recaps.example.org',
      'DNS: DMARC _dmarc.recaps.example.org',
      'DNS: site recaps.example.org',
      'SES inbound rule set',
      'DNS: MX recaps.example.org',
    ]);
  });

  it('blocks mail in the SES sandbox and says how to request production access', () => {
    const facts = healthy();
    if (facts.account.ok) {
      Object.assign(facts.account.value, { productionAccess: false, max24HourSend: 200, maxSendRate: 1 });
    }

    const checks = diagnose(facts);
    const sandbox = find(checks, 'SES production access');

    expect(sandbox.ok).toBe(false);
    expect(sandbox.blocking).toBe(true);
    expect(sandbox.meaning).toContain('sandbox (200 a day, 1 a second, only to verified addresses)');
    expect(sandbox.fix.join('\n')).toContain(
      'aws sesv2 put-account-details --region eu-west-1 --production-access-enabled',
    );
    expect(mailCanGoOut(checks)).toBe(false);
  });

  it('says a production-access request is under review instead of asking again', () => {
    const facts = healthy();
    if (facts.account.ok)
      Object.assign(facts.account.value, { productionAccess: false, reviewStatus: 'PENDING' });

    const sandbox = find(diagnose(facts), 'SES production access');

    expect(sandbox.meaning).toContain('being reviewed');
    expect(sandbox.fix).toEqual(['Wait for the answer to your request in the AWS Support Center.']);
  });

  it('names the exact DKIM CNAME that is missing and blocks mail until SES verifies it', () => {
    const facts = healthy();
    const [first] = facts.dns.dkim;
    if (first) first.cname = { found: false, error: 'no record' };
    if (facts.identity?.ok) {
      facts.identity.value.dkim.status = 'PENDING';
      facts.identity.value.verifiedForSending = false;
      facts.identity.value.verificationStatus = 'PENDING';
    }

    const checks = diagnose(facts);
    const missing = find(checks, 'DNS: tok1._domainkey.recaps.example.org');

    expect(missing.blocking).toBe(true);
    expect(missing.fix).toEqual(['Add: tok1._domainkey.recaps.example.org CNAME tok1.dkim.amazonses.com']);
    expect(find(checks, 'DKIM (SES)').meaning).toMatch(/^PENDING:/);
    expect(checks.filter((c) => c.title.includes('_domainkey'))).toHaveLength(1);
    expect(mailCanGoOut(checks)).toBe(false);
  });

  it('does not block on a DNS lookup that failed, since the record may be fine', () => {
    const facts = healthy();
    const [first] = facts.dns.dkim;
    if (first) first.cname = { found: false, error: 'lookup failed (ETIMEOUT)' };

    const checks = diagnose(facts);

    expect(find(checks, 'DNS: tok1._domainkey.recaps.example.org')).toMatchObject({
      ok: false,
      blocking: false,
    });
    expect(mailCanGoOut(checks)).toBe(true);
  });

  it('blocks mail while MAIL FROM is unverified because the identity rejects messages then', () => {
    const facts = healthy();
    if (facts.identity?.ok && facts.identity.value.mailFrom) facts.identity.value.mailFrom.status = 'FAILED';
    if (facts.dns.mailFrom) facts.dns.mailFrom.mx = { found: false, error: 'no record' };

    const checks = diagnose(facts);
    const mailFrom = find(checks, 'MAIL FROM mail.recaps.example.org');
    const mx = find(checks, 'DNS: MX mail.recaps.example.org');

    expect(mailFrom.blocking).toBe(true);
    expect(mailFrom.fix).toContain(
      'Add: mail.recaps.example.org MX 10 feedback-smtp.eu-west-1.amazonses.com',
    );
    expect(mx.blocking).toBe(true);
  });

  it('flags a missing DMARC record with the record the stack printed, without blocking', () => {
    const facts = healthy();
    facts.dns.dmarc = facts.dns.dmarc.map((d) => ({ ...d, txt: { found: false, error: 'no record' } }));
    if (facts.stack.ok) {
      facts.stack.value.outputs.DmarcRecord =
        '_dmarc.recaps.example.org TXT "v=DMARC1; p=none; rua=mailto:reports@example.net"';
    }

    const checks = diagnose(facts);
    const dmarc = find(checks, 'DNS: DMARC _dmarc.recaps.example.org');

    expect(dmarc.ok).toBe(false);
    expect(dmarc.blocking).toBe(false);
    expect(dmarc.meaning).toContain('February 2024');
    expect(dmarc.fix).toEqual([
      'Add: _dmarc.recaps.example.org TXT "v=DMARC1; p=none; rua=mailto:reports@example.net"',
    ]);
    expect(mailCanGoOut(checks)).toBe(true);
  });

  it('accepts a DMARC policy inherited from the organisational domain', () => {
    const facts = healthy();
    facts.dns.dmarc = [
      { domain: 'recaps.example.org', txt: { found: false, error: 'no record' } },
      { domain: 'example.org', txt: { found: true, records: ['v=DMARC1; p=reject; sp=quarantine'] } },
    ];

    const dmarc = find(diagnose(facts), /DMARC/);

    expect(dmarc).toMatchObject({ ok: true, title: 'DNS: DMARC _dmarc.example.org' });
    expect(dmarc.meaning).toContain('policy quarantine (inherited by recaps.example.org)');
  });

  it('warns when the daily quota is smaller than the list, with how long a post takes', () => {
    const facts = healthy();
    facts.confirmedSubscribers = { ok: true, value: 120_000 };

    const checks = diagnose(facts);
    const quota = find(checks, 'Send quota vs subscribers');

    expect(quota).toMatchObject({ ok: false, blocking: false });
    expect(quota.meaning).toContain('takes 3 days');
    expect(quota.fix[0]).toContain('to at least 120,000');
    expect(mailCanGoOut(checks)).toBe(true);
  });

  it('says there is nobody to mail yet instead of timing an empty mailing', () => {
    const facts = healthy();
    facts.confirmedSubscribers = { ok: true, value: 0 };

    const quota = find(diagnose(facts), 'Send quota vs subscribers');

    expect(quota).toMatchObject({
      ok: true,
      meaning: 'no confirmed subscribers yet; the quota is 50,000 a day, 14 a second.',
    });
  });

  it('tells how to deploy when the stack does not exist, and skips what depends on it', () => {
    const facts: DoctorFacts = {
      ...healthy(),
      stack: { ok: false, missing: true, error: 'ValidationError: Stack with id Herald does not exist' },
      dns: { dkim: [], dmarc: [] },
    };
    delete facts.identity;
    delete facts.configurationSet;
    delete facts.confirmedSubscribers;

    const checks = diagnose(facts);

    expect(checks[0]).toMatchObject({ ok: false, blocking: true, title: 'Stack Herald in eu-west-1' });
    expect(checks[0]?.fix[0]).toBe('npx cdk deploy');
    expect(checks.map((c) => c.title)).toEqual([
      'Stack Herald in eu-west-1',
      'SES production access',
      'SES sending',
    ]);
  });

  it('points the site name at CloudFront when it resolves elsewhere', () => {
    const facts = healthy();
    facts.dns.site = {
      host: 'recaps.example.org',
      cname: { found: false, error: 'no record' },
      addresses: { found: true, records: ['192.0.2.10'] },
      distributionAddresses: { found: true, records: ['18.66.1.1'] },
    };

    const site = find(diagnose(facts), 'DNS: site recaps.example.org');

    expect(site).toMatchObject({ ok: false, blocking: false });
    expect(site.fix[0]).toBe(
      `Add: recaps.example.org CNAME ${DISTRIBUTION} (at a zone apex: a Route 53 alias A/AAAA record to the distribution).`,
    );
  });

  it('reports an unreadable account as blocking, naming the permission', () => {
    const facts = healthy();
    facts.account = { ok: false, missing: false, error: 'AccessDeniedException: not authorized' };

    const checks = diagnose(facts);

    expect(find(checks, 'SES account')).toMatchObject({ ok: false, blocking: true });
    expect(find(checks, 'SES account').fix[0]).toContain('ses:GetAccount');
    expect(mailCanGoOut(checks)).toBe(false);
  });

  it('asks to activate the inbound rule set when another one is active', () => {
    const facts = healthy();
    facts.activeRuleSet = { ok: true, value: undefined };

    const inbound = find(diagnose(facts), 'SES inbound rule set');

    expect(inbound.fix).toEqual([
      'aws ses set-active-receipt-rule-set --region eu-west-1 --rule-set-name HeraldInbound',
    ]);
  });
});
