import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import type { HeraldFunction } from '../../infra/constructs/herald-function.ts';
import { Operations } from '../../infra/constructs/operations.ts';

describe('dashboard: readers per topic', () => {
  it('turns the reconciler\'s "topic readers" log lines into a metric per topic and graphs them', () => {
    const stack = new Stack(new App(), 'T');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {}'),
    });
    const reconcile = { fn, logGroup } as unknown as HeraldFunction;

    new Operations(stack, 'Ops', {
      functions: [],
      deadLetterQueues: [],
      sendQueue: new sqs.Queue(stack, 'Send'),
      logMetrics: [],
      topicReaders: {
        fn: reconcile,
        topics: [
          { id: 'berlin', name: 'Berlin' },
          { id: 'lisbon', name: 'Lisbon' },
        ],
      },
    });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "topic readers" }',
      MetricTransformations: [
        {
          MetricName: 'TopicReaders',
          MetricNamespace: 'Herald',
          MetricValue: '$.readers',
          Dimensions: [{ Key: 'Topic', Value: '$.topic' }],
        },
      ],
    });
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0],
    ).replace(/\\/g, '');
    expect(body).toContain('Confirmed readers per topic');
    for (const topic of ['*', 'berlin', 'lisbon']) expect(body).toContain(`"Topic","${topic}"`);
  });
});
