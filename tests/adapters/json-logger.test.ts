import { describe, expect, it } from 'vitest';
import { createJsonLogger, type LogLevel } from '../../functions/adapters/json-logger.ts';

function capture(options: { level?: LogLevel; env?: Record<string, string | undefined> } = {}) {
  const lines: { level: LogLevel; entry: Record<string, unknown>; raw: string }[] = [];
  const log = createJsonLogger({
    service: 'herald-test',
    env: options.env ?? {},
    ...(options.level ? { level: options.level } : {}),
    now: () => new Date('2026-11-30T12:00:00.000Z'),
    write: (level, raw) => lines.push({ level, raw, entry: JSON.parse(raw) as Record<string, unknown> }),
  });
  return { log, lines };
}

describe('JSON logger', () => {
  it('writes one JSON object per line with level, message, service, timestamp and the context', () => {
    const { log, lines } = capture();
    log.warn('campaign halted', { postId: 'p1', counts: { sent: 3 } });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.raw.endsWith('\n')).toBe(true);
    expect(lines[0]?.raw.trimEnd()).not.toContain('\n');
    expect(lines[0]?.entry).toEqual({
      level: 'WARN',
      message: 'campaign halted',
      service: 'herald-test',
      timestamp: '2026-11-30T12:00:00.000Z',
      postId: 'p1',
      counts: { sent: 3 },
    });
  });

  it('context cannot overwrite the level, message or service the metric filters read', () => {
    const { log, lines } = capture();
    log.error('send failed', { message: 'spoofed', level: 'INFO', service: 'other' });
    expect(lines[0]?.entry).toMatchObject({ level: 'ERROR', message: 'send failed', service: 'herald-test' });
  });

  it('serialises errors with name, message, stack and cause, also when nested', () => {
    const { log, lines } = capture();
    const cause = new TypeError('socket hang up');
    const error = Object.assign(new Error('SES SendRawEmail failed', { cause }), { code: 'Throttling' });
    log.error('delivery failed', { error });
    const logged = lines[0]?.entry.error as Record<string, unknown>;
    expect(logged).toMatchObject({ name: 'Error', message: 'SES SendRawEmail failed', code: 'Throttling' });
    expect(String(logged.stack)).toContain('SES SendRawEmail failed');
    expect(logged.cause).toMatchObject({ name: 'TypeError', message: 'socket hang up' });
  });

  it('never throws on circular context or bigints', () => {
    const { log, lines } = capture();
    const loop: Record<string, unknown> = { id: 1 };
    loop.self = loop;
    expect(() => log.info('odd context', { loop, big: 10n })).not.toThrow();
    expect(lines[0]?.entry).toMatchObject({ loop: { id: 1, self: '[Circular]' }, big: '10' });
  });

  it("takes the level from Lambda's AWS_LAMBDA_LOG_LEVEL, then LOG_LEVEL, default INFO", () => {
    const byDefault = capture();
    byDefault.log.debug('hidden');
    byDefault.log.info('shown');
    expect(byDefault.lines.map((l) => l.entry.message)).toEqual(['shown']);

    const lambda = capture({ env: { AWS_LAMBDA_LOG_LEVEL: 'WARN', LOG_LEVEL: 'DEBUG' } });
    lambda.log.info('hidden');
    lambda.log.warn('shown');
    expect(lambda.lines.map((l) => l.entry.message)).toEqual(['shown']);

    const local = capture({ env: { LOG_LEVEL: 'debug' } });
    local.log.debug('shown');
    expect(local.lines).toHaveLength(1);

    const silent = capture({ level: 'SILENT' });
    silent.log.error('hidden');
    expect(silent.lines).toHaveLength(0);
  });

  it('writes WARN and ERROR to stderr, the rest to stdout', () => {
    const writes: string[] = [];
    const out = process.stdout.write;
    const err = process.stderr.write;
    process.stdout.write = ((chunk: string) =>
      writes.push(`out:${chunk}`) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) =>
      writes.push(`err:${chunk}`) > 0) as typeof process.stderr.write;
    try {
      const log = createJsonLogger({ service: 's', env: {} });
      log.info('a');
      log.error('b');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(writes.map((w) => w.slice(0, 4))).toEqual(['out:', 'err:']);
  });
});
