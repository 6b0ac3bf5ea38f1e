import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../functions/core/stack-outputs.ts';
import { Mail, type MailProps } from '../../infra/constructs/mail.ts';

function mailTemplate(props: Pick<MailProps, 'hostedZone' | 'dmarc'>): Template {
  const app = new App();
  const stack = new Stack(app, 'MailTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  // Plain functions: their code is not what these tests assert, and bundling Herald's takes seconds.
  const fn = (id: string, handler: string) => ({
    fn: new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: `${handler}.handler`,
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    }),
  });
  new Mail(stack, 'Mail', {
    domain: 'recaps.example.org',
    mailFromDomain: 'mail.recaps.example.org',
    unsubscribeAddress: 'unsubscribe@recaps.example.org',
    feedback: fn('feedback', 'feedback'),
    inboundUnsubscribe: fn('inboundUnsubscribe', 'inbound-unsubscribe'),
    ...props,
  });
  return Template.fromStack(stack);
}

const dmarc = { policy: 'none', reportAddress: 'dmarc-reports@recaps.example.org' } as const;
const hostedZone = { id: 'Z0123456789ABC', name: 'example.org' };
let templates: Record<'zoned' | 'quarantine' | 'printed' | 'zonedOff' | 'printedOff', Template>;

// Synthesising loads most of aws-cdk-lib the first time (tens of seconds on a busy machine).
beforeAll(() => {
  templates = {
    zoned: mailTemplate({ hostedZone, dmarc }),
    quarantine: mailTemplate({
      hostedZone,
      dmarc: { policy: 'quarantine', reportAddress: 'reports@dmarc.example.net' },
    }),
    printed: mailTemplate({ dmarc }),
    zonedOff: mailTemplate({ hostedZone }),
    printedOff: mailTemplate({}),
  };
}, 180_000);

describe('Mail DNS records', () => {
  it('creates the _dmarc TXT record in the hosted zone', () => {
    const template = templates.zoned;

    template.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789ABC',
      Name: '_dmarc.recaps.example.org.',
      Type: 'TXT',
      ResourceRecords: ['"v=DMARC1; p=none; rua=mailto:dmarc-reports@recaps.example.org"'],
    });
    expect(Object.keys(template.findOutputs(STACK_OUTPUTS.dmarcRecord))).toEqual([]);
  });

  it('uses the configured policy and report address', () => {
    templates.quarantine.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: '_dmarc.recaps.example.org.',
      ResourceRecords: ['"v=DMARC1; p=quarantine; rua=mailto:reports@dmarc.example.net"'],
    });
  });

  it('prints the DMARC record and the other records as outputs without a hosted zone', () => {
    const template = templates.printed;

    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.hasOutput(STACK_OUTPUTS.dmarcRecord, {
      Value: '_dmarc.recaps.example.org TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@recaps.example.org"',
    });
    template.hasOutput(STACK_OUTPUTS.mailFromMx, {
      Value: 'mail.recaps.example.org MX 10 feedback-smtp.eu-west-1.amazonses.com',
    });
    template.hasOutput(STACK_OUTPUTS.mailFromSpf, {
      Value: 'mail.recaps.example.org TXT "v=spf1 include:amazonses.com ~all"',
    });
    for (const n of [1, 2, 3]) {
      template.hasOutput(`${STACK_OUTPUTS.dkimRecordPrefix}${n}`, { Value: Match.anyValue() });
    }
  });

  it('neither creates nor prints a DMARC record when the user publishes their own', () => {
    expect(JSON.stringify(templates.zonedOff.findResources('AWS::Route53::RecordSet'))).not.toContain(
      '_dmarc',
    );
    expect(Object.keys(templates.printedOff.findOutputs(STACK_OUTPUTS.dmarcRecord))).toEqual([]);
  });

  it('names the outputs herald doctor reads without a construct hash', () => {
    const template = templates.printed;

    template.hasOutput(STACK_OUTPUTS.mailDomain, { Value: 'recaps.example.org' });
    template.hasOutput(STACK_OUTPUTS.mailFromDomain, { Value: 'mail.recaps.example.org' });
    template.hasOutput(STACK_OUTPUTS.unsubscribeAddress, { Value: 'unsubscribe@recaps.example.org' });
    template.hasOutput(STACK_OUTPUTS.configurationSet, {
      Value: Match.objectLike({ Ref: Match.anyValue() }),
    });
    template.hasOutput(STACK_OUTPUTS.inboundMx, {
      Value: 'recaps.example.org MX 10 inbound-smtp.eu-west-1.amazonaws.com',
    });
  });
});
