import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as actions from 'aws-cdk-lib/aws-ses-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type DmarcPolicy, formatDnsRecord, sesRecords } from '../../functions/core/mail-dns.ts';
import { STACK_OUTPUTS } from '../../functions/core/stack-outputs.ts';
import { acknowledge } from '../nag.ts';
import type { HeraldFunction } from './herald-function.ts';

export interface MailProps {
  domain: string;
  mailFromDomain: string;
  hostedZone?: { id: string; name: string };
  unsubscribeAddress: string;
  /** The `_dmarc` record to create (with a hosted zone) or print; omit when you publish your own. */
  dmarc?: { policy: DmarcPolicy; reportAddress: string };
  /** Handles SES bounce / complaint / reject / delay events. */
  feedback: { readonly fn: lambda.IFunction };
  /** Handles mail to the `mailto:` unsubscribe address. */
  inboundUnsubscribe: { readonly fn: lambda.IFunction };
}

/**
 * Mail: the SES domain identity (Easy DKIM 2048-bit, custom MAIL FROM), a configuration set whose
 * events feed the feedback handler, an inbound rule for the `mailto:` unsubscribe address, and a
 * DMARC record (Gmail and Yahoo require one from bulk senders). Without a hosted zone the DNS
 * records are printed as stack outputs to add by hand. `herald doctor` reads the outputs.
 */
export class Mail extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly events: sns.Topic;
  /** SES events SNS could not hand to the feedback function. */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    const zone = props.hostedZone
      ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: props.hostedZone.id,
          zoneName: props.hostedZone.name,
        })
      : undefined;
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: zone ? ses.Identity.publicHostedZone(zone) : ses.Identity.domain(props.domain),
      dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain: props.mailFromDomain,
      mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.REJECT_MESSAGE,
      configurationSet: this.configurationSet,
      feedbackForwarding: false,
    });

    this.events = new sns.Topic(this, 'Events', { enforceSSL: true, displayName: 'Herald SES events' });
    this.configurationSet.addEventDestination('ToFeedback', {
      destination: ses.EventDestination.snsTopic(this.events),
      events: [
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    const undelivered = new sqs.Queue(this, 'EventsDLQ', {
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      undelivered,
      'Serverless::Serverless-SQSRedrivePolicy',
      'This is a dead-letter queue (alarmed when not empty)',
    );
    acknowledge(
      undelivered,
      'AwsSolutions::AwsSolutions-SQS3',
      'This is the dead-letter queue of the SES events subscription',
    );
    this.deadLetters = undelivered;
    this.events.addSubscription(
      new subs.LambdaSubscription(props.feedback.fn, { deadLetterQueue: undelivered }),
    );

    const ruleSet = new ses.ReceiptRuleSet(this, 'Inbound', {
      rules: [
        {
          recipients: [props.unsubscribeAddress],
          scanEnabled: true,
          tlsPolicy: ses.TlsPolicy.REQUIRE,
          actions: [new actions.Lambda({ function: props.inboundUnsubscribe.fn })],
        },
      ],
    });

    const region = Stack.of(this).region;
    const unsubscribeDomain = props.unsubscribeAddress.split('@')[1] ?? props.domain;
    const dmarc = props.dmarc ? sesRecords.dmarc(props.domain, props.dmarc) : undefined;
    if (zone && dmarc) {
      new route53.TxtRecord(this, 'Dmarc', { zone, recordName: dmarc.name, values: [dmarc.value] });
    }
    const O = STACK_OUTPUTS;
    if (!zone) {
      this.identity.dkimRecords.forEach((r, i) => {
        this.output(`${O.dkimRecordPrefix}${i + 1}`, `${r.name} CNAME ${r.value}`, 'Add to DNS (DKIM)');
      });
      this.output(
        O.mailFromMx,
        formatDnsRecord(sesRecords.mailFromMx(props.mailFromDomain, region)),
        'Add to DNS (custom MAIL FROM)',
      );
      this.output(
        O.mailFromSpf,
        formatDnsRecord(sesRecords.mailFromSpf(props.mailFromDomain)),
        'Add to DNS (custom MAIL FROM SPF)',
      );
      if (dmarc) {
        this.output(
          O.dmarcRecord,
          formatDnsRecord(dmarc),
          'Add to DNS (DMARC; Gmail and Yahoo require it from bulk senders)',
        );
      }
    }
    // Never created in the hosted zone: the unsubscribe domain may already receive other mail.
    this.output(
      O.inboundMx,
      formatDnsRecord(sesRecords.inboundMx(unsubscribeDomain, region)),
      'Add to DNS so SES receives mailto: unsubscribe requests',
    );
    this.output(
      O.inboundRuleSet,
      ruleSet.receiptRuleSetName,
      'Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    );
    this.output(O.mailDomain, props.domain, 'SES domain identity');
    this.output(O.mailFromDomain, props.mailFromDomain, 'SES custom MAIL FROM domain');
    this.output(O.configurationSet, this.configurationSet.configurationSetName, 'SES configuration set');
    this.output(O.unsubscribeAddress, props.unsubscribeAddress, 'mailto: unsubscribe address');
  }

  /** A stack output under a stable key (no construct-path hash), as `herald doctor` reads it. */
  private output(key: string, value: string, description: string): void {
    new CfnOutput(this, `Output${key}`, { value, description }).overrideLogicalId(key);
  }

  /**
   * Lets a function send through this identity and configuration set. CDK's grantSendEmail names
   * only the identity, but SES also authorises the configuration set on every send.
   */
  grantSend(fn: HeraldFunction): void {
    const stack = Stack.of(this);
    fn.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [
          this.identity.emailIdentityArn,
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
          }),
        ],
      }),
    );
  }
}
