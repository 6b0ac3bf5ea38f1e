import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../functions/core/stack-outputs.ts';
import type { InfraConfig } from './config.ts';
import { Content } from './constructs/content.ts';
import { Delivery } from './constructs/delivery.ts';
import { HeraldFunction } from './constructs/herald-function.ts';
import { Mail } from './constructs/mail.ts';
import { Operations } from './constructs/operations.ts';
import { Site } from './constructs/site.ts';
import { privateBucketProps } from './constructs/storage.ts';
import { Subscribers } from './constructs/subscribers.ts';
import { accountAndRegion, acknowledge, acknowledgeBucketGrant, acknowledgeTableIndexes } from './nag.ts';

export interface HeraldStackProps extends StackProps {
  config: InfraConfig;
  /** The content folder uploaded to the content bucket (`content/`). */
  contentDir: string;
}

/** Herald on AWS: one stack composed of one construct per concern. */
export class HeraldStack extends Stack {
  readonly content: Content;
  readonly site: Site;
  readonly subscribers: Subscribers;
  readonly delivery: Delivery;
  readonly mail: Mail;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: HeraldStackProps) {
    super(scope, id, props);
    const { config } = props;
    const siteUrl = `${config.site.url}${config.site.baseurl}`;

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...privateBucketProps(),
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });

    const mailEnvironment = {
      SITE_URL: siteUrl,
      SITE_TITLE: config.site.title,
      FROM_ADDRESS: config.site.newsletter.fromAddress,
      FROM_NAME: config.site.newsletter.fromName,
      UNSUBSCRIBE_MAILTO: config.unsubscribeAddress,
    };

    this.content = new Content(this, 'Content', { sourceDir: props.contentDir, accessLogs });
    const topics = config.site.newsletter.topics ?? [];
    this.subscribers = new Subscribers(this, 'Subscribers', {
      siteOrigin: config.site.url,
      apiDomain: config.apiDomain,
      // The subscribe form and the preference page validate choices against site.yml's topics.
      environment: { ...mailEnvironment, ...(topics.length > 0 ? { TOPICS: JSON.stringify(topics) } : {}) },
    });
    this.site = new Site(this, 'Site', {
      accessLogs,
      apiHost: this.subscribers.apiOriginHost,
      apiOriginSecret: this.subscribers.originSecret,
      domain: config.siteDomain,
    });
    new s3deploy.BucketDeployment(this, 'Assets', {
      sources: [s3deploy.Source.asset(join(props.contentDir, 'assets'))],
      destinationBucket: this.site.bucket,
      destinationKeyPrefix: 'assets/',
      distribution: this.site.distribution,
      distributionPaths: ['/assets/*'],
      prune: false,
      memoryLimit: 512,
    });

    const subscriberEnv = {
      TABLE_NAME: this.subscribers.table.tableName,
      TOKEN_KEYS_SECRET_ID: this.subscribers.tokenKeys.secretArn,
    };
    const feedback = new HeraldFunction(this, 'feedback', {
      handler: 'feedback',
      description: 'Suppresses subscribers on SES bounces and complaints',
      invocation: 'async',
      environment: { TABLE_NAME: this.subscribers.table.tableName },
    });
    const inboundUnsubscribe = new HeraldFunction(this, 'inboundUnsubscribe', {
      handler: 'inbound-unsubscribe',
      description: 'Unsubscribes the sender of a mail to the mailto: unsubscribe address',
      invocation: 'async',
      environment: { ...mailEnvironment, ...subscriberEnv },
    });
    this.mail = new Mail(this, 'Mail', {
      domain: config.mailDomain,
      mailFromDomain: config.mailFromDomain,
      hostedZone: config.hostedZone,
      unsubscribeAddress: config.unsubscribeAddress,
      dmarc: config.dmarc,
      feedback,
      inboundUnsubscribe,
    });
    // Only the confirm-mailer sends mail; the API functions queue requests for it.
    this.subscribers.confirmMailer.fn.addEnvironment(
      'SES_CONFIGURATION_SET',
      this.mail.configurationSet.configurationSetName,
    );
    this.mail.grantSend(this.subscribers.confirmMailer);

    this.delivery = new Delivery(this, 'Delivery', {
      contentEvents: this.content.events,
      reconcileMinutes: config.reconcileMinutes,
      environment: {
        SUBSCRIBER_TABLE_NAME: this.subscribers.table.tableName,
        TOKEN_KEYS_SECRET_ID: this.subscribers.tokenKeys.secretArn,
        SES_CONFIGURATION_SET: this.mail.configurationSet.configurationSetName,
        SEND_SAFETY_FACTOR: String(config.sesRateSafetyFactor),
      },
    });
    const publish = new HeraldFunction(this, 'publish', {
      handler: 'publish',
      description: 'Renders a new or changed post into the site and feeds, and starts its campaign',
      invocation: 'sqs',
      rendersMjml: true,
      environment: {
        SITE_URL: siteUrl,
        SUBSCRIBER_TABLE_NAME: this.subscribers.table.tableName,
        CONTENT_BUCKET: this.content.bucket.bucketName,
        SITE_BUCKET: this.site.bucket.bucketName,
        STATE_BUCKET: this.site.stateBucket.bucketName,
        CONTENT_QUEUE_ARN: this.content.events.queueArn,
      },
      timeout: Duration.minutes(1),
      memorySize: 1024,
      // Publishes are serialised: the post index is read, changed and written by one worker at a time.
      reservedConcurrentExecutions: 1,
    });
    this.content.connectPublisher(publish);
    this.site.bucket.grantReadWrite(publish.fn);
    this.site.bucket.grantDelete(publish.fn);
    acknowledgeBucketGrant(
      publish,
      this.site.bucket,
      ['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'],
      'publish writes and removes site pages and feeds (and moves legacy state out of the site bucket)',
    );
    this.site.stateBucket.grantReadWrite(publish.fn);
    this.site.stateBucket.grantDelete(publish.fn);
    acknowledgeBucketGrant(
      publish,
      this.site.stateBucket,
      ['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'],
      'publish reads and writes its private post index and fragments',
    );
    this.subscribers.table.grantReadData(publish.fn);
    acknowledgeTableIndexes(publish, this.subscribers.table);
    acknowledge(
      publish,
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:${accountAndRegion(this).region}:${accountAndRegion(this).account}:schedule/${this.delivery.scheduleGroup.scheduleGroupName}/*]`,
      "One-time schedules for future-dated posts, only inside Herald's own schedule group",
    );
    this.delivery.connectPublisher(publish);

    for (const fn of [this.delivery.send, this.delivery.fanout, this.delivery.reconcile]) {
      this.subscribers.table.grantReadData(fn.fn);
      acknowledgeTableIndexes(fn, this.subscribers.table);
    }
    // Only send signs unsubscribe links.
    this.subscribers.tokenKeys.grantRead(this.delivery.send.fn);
    this.mail.grantSend(this.delivery.send);
    this.delivery.send.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ses:GetSendQuota'], resources: ['*'] }),
    );
    this.subscribers.table.grantReadWriteData(feedback.fn);
    this.subscribers.table.grantReadWriteData(inboundUnsubscribe.fn);
    this.subscribers.tokenKeys.grantRead(inboundUnsubscribe.fn);
    acknowledgeTableIndexes(feedback, this.subscribers.table);
    acknowledgeTableIndexes(inboundUnsubscribe, this.subscribers.table);
    this.acknowledgeCdkHelpers();

    this.operations = new Operations(this, 'Operations', {
      alarmEmail: config.alarmEmail,
      functions: [
        ...this.subscribers.functions,
        feedback,
        inboundUnsubscribe,
        publish,
        this.delivery.fanout,
        this.delivery.send,
        this.delivery.reconcile,
      ],
      deadLetterQueues: [
        this.content.eventsDeadLetters,
        this.subscribers.confirmationDeadLetters,
        this.mail.deadLetters,
        ...[feedback, inboundUnsubscribe, this.delivery.reconcile].flatMap((f) =>
          f.deadLetters ? [f.deadLetters] : [],
        ),
        this.delivery.sendDeadLetters,
        this.delivery.fanoutDeadLetters,
      ],
      sendQueue: this.delivery.sendQueue,
      topicReaders: { fn: this.delivery.reconcile, topics },
      logMetrics: [
        { fn: this.subscribers.subscribe, message: 'subscribe accepted', metricName: 'SubscribeAccepted' },
        { fn: this.subscribers.confirm, message: 'subscriber confirmed', metricName: 'SubscriberConfirmed' },
        {
          fn: this.subscribers.unsubscribe,
          message: 'subscriber unsubscribed',
          metricName: 'SubscriberUnsubscribed',
        },
        { fn: publish, message: 'campaign started', metricName: 'CampaignStarted' },
        { fn: this.delivery.send, message: 'campaign halted', metricName: 'CampaignHalted' },
      ],
    });

    const O = STACK_OUTPUTS;
    new CfnOutput(this, O.siteUrl, { value: this.site.origin, description: 'CloudFront URL of the site' });
    new CfnOutput(this, O.publicSiteUrl, { value: siteUrl, description: 'The site URL from site.yml' });
    new CfnOutput(this, O.distributionDomain, {
      value: this.site.distribution.distributionDomainName,
      description: "Point the site's name here (CNAME or Route 53 alias)",
    });
    new CfnOutput(this, O.contentBucket, { value: this.content.bucket.bucketName });
    new CfnOutput(this, O.siteBucket, { value: this.site.bucket.bucketName });
    new CfnOutput(this, O.distributionId, { value: this.site.distribution.distributionId });
    new CfnOutput(this, O.subscribersTable, { value: this.subscribers.table.tableName });
    new CfnOutput(this, O.campaignsTable, { value: this.delivery.table.tableName });
    if (config.apiDomain && this.subscribers.apiDomainName) {
      new CfnOutput(this, 'ApiOriginRecord', {
        value: `${config.apiDomain.name} CNAME ${this.subscribers.apiDomainName.regionalDomainName}`,
        description:
          'Add this record: CloudFront reaches the API at this name (its execute-api endpoint is off)',
      });
    }
  }

  /** Findings on the helper functions CDK itself adds (bucket deployment, bucket notifications). */
  private acknowledgeCdkHelpers(): void {
    for (const child of this.node.children) {
      const id = child.node.id;
      if (id.startsWith('Custom::CDKBucketDeployment')) {
        const why = 'CDK BucketDeployment helper, runs only during cdk deploy';
        for (const finding of [
          'AwsSolutions::AwsSolutions-L1',
          'Serverless::Serverless-LambdaDLQ',
          'Serverless::Serverless-LambdaLatestVersion',
          'Serverless::Serverless-LambdaTracing',
          'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${accountAndRegion(this).account}-${accountAndRegion(this).region}/*]`,
        ]) {
          acknowledge(child, finding, why);
        }
        acknowledgeBucketGrant(
          child,
          this.content.bucket,
          ['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'],
          why,
        );
        acknowledgeBucketGrant(child, this.site.bucket, [], why);
      } else if (id.startsWith('BucketNotificationsHandler')) {
        acknowledge(
          child,
          'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'CDK helper that configures S3 bucket notifications during cdk deploy',
        );
      }
    }
  }
}
