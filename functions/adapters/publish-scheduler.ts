/**
 * Future-dated posts: a one-time schedule per post that puts the post's key back on the content
 * queue at its date. EventBridge Scheduler on AWS; an in-process timer in the local runtime and tests.
 */
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { PublishSchedule, PublishScheduler } from '../app/ports.ts';
import { type ScheduledPublish, scheduledPublishSchema, scheduleName } from '../core/scheduled-publish.ts';

export { type ScheduledPublish, scheduledPublishSchema, scheduleName };

/** Thrown when a schedule cannot be created. */
export class PublishScheduleError extends Error {
  override name = 'PublishScheduleError';
}

/** `at()` expression in UTC, to the second. */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

function messageFor(key: string): string {
  const message: ScheduledPublish = { herald: 'scheduled-publish', key };
  return JSON.stringify(message);
}

/**
 * EventBridge Scheduler: the schedule targets the content queue (SQS) with the scheduler role and
 * deletes itself after it ran. Needs `scheduler:CreateSchedule`, `GetSchedule`, `DeleteSchedule`
 * on the group's schedules and `iam:PassRole` on the role.
 */
export function createEventBridgeScheduler(options: {
  client: SchedulerClient;
  groupName: string;
  roleArn: string;
  queueArn: string;
}): PublishScheduler {
  const { client, groupName } = options;
  const create = (s: PublishSchedule) =>
    client.send(
      new CreateScheduleCommand({
        Name: s.name,
        GroupName: groupName,
        ScheduleExpression: atExpression(s.at),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Description: `Herald: publish ${s.key.slice(0, 400)} at its date`,
        Target: { Arn: options.queueArn, RoleArn: options.roleArn, Input: messageFor(s.key) },
      }),
    );
  const fail = (s: PublishSchedule, action: string, error: unknown): never => {
    throw new PublishScheduleError(`schedule ${groupName}/${s.name} for ${s.key}: ${action} failed`, {
      cause: error,
    });
  };

  return {
    async schedule(s) {
      try {
        await create(s);
        return 'created';
      } catch (error) {
        if ((error as Error).name !== 'ConflictException') fail(s, 'create', error);
      }
      let existing: GetScheduleCommandOutput | undefined;
      try {
        existing = await client.send(new GetScheduleCommand({ Name: s.name, GroupName: groupName }));
      } catch (error) {
        fail(s, 'read', error);
      }
      if (
        existing?.ScheduleExpression === atExpression(s.at) &&
        existing.Target?.Input === messageFor(s.key)
      ) {
        return 'unchanged';
      }
      // No UpdateSchedule permission needed: replacing is rare (a post's date edited while pending).
      try {
        await client.send(new DeleteScheduleCommand({ Name: s.name, GroupName: groupName }));
        await create(s);
      } catch (error) {
        fail(s, 'replace', error);
      }
      return 'replaced';
    },
  };
}

/** The in-process scheduler, with controls for the local runtime and tests. */
export interface TimerScheduler extends PublishScheduler {
  /** Pending schedules, soonest first. */
  pending(): PublishSchedule[];
  /** Delivers every schedule due at `now()` (tests with an injected clock call this). */
  fireDue(): Promise<void>;
  /** Cancels every timer. */
  stop(): void;
}

// setTimeout takes at most a signed 32-bit delay; longer waits re-arm.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Schedules with `setTimeout` (`timers: false` keeps only the list, for tests that drive
 * {@link TimerScheduler.fireDue} with a fake clock). `deliver` gets the message body exactly as
 * EventBridge would put it on the queue. A failed delivery stays pending and is retried by the
 * next `fireDue` (or after `retryMs` with timers).
 */
export function createTimerScheduler(options: {
  deliver: (body: string) => Promise<void>;
  now?: () => Date;
  timers?: boolean;
  retryMs?: number;
  onError?: (error: unknown) => void;
}): TimerScheduler {
  const now = options.now ?? (() => new Date());
  const useTimers = options.timers ?? true;
  const entries = new Map<string, { schedule: PublishSchedule; timer?: NodeJS.Timeout }>();

  async function fire(name: string): Promise<void> {
    const entry = entries.get(name);
    if (!entry) return;
    entries.delete(name);
    if (entry.timer) clearTimeout(entry.timer);
    try {
      await options.deliver(messageFor(entry.schedule.key));
    } catch (error) {
      options.onError?.(error);
      if (!entries.has(name)) arm(entry.schedule, options.retryMs ?? 1000);
    }
  }

  function arm(schedule: PublishSchedule, minDelayMs = 0): void {
    const entry: { schedule: PublishSchedule; timer?: NodeJS.Timeout } = { schedule };
    if (useTimers) {
      const delay = Math.max(minDelayMs, schedule.at.getTime() - now().getTime());
      entry.timer = setTimeout(
        () => {
          if (schedule.at.getTime() <= now().getTime()) void fire(schedule.name);
          else arm(schedule);
        },
        Math.min(delay, MAX_TIMER_MS),
      );
      entry.timer.unref?.();
    }
    entries.set(schedule.name, entry);
  }

  return {
    async schedule(s) {
      const existing = entries.get(s.name);
      if (existing && existing.schedule.at.getTime() === s.at.getTime() && existing.schedule.key === s.key) {
        return 'unchanged';
      }
      if (existing?.timer) clearTimeout(existing.timer);
      arm({ ...s });
      return existing ? 'replaced' : 'created';
    },
    pending: () =>
      [...entries.values()].map((e) => ({ ...e.schedule })).sort((a, b) => a.at.getTime() - b.at.getTime()),
    async fireDue() {
      const due = [...entries.values()]
        .filter((e) => e.schedule.at.getTime() <= now().getTime())
        .sort((a, b) => a.schedule.at.getTime() - b.schedule.at.getTime());
      for (const entry of due) await fire(entry.schedule.name);
    },
    stop() {
      for (const entry of entries.values()) if (entry.timer) clearTimeout(entry.timer);
      entries.clear();
    },
  };
}
