import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeActiveReceiptRuleSetCommand, SESClient } from '@aws-sdk/client-ses';
import {
  GetAccountCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  GetEmailIdentityCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DnsResolver } from '../../functions/adapters/dns-lookup.ts';
import { runDoctorCommand } from '../../functions/cli/doctor.ts';
import { createProgram } from '../../functions/cli/program.ts';
import { captureIo } from '../helpers/cli-io.ts';

const DISTRIBUTION = 'd111111abcdef8.cloudfront.net';
const TOKENS = ['tok1', 'tok2', 'tok3'];

const cloudformation = mockClient(CloudFormationClient);
const sesv2 = mockClient(SESv2Client);
const ses = mockClient(SESClient);
const dynamodb = mockClient(DynamoDBClient);

/** A DNS zone in memory, answering like node:dns (ENOTFOUND for names it does not hold). */
function zone(records: {
  cname?: Record<string, string[]>;
  mx?: Record<string, { exchange: string; priority: number }[]>;
  txt?: Record<string, string[][]>;
  a?: Record<string, string[]>;
}): DnsResolver & { asked: string[] } {
  const asked: string[] = [];
  const lookup = <T>(table: Record<string, T> | undefined, name: string): Promise<T> => {
    asked.push(name);
    const found = table?.[name];
    if (found) return Promise.resolve(found);
    return Promise.reject(Object.assign(new Error(`queryX ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
  };
  return {
    asked,
    resolveCname: (name) => lookup(records.cname, name),
    resolveMx: (name) => lookup(records.mx, name),
    resolveTxt: (name) => lookup(records.txt, name),
    resolve4: (name) => lookup(records.a, name),
  };
}

function readyZone(): Parameters<typeof zone>[0] {
  return {
    cname: {
      ...Object.fromEntries(
        TOKENS.map((t) => [`${t}._domainkey.recaps.example.org`, [`${t}.dkim.amazonses.com`]]),
      ),
      'recaps.example.org': [DISTRIBUTION],
    },
    mx: {
      'mail.recaps.example.org': [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }],
      'recaps.example.org': [{ exchange: 'inbound-smtp.eu-west-1.amazonaws.com', priority: 10 }],
    },
    txt: {
      'mail.recaps.example.org': [['v=spf1 include:amazonses.com ~all']],
      '_dmarc.recaps.example.org': [['v=DMARC1; p=none; ', 'rua=mailto:dmarc-reports@recaps.example.org']],
    },
    a: { [DISTRIBUTION]: ['18.66.1.1'] },
  };
}

function deployed(options: { production: boolean; dkimStatus: string }) {
  cloudformation.on(DescribeStacksCommand, { StackName: 'Herald' }).resolves({
    Stacks: [
      {
        StackName: 'Herald',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date('2026-11-30T10:00:00Z'),
        Outputs: Object.entries({
          MailDomain: 'recaps.example.org',
          MailFromDomain: 'mail.recaps.example.org',
          ConfigurationSet: 'HeraldMailConfigurationSet',
          SubscribersTable: 'Herald-Subscribers',
          ContentBucket: 'herald-content',
          PublicSiteUrl: 'https://recaps.example.org',
          DistributionDomain: DISTRIBUTION,
          UnsubscribeAddress: 'unsubscribe@recaps.example.org',
          InboundRuleSet: 'HeraldInbound',
        }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  sesv2.on(GetAccountCommand).resolves({
    ProductionAccessEnabled: options.production,
    SendingEnabled: true,
    EnforcementStatus: 'HEALTHY',
    SendQuota: options.production
      ? { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 }
      : { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
  });
  const verified = options.dkimStatus === 'SUCCESS';
  sesv2.on(GetEmailIdentityCommand, { EmailIdentity: 'recaps.example.org' }).resolves({
    IdentityType: 'DOMAIN',
    VerifiedForSendingStatus: verified,
    VerificationStatus: verified ? 'SUCCESS' : 'PENDING',
    DkimAttributes: { SigningEnabled: true, Status: options.dkimStatus as 'SUCCESS', Tokens: TOKENS },
    MailFromAttributes: {
      MailFromDomain: 'mail.recaps.example.org',
      MailFromDomainStatus: 'SUCCESS',
      BehaviorOnMxFailure: 'REJECT_MESSAGE',
    },
  });
  sesv2.on(GetConfigurationSetCommand).resolves({
    ConfigurationSetName: 'HeraldMailConfigurationSet',
    SendingOptions: { SendingEnabled: true },
  });
  sesv2.on(GetConfigurationSetEventDestinationsCommand).resolves({
    EventDestinations: [
      {
        Name: 'ToFeedback',
        Enabled: true,
        MatchingEventTypes: ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY'],
        SnsDestination: { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:events' },
      },
    ],
  });
  ses.on(DescribeActiveReceiptRuleSetCommand).resolves({ Metadata: { Name: 'HeraldInbound' } });
  dynamodb
    .on(QueryCommand)
    .resolvesOnce({ Count: 700, LastEvaluatedKey: { pk: { S: 'ADDRESS#a' } } })
    .resolvesOnce({ Count: 500 });
}

async function doctor(resolver: DnsResolver, options: { region?: string } = { region: 'eu-west-1' }) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runDoctorCommand(
    { stack: 'Herald', ...options },
    { out: (l) => lines.push(l), err: (l) => errors.push(l) },
    { resolver },
  );
  return { code, out: lines.join('\n'), err: errors.join('\n') };
}

beforeEach(() => {
  for (const mock of [cloudformation, sesv2, ses, dynamodb]) mock.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('herald doctor', () => {
  it('passes a ready deployment and exits 0', async () => {
    deployed({ production: true, dkimStatus: 'SUCCESS' });

    const result = await doctor(zone(readyZone()));

    expect(result.out).not.toContain('✗');
    expect(result.out).toContain(
      '✓ Send quota vs subscribers: 1,200 confirmed subscribers fit in the daily quota (50,000 a day, 14 a second); at 14/s a post takes about 2 min.',
    );
    expect(result.out).toContain('✓ DNS: DKIM CNAMEs for recaps.example.org: all 3 point to SES.');
    expect(result.out.split('\n').at(-1)).toBe('All good: mail can go out.');
    expect(result.code).toBe(0);
  });

  it('counts confirmed subscribers on the sparse index without reading them, page by page', async () => {
    deployed({ production: true, dkimStatus: 'SUCCESS' });

    await doctor(zone(readyZone()));
    const queries = dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input);

    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatchObject({
      TableName: 'Herald-Subscribers',
      IndexName: 'confirmed',
      Select: 'COUNT',
      ExpressionAttributeValues: { ':confirmed': { S: 'CONFIRMED' } },
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ pk: { S: 'ADDRESS#a' } });
  });

  it('exits 1 in the sandbox with a missing DKIM record, printing each fix', async () => {
    deployed({ production: false, dkimStatus: 'PENDING' });
    const records = readyZone();
    delete records.cname?.['tok2._domainkey.recaps.example.org'];

    const result = await doctor(zone(records));

    expect(result.out).toContain('✗ SES production access: not granted');
    expect(result.out).toContain(
      '✗ DNS: tok2._domainkey.recaps.example.org: is not there (no record), not SES: receivers cannot verify the DKIM signature.\n' +
        '    fix: Add: tok2._domainkey.recaps.example.org CNAME tok2.dkim.amazonses.com',
    );
    expect(result.out).toContain('✗ DKIM (SES): PENDING');
    expect(result.out).toContain(
      '✗ Send quota vs subscribers: 1,200 confirmed subscribers exceed the daily quota of 200',
    );
    expect(result.out.split('\n').at(-1)).toBe('Mail cannot go out: 4 blocking problems and 1 more to fix.');
    expect(result.code).toBe(1);
  });

  it('finds DMARC at the organisational domain and reports the missing one otherwise', async () => {
    deployed({ production: true, dkimStatus: 'SUCCESS' });
    const records = readyZone();
    delete records.txt?.['_dmarc.recaps.example.org'];
    const resolver = zone(records);

    const result = await doctor(resolver);

    expect(resolver.asked).toEqual(
      expect.arrayContaining(['_dmarc.recaps.example.org', '_dmarc.example.org']),
    );
    expect(resolver.asked).not.toContain('_dmarc.org');
    expect(result.out).toContain(
      '✗ DNS: DMARC _dmarc.recaps.example.org: no DMARC record: Gmail and Yahoo reject or spam bulk mail without one (required since February 2024).\n' +
        '    fix: Add: _dmarc.recaps.example.org TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@recaps.example.org"',
    );
    expect(result.out.split('\n').at(-1)).toBe(
      'Mail can go out, but 1 problem hurt delivery or unsubscribes.',
    );
    expect(result.code).toBe(0);
  });

  it('says to deploy when the stack is not in the region', async () => {
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Herald does not exist'), { name: 'ValidationError' }));
    sesv2.on(GetAccountCommand).resolves({
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
    });
    ses.on(DescribeActiveReceiptRuleSetCommand).resolves({});

    const result = await doctor(zone({}));

    expect(result.out).toContain(
      '✗ Stack Herald in eu-west-1: is not deployed in this account and region, so nothing can publish or send.\n    fix: npx cdk deploy',
    );
    expect(sesv2.commandCalls(GetEmailIdentityCommand)).toHaveLength(0);
    expect(result.code).toBe(1);
  });

  it('names what to pass when no region is configured', async () => {
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/herald-doctor-config');

    const result = await doctor(zone({}), {});

    expect(result.err).toBe(
      'herald doctor: no AWS region: pass --region REGION or set AWS_REGION (the region you deployed to)',
    );
    expect(result.code).toBe(1);
  });

  it('is a command of the herald program', async () => {
    const { io, cli } = captureIo();
    const program = createProgram(cli);

    const doctorCommand = program.commands.find((c) => c.name() === 'doctor');

    expect(doctorCommand?.options.map((o) => o.long)).toEqual(['--stack', '--region']);
    expect(io.err).toBe('');
  });
});
