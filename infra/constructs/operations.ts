import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import type { HeraldFunction } from './herald-function.ts';

export interface OperationsProps {
  alarmEmail?: string;
  functions: HeraldFunction[];
  deadLetterQueues: sqs.IQueue[];
  /** The queue whose oldest message tells a campaign is stuck. */
  sendQueue: sqs.IQueue;
  /**
   * Counters read from the functions' structured logs (message text → metric), so the dashboard
   * and alarms need no extra calls in the handlers.
   */
  logMetrics: { fn: HeraldFunction; message: string; metricName: string }[];
  /** The function that logs `topic readers` `{ topic, readers }` on a schedule, and the topic ids. */
  topicReaders?: { fn: HeraldFunction; topics: { id: string; name: string }[] };
}

/** Herald's own metrics namespace (from log metric filters). */
export const METRIC_NAMESPACE = 'Herald';

/** SES reputation thresholds AWS reviews accounts at (bounce 5%, complaint 0.1%), with margin. */
export const BOUNCE_RATE_ALARM = 0.04;
export const COMPLAINT_RATE_ALARM = 0.0008;

/**
 * Operations: alarms to one SNS topic (optionally e-mailed) and a dashboard of subscribers,
 * campaigns and sends.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { enforceSSL: true, displayName: 'Herald alarms' });
    if (props.alarmEmail) {
      const email = this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
      acknowledge(
        email,
        'Serverless::Serverless-SNSRedrivePolicy',
        'E-mail delivery of alarms is retried by SNS; the alarm state itself stays in CloudWatch',
      );
    }
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (alarmId: string, a: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, a);
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    props.deadLetterQueues.forEach((dlq, i) => {
      alarm(`DeadLetters${i}`, {
        alarmDescription: 'Messages gave up after retries and wait in a dead-letter queue',
        metric: dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    });
    for (const fn of props.functions) {
      alarm(`${fn.node.id}Errors`, {
        alarmDescription: `The ${fn.node.id} function failed`,
        metric: fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    const bounceRate = new cloudwatch.Metric({
      namespace: 'AWS/SES',
      metricName: 'Reputation.BounceRate',
      period: Duration.hours(1),
      statistic: 'Maximum',
    });
    const complaintRate = new cloudwatch.Metric({
      namespace: 'AWS/SES',
      metricName: 'Reputation.ComplaintRate',
      period: Duration.hours(1),
      statistic: 'Maximum',
    });
    alarm('BounceRate', {
      alarmDescription: 'SES bounce rate over 4% (AWS reviews accounts at 5%)',
      metric: bounceRate,
      threshold: BOUNCE_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ComplaintRate', {
      alarmDescription: 'SES complaint rate over 0.08% (AWS reviews accounts at 0.1%)',
      metric: complaintRate,
      threshold: COMPLAINT_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const oldestSend = props.sendQueue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    alarm('CampaignStuck', {
      alarmDescription: 'A send message has waited over an hour: a campaign is stuck or paused',
      metric: oldestSend,
      threshold: 3600,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const { fn, message, metricName } of props.logMetrics) {
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup: fn.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', message),
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        metricValue: '1',
      });
    }
    const herald = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        period: Duration.minutes(5),
        statistic: 'Sum',
      });
    const ses = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        period: Duration.minutes(5),
        statistic: 'Sum',
      });
    alarm('CampaignHalted', {
      alarmDescription:
        'SES refused to send for the account (sending paused or account suspended): a campaign halted',
      metric: herald('CampaignHalted'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const topicWidgets: cloudwatch.IWidget[][] = [];
    if (props.topicReaders && props.topicReaders.topics.length > 0) {
      new logs.MetricFilter(this, 'TopicReadersFilter', {
        logGroup: props.topicReaders.fn.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'topic readers'),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'TopicReaders',
        metricValue: '$.readers',
        dimensions: { Topic: '$.topic' },
      });
      const readers = (topic: string, label: string) =>
        new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: 'TopicReaders',
          dimensionsMap: { Topic: topic },
          label,
          period: Duration.minutes(15),
          statistic: 'Maximum',
        });
      topicWidgets.push([
        new cloudwatch.GraphWidget({
          title: 'Confirmed readers per topic',
          left: [readers('*', 'everything'), ...props.topicReaders.topics.map((t) => readers(t.id, t.name))],
          width: 24,
        }),
      ]);
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Subscribers',
            left: [
              herald('SubscribeAccepted'),
              herald('SubscriberConfirmed'),
              herald('SubscriberUnsubscribed'),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Campaigns',
            left: [herald('CampaignStarted'), herald('CampaignHalted')],
            right: [ses('Send'), ses('Delivery'), ses('Bounce'), ses('Complaint'), ses('Reject')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Send queue',
            left: [props.sendQueue.metricApproximateNumberOfMessagesVisible(), oldestSend],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'SES reputation',
            left: [bounceRate, complaintRate],
            width: 12,
          }),
        ],
        ...topicWidgets,
      ],
    });
  }
}
