/**
 * An in-process stand-in for the SQS delivery queue and its Lambda event source mapping: batches
 * of up to 10 records in the SQS event shape, a fixed number of concurrent handler invocations,
 * partial batch failures redelivered after a visibility timeout, a receive limit with a dead-letter
 * list, and message delays. `maxDepth` applies back-pressure to producers so a 100,000-recipient
 * fan-out does not hold every message in memory at once (SQS would hold them for us).
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueueMessage, SendQueue } from '../adapters/send-queue.ts';

/** An SQS batch handler, as Lambda calls it. */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** Options for {@link createLocalDeliveryQueue}. */
export interface LocalDeliveryQueueOptions {
  handler: SqsBatchHandler;
  /** Records per handler call. Default 10 (the SQS maximum for standard queues without batching window). */
  batchSize?: number;
  /** Handler calls at once (Lambda concurrency). Default 4. */
  concurrency?: number;
  /** How long a failed message stays invisible before redelivery. Default 1,000 ms. */
  visibilityTimeoutMs?: number;
  /** Receives before a message goes to the dead-letter list. Default 5. */
  maxReceiveCount?: number;
  /** Producers wait while more than this many messages are waiting. Default unlimited. */
  maxDepth?: number;
  /** Converts an SQS delay in seconds to milliseconds here (tests shrink time). Default × 1000. */
  delayMs?: (seconds: number) => number;
  queueArn?: string;
  /** Called when a handler call throws (the whole batch is redelivered). */
  onError?: (error: unknown) => void;
}

interface Held {
  id: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

/** The queue: the {@link SendQueue} port plus controls for the local runtime and tests. */
export interface LocalDeliveryQueue extends SendQueue {
  start(): void;
  /** Stops taking new batches; resolves when running handler calls finish. */
  stop(): Promise<void>;
  /** Resolves when nothing is waiting, delayed or in flight. */
  idle(): Promise<void>;
  stats(): { waiting: number; delayed: number; inFlight: number; delivered: number; deadLetters: number };
  readonly deadLetters: { body: string; receiveCount: number }[];
}

/** Builds the queue; call `start()` to begin delivering. */
export function createLocalDeliveryQueue(options: LocalDeliveryQueueOptions): LocalDeliveryQueue {
  const batchSize = options.batchSize ?? 10;
  const concurrency = options.concurrency ?? 4;
  const visibilityMs = options.visibilityTimeoutMs ?? 1000;
  const maxReceive = options.maxReceiveCount ?? 5;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const delayMs = options.delayMs ?? ((s: number) => s * 1000);
  const arn = options.queueArn ?? 'arn:aws:sqs:local:000000000000:herald-delivery';

  // A FIFO with a moving head: Array#shift on a long array is linear.
  let ready: Held[] = [];
  let head = 0;
  let delayed = 0;
  let inFlight = 0;
  let active = 0;
  let delivered = 0;
  let running = false;
  const timers = new Set<NodeJS.Timeout>();
  const deadLetters: { body: string; receiveCount: number }[] = [];
  let idleWaiters: (() => void)[] = [];
  let spaceWaiters: (() => void)[] = [];
  let stopWaiters: (() => void)[] = [];

  const waiting = () => ready.length - head;

  function take(): Held | undefined {
    if (head >= ready.length) return undefined;
    const held = ready[head++];
    if (head > 4096 && head * 2 > ready.length) {
      ready = ready.slice(head);
      head = 0;
    }
    return held;
  }

  function notify(): void {
    if (waiting() + delayed < maxDepth && spaceWaiters.length > 0) {
      const wake = spaceWaiters;
      spaceWaiters = [];
      for (const w of wake) w();
    }
    if (waiting() === 0 && delayed === 0 && inFlight === 0 && idleWaiters.length > 0) {
      const wake = idleWaiters;
      idleWaiters = [];
      for (const w of wake) w();
    }
    if (active === 0 && stopWaiters.length > 0) {
      const wake = stopWaiters;
      stopWaiters = [];
      for (const w of wake) w();
    }
  }

  function later(held: Held, ms: number): void {
    if (ms <= 0) {
      ready.push(held);
      pump();
      return;
    }
    delayed++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      delayed--;
      ready.push(held);
      pump();
    }, ms);
    timers.add(timer);
  }

  function toRecord(held: Held): SQSRecord {
    return {
      messageId: held.id,
      receiptHandle: `${held.id}#${held.receiveCount}`,
      body: held.body,
      attributes: {
        ApproximateReceiveCount: String(held.receiveCount),
        SentTimestamp: String(held.sentAt),
        SenderId: 'LOCAL',
        ApproximateFirstReceiveTimestamp: String(held.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'local',
    };
  }

  async function invoke(batch: Held[]): Promise<void> {
    for (const held of batch) held.receiveCount++;
    let failed: Set<string>;
    try {
      const result = await options.handler({ Records: batch.map(toRecord) });
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      options.onError?.(error);
      failed = new Set(batch.map((held) => held.id));
    }
    for (const held of batch) {
      inFlight--;
      if (!failed.has(held.id)) {
        delivered++;
        continue;
      }
      if (held.receiveCount >= maxReceive)
        deadLetters.push({ body: held.body, receiveCount: held.receiveCount });
      else later(held, visibilityMs);
    }
  }

  function pump(): void {
    while (running && active < concurrency && waiting() > 0) {
      const batch: Held[] = [];
      while (batch.length < batchSize) {
        const held = take();
        if (!held) break;
        batch.push(held);
      }
      active++;
      inFlight += batch.length;
      void invoke(batch).finally(() => {
        active--;
        pump();
        notify();
      });
    }
    notify();
  }

  return {
    async enqueue(messages: readonly QueueMessage[]) {
      for (const message of messages) {
        while (waiting() + delayed >= maxDepth)
          await new Promise<void>((resolve) => spaceWaiters.push(resolve));
        const held: Held = { id: randomUUID(), body: message.body, receiveCount: 0, sentAt: Date.now() };
        later(held, message.delaySeconds ? delayMs(message.delaySeconds) : 0);
      }
    },
    start() {
      running = true;
      pump();
    },
    async stop() {
      running = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      delayed = 0;
      if (active > 0) await new Promise<void>((resolve) => stopWaiters.push(resolve));
    },
    idle() {
      if (waiting() === 0 && delayed === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    stats: () => ({ waiting: waiting(), delayed, inFlight, delivered, deadLetters: deadLetters.length }),
    deadLetters,
  };
}
