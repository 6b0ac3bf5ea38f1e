import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as actions from 'aws-cdk-lib/aws-ses-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import type { HeraldFunction } from './herald-function.ts';

export interface MailProps {
  domain: string;
  mailFromDomain: string;
  hostedZone?: { id: string; name: string };
  unsubscribeAddress: string;
  /** Handles SES bounce / complaint / reject / delay events. */
  feedback: HeraldFunction;
  /** Handles mail to the `mailto:` unsubscribe address. */
  inboundUnsubscribe: HeraldFunction;
}

/**
 * Mail: the SES domain identity (Easy DKIM 2048-bit, custom MAIL FROM), a configuration set whose
 * events feed the feedback handler, and an inbound rule for the `mailto:` unsubscribe address.
 * Without a hosted zone the DNS records are printed as stack outputs to add by hand.
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

    if (!zone) {
      const region = Stack.of(this).region;
      const records = this.identity.dkimRecords.map((r, i) => ({ key: `DkimRecord${i + 1}`, r }));
      for (const { key, r } of records) {
        new CfnOutput(this, key, { value: `${r.name} CNAME ${r.value}`, description: 'Add to DNS (DKIM)' });
      }
      new CfnOutput(this, 'MailFromMx', {
        value: `${props.mailFromDomain} MX 10 feedback-smtp.${region}.amazonses.com`,
        description: 'Add to DNS (custom MAIL FROM)',
      });
      new CfnOutput(this, 'MailFromSpf', {
        value: `${props.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
        description: 'Add to DNS (custom MAIL FROM SPF)',
      });
      new CfnOutput(this, 'InboundMx', {
        value: `${props.unsubscribeAddress.split('@')[1]} MX 10 inbound-smtp.${region}.amazonaws.com`,
        description: 'Add to DNS so SES receives mailto: unsubscribe requests',
      });
    }
    new CfnOutput(this, 'InboundRuleSet', {
      value: ruleSet.receiptRuleSetName,
      description: 'Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    });
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
