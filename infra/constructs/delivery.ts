import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SEND_CONCURRENCY } from '../../functions/core/pacing.ts';
import { acknowledge } from '../nag.ts';
import { HeraldFunction } from './herald-function.ts';

export interface DeliveryProps {
  /**
   * Environment of the delivery functions (subscriber table, token keys, SES settings): `send` gets
   * all of it, fan-out and reconcile all but the send-only keys.
   */
  environment: Record<string, string>;
  /** Queue of content events; scheduled publishes are delivered to it at the post's date. */
  contentEvents: sqs.IQueue;
  /** Most send workers at once. The shared rate window keeps the total rate exact regardless. */
  maxSendConcurrency?: number;
  /** Reconciler interval and staleness in minutes (CDK context `herald:reconcileMinutes`). Default 15. */
  reconcileMinutes?: number;
}

/** Send function timeout; the send queue's visibility timeout is six times this. */
export const SEND_TIMEOUT = Duration.seconds(60);
/** Fan-out function timeout; it continues itself through its queue before running out. */
export const FANOUT_TIMEOUT = Duration.minutes(5);

/**
 * Keys of the shared delivery environment only the send workers use: fan-out and reconcile never
 * send mail, so they get no token keys, SES settings or pacing knobs (and their handlers do not
 * ask for them; see `functions/handlers/delivery-config.ts`).
 */
const SEND_ONLY_ENVIRONMENT = [
  'TOKEN_KEYS_SECRET_ID',
  'TOKEN_KEYS_FILE',
  'SES_CONFIGURATION_SET',
  'SEND_RATE_SHARE',
  'SEND_SAFETY_FACTOR',
];

/**
 * Delivery: the campaign ledger table (which also holds rendered emails, in parts when they are
 * too large for one item), the fan-out and send queues with dead-letter queues, the paced send
 * workers, a reconciler on a schedule, and the EventBridge Scheduler group for future-dated posts.
 */
export class Delivery extends Construct {
  readonly table: dynamodb.TableV2;
  readonly sendQueue: sqs.Queue;
  readonly sendDeadLetters: sqs.Queue;
  readonly fanoutQueue: sqs.Queue;
  readonly fanoutDeadLetters: sqs.Queue;
  readonly fanout: HeraldFunction;
  readonly send: HeraldFunction;
  readonly reconcile: HeraldFunction;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  /** Environment for any function that starts campaigns. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Campaigns', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: 'expiresAt',
    });

    const queue = (name: string, visibilityTimeout: Duration, maxReceiveCount: number) => {
      const deadLetters = new sqs.Queue(this, `${name}DLQ`, {
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(
        deadLetters,
        'Serverless::Serverless-SQSRedrivePolicy',
        'This is a dead-letter queue (alarmed when not empty)',
      );
      const main = new sqs.Queue(this, `${name}Queue`, {
        enforceSSL: true,
        visibilityTimeout,
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount },
      });
      return [main, deadLetters] as const;
    };
    // Six times the function timeout, as Lambda's SQS guidance asks, so a slow batch is not redelivered.
    [this.sendQueue, this.sendDeadLetters] = queue(
      'Send',
      Duration.seconds(SEND_TIMEOUT.toSeconds() * 6),
      10,
    );
    [this.fanoutQueue, this.fanoutDeadLetters] = queue(
      'Fanout',
      Duration.seconds(FANOUT_TIMEOUT.toSeconds() * 6),
      5,
    );

    this.environment = {
      CAMPAIGN_TABLE_NAME: this.table.tableName,
      DELIVERY_QUEUE_URL: this.sendQueue.queueUrl,
      FANOUT_QUEUE_URL: this.fanoutQueue.queueUrl,
    };
    const environment = { ...props.environment, ...this.environment };
    const planningEnvironment = Object.fromEntries(
      Object.entries(environment).filter(([key]) => !SEND_ONLY_ENVIRONMENT.includes(key)),
    );

    this.fanout = new HeraldFunction(this, 'fanout', {
      handler: 'fanout',
      description: 'Pages through confirmed subscribers and enqueues send batches',
      invocation: 'sqs',
      environment: planningEnvironment,
      timeout: FANOUT_TIMEOUT,
      memorySize: 512,
    });
    this.fanout.fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.fanoutQueue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    const concurrency = props.maxSendConcurrency ?? SEND_CONCURRENCY.lambdas;
    this.send = new HeraldFunction(this, 'send', {
      handler: 'send',
      description: 'Personalises and sends one batch through SES, paced to the account rate',
      invocation: 'sqs',
      environment,
      timeout: SEND_TIMEOUT,
      memorySize: 512,
      reservedConcurrentExecutions: concurrency,
    });
    this.send.fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.sendQueue, {
        batchSize: SEND_CONCURRENCY.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: concurrency,
      }),
    );
    const reconcileMinutes = props.reconcileMinutes ?? 15;
    this.reconcile = new HeraldFunction(this, 'reconcile', {
      handler: 'reconcile',
      description: 'Re-enqueues recipients still without a terminal state',
      invocation: 'async',
      environment: planningEnvironment,
      timeout: Duration.minutes(5),
    });
    new events.Rule(this, 'ReconcileSchedule', {
      description: 'Sweep running campaigns for recipients without a terminal state',
      schedule: events.Schedule.rate(Duration.minutes(reconcileMinutes)),
      targets: [
        new targets.LambdaFunction(this.reconcile.fn, {
          // A recipient is stale after one interval: it waits at most two for the reconciler.
          event: events.RuleTargetInput.fromObject({ staleAfterMinutes: reconcileMinutes }),
          deadLetterQueue: this.reconcile.deadLetters,
          retryAttempts: 2,
        }),
      ],
    });

    for (const fn of [this.fanout, this.send, this.reconcile]) this.table.grantReadWriteData(fn.fn);
    for (const fn of [this.fanout, this.reconcile]) {
      this.sendQueue.grantSendMessages(fn.fn);
      this.fanoutQueue.grantSendMessages(fn.fn);
    }
    // Throttled or paused sends go back on the queue with a delay.
    this.sendQueue.grantSendMessages(this.send.fn);

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {});
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler deliver a future-dated post to the content queue at its date',
    });
    props.contentEvents.grantSendMessages(this.schedulerRole);
  }

  /** Lets `publish` start campaigns (campaign table + fan-out queue) and schedule future posts. */
  connectPublisher(publish: HeraldFunction): void {
    this.table.grantReadWriteData(publish.fn);
    this.fanoutQueue.grantSendMessages(publish.fn);
    for (const [key, value] of Object.entries(this.environment)) publish.fn.addEnvironment(key, value);
    publish.fn.addEnvironment('SCHEDULE_GROUP', this.scheduleGroup.scheduleGroupName);
    publish.fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    publish.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'scheduler:CreateSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
          'scheduler:GetSchedule',
        ],
        resources: [
          Stack.of(this).formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: `${this.scheduleGroup.scheduleGroupName}/*`,
          }),
        ],
      }),
    );
    publish.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.schedulerRole.roleArn] }),
    );
  }
}
