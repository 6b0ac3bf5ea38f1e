import { Duration } from 'aws-cdk-lib';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant } from '../nag.ts';
import type { HeraldFunction } from './herald-function.ts';
import { privateBucketProps } from './storage.ts';

export interface ContentProps {
  /** Local folder uploaded on every deploy (`content/`). */
  sourceDir: string;
  accessLogs: s3.IBucket;
}

/**
 * The source of truth: a private, versioned bucket that `cdk deploy` fills from `content/`.
 * Post uploads and removals reach the publish function through a queue, because S3 events are
 * at-least-once and arrive in bursts; the queue gives retries, a dead-letter queue and an alarm.
 */
export class Content extends Construct {
  readonly bucket: s3.Bucket;
  readonly events: sqs.Queue;
  readonly eventsDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ContentProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...privateBucketProps(props.accessLogs, 'content/'),
      versioned: true,
    });
    this.eventsDeadLetters = new sqs.Queue(this, 'EventsDLQ', {
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.eventsDeadLetters,
      'Serverless::Serverless-SQSRedrivePolicy',
      'This is a dead-letter queue (alarmed when not empty)',
    );
    this.events = new sqs.Queue(this, 'Events', {
      enforceSSL: true,
      // Six times the publish function's timeout, as Lambda's SQS guidance asks.
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: this.eventsDeadLetters, maxReceiveCount: 5 },
    });
    const destination = new s3n.SqsDestination(this.events);
    // Herald's own layout keeps posts under posts/; a Jekyll site keeps them under _posts/.
    for (const prefix of ['posts/', '_posts/']) {
      for (const suffix of ['.md', '.markdown']) {
        this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, { prefix, suffix });
        this.bucket.addEventNotification(s3.EventType.OBJECT_REMOVED, destination, { prefix, suffix });
      }
    }
    // A push that changes only content/ skips cdk deploy: the publish workflow copies the files the
    // same way (infra/scripts/deploy-plan.ts). Keep the two in step: no exclusions, pruned.
    new s3deploy.BucketDeployment(this, 'Upload', {
      sources: [s3deploy.Source.asset(props.sourceDir)],
      destinationBucket: this.bucket,
      // Removing a post from the repository removes it from the bucket, which unpublishes it.
      prune: true,
      memoryLimit: 512,
    });
  }

  /** Lets `publish` read posts and consume the event queue. */
  connectPublisher(publish: HeraldFunction): void {
    this.bucket.grantRead(publish.fn);
    acknowledgeBucketGrant(
      publish,
      this.bucket,
      ['GetObject*', 'GetBucket*', 'List*'],
      'publish reads post sources and the site configuration',
    );
    publish.fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.events, { batchSize: 1, reportBatchItemFailures: true }),
    );
  }
}
