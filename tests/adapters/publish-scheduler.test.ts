import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  atExpression,
  createEventBridgeScheduler,
  createTimerScheduler,
  scheduleName,
} from '../../functions/adapters/publish-scheduler.ts';

const AT = new Date('2026-03-25T18:30:00Z');
const KEY = 'posts/2026-03-25-spring.md';
const INPUT = JSON.stringify({ herald: 'scheduled-publish', key: KEY });

function scheduler() {
  const mock = mockClient(SchedulerClient);
  const s = createEventBridgeScheduler({
    client: new SchedulerClient({ region: 'eu-central-1' }),
    groupName: 'herald',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler',
    queueArn: 'arn:aws:sqs:eu-central-1:123456789012:content',
  });
  return { mock, s };
}

describe('scheduleName', () => {
  it('is a valid EventBridge name, stable per post id and distinct for ids that read alike', () => {
    const a = scheduleName('2026-03-25-spring/über');
    const b = scheduleName('2026-03-25-spring/uber');

    expect(a).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(a).toBe(scheduleName('2026-03-25-spring/über'));
    expect(a).not.toBe(b);
    expect(scheduleName('x'.repeat(500)).length).toBeLessThanOrEqual(64);
  });
});

describe('createEventBridgeScheduler', () => {
  it('creates a one-time UTC schedule that sends the key to the content queue and deletes itself', async () => {
    const { mock, s } = scheduler();
    mock.on(CreateScheduleCommand).resolves({});

    const result = await s.schedule({ name: 'post-spring', at: AT, key: KEY });

    expect(result).toBe('created');
    expect(mock.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toMatchObject({
      Name: 'post-spring',
      GroupName: 'herald',
      ScheduleExpression: 'at(2026-03-25T18:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:sqs:eu-central-1:123456789012:content',
        RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
        Input: INPUT,
      },
    });
  });

  it('leaves an identical existing schedule alone and replaces one with another date', async () => {
    const { mock, s } = scheduler();
    // Both schedule() calls find the schedule there; the re-create after the delete succeeds.
    let creates = 0;
    mock.on(CreateScheduleCommand).callsFake(() => {
      creates += 1;
      if (creates <= 2) throw new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} });
      return {};
    });
    mock
      .on(GetScheduleCommand)
      .resolves({ ScheduleExpression: atExpression(AT), Target: { Arn: 'q', RoleArn: 'r', Input: INPUT } });
    mock.on(DeleteScheduleCommand).resolves({});

    const same = await s.schedule({ name: 'post-spring', at: AT, key: KEY });
    const moved = await s.schedule({ name: 'post-spring', at: new Date('2026-03-26T18:30:00Z'), key: KEY });

    expect([same, moved]).toEqual(['unchanged', 'replaced']);
    expect(mock.commandCalls(DeleteScheduleCommand)).toHaveLength(1);
  });
});

describe('createTimerScheduler', () => {
  it('delivers a due schedule once, keeps one per name, and retries a failed delivery', async () => {
    let now = new Date('2026-03-25T00:00:00Z');
    const delivered: string[] = [];
    let fail = true;
    const timer = createTimerScheduler({
      timers: false,
      now: () => now,
      deliver: async (body) => {
        if (fail) {
          fail = false;
          throw new Error('queue down');
        }
        delivered.push(body);
      },
    });

    const first = await timer.schedule({ name: 'p', at: AT, key: KEY });
    const again = await timer.schedule({ name: 'p', at: AT, key: KEY });
    await timer.fireDue();
    const notYet = [...delivered];
    now = AT;
    await timer.fireDue();
    const afterFailure = timer.pending().length;
    await timer.fireDue();

    expect([first, again]).toEqual(['created', 'unchanged']);
    expect(notYet).toEqual([]);
    expect(afterFailure).toBe(1);
    expect(delivered).toEqual([INPUT]);
    expect(timer.pending()).toEqual([]);
  });
});
