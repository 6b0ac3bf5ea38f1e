import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import type { RawSender } from '../../functions/app/send-batch.ts';
import { createOutbox, withMailerOutbox, withOutbox } from '../../functions/local/outbox.ts';

const NOW = new Date('2026-11-30T10:15:30.123Z');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herald-outbox-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const accepting: RawSender = { send: async () => ({ messageId: 'm-1' }) };

describe('outbox', () => {
  it('writes the raw MIME of each accepted message as <time>-<n>-<to>.eml', async () => {
    const outbox = createOutbox({ dir: join(dir, 'outbox'), now: () => NOW });
    const sender = withOutbox(accepting, outbox);
    const raw = Buffer.from(
      'List-Unsubscribe: <http://localhost/api/unsubscribe?token=t>\r\nSubject: Hi\r\n\r\nBody\r\n',
    );

    const result = await sender.send({ raw, from: 'news@recaps.test', to: 'reader@example.test' });
    const names = await readdir(join(dir, 'outbox'));

    expect(result).toEqual({ messageId: 'm-1' });
    expect(names).toEqual(['20261130T101530.123Z-000001-reader@example.test.eml']);
    expect(await readFile(join(dir, 'outbox', names[0] as string))).toEqual(raw);
  });

  it('writes nothing for a message SES refused, and passes the error on', async () => {
    const outbox = createOutbox({ dir: join(dir, 'outbox'), now: () => NOW });
    const refusing: RawSender = {
      send: async () => {
        throw Object.assign(new Error('Email address is not verified'), { name: 'MessageRejected' });
      },
    };

    const error = await withOutbox(refusing, outbox)
      .send({ raw: Buffer.from('x'), from: 'a@b.test', to: 'c@d.test' })
      .catch((e: unknown) => e);

    expect((error as Error).name).toBe('MessageRejected');
    expect(await readdir(join(dir, 'outbox')).catch(() => [])).toEqual([]);
  });

  it('never fails a send because the copy cannot be written', async () => {
    await writeFile(join(dir, 'blocked'), 'a file where the folder should be');
    const problems: string[] = [];
    const outbox = createOutbox({ dir: join(dir, 'blocked'), onError: (_e, file) => problems.push(file) });

    const result = await withOutbox(accepting, outbox).send({
      raw: Buffer.from('x'),
      from: 'a@b.test',
      to: 'odd/name@example.test',
    });

    expect(result.messageId).toBe('m-1');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/-odd_name@example\.test\.eml$/);
  });

  it('keeps a MIME copy of confirmation emails, which SES composes itself', async () => {
    const outbox = createOutbox({ dir, now: () => NOW });
    const mailer: Mailer = { send: async () => ({ messageId: '0100-abc' }) };
    const wrapped = withMailerOutbox(mailer, outbox, {
      from: { name: 'Open Inference Meetups', address: 'recaps@recaps.example.org' },
      now: () => NOW,
    });

    await wrapped.send({
      to: 'reader@example.test',
      subject: 'Confirm your subscription',
      html: '<p>Press the button</p>',
      text: 'Press the button',
    });
    const [name] = await readdir(dir);
    const mail = await simpleParser(await readFile(join(dir, name as string)));

    expect(mail.subject).toBe('Confirm your subscription');
    expect(mail.from?.value).toEqual([
      { name: 'Open Inference Meetups', address: 'recaps@recaps.example.org' },
    ]);
    expect(mail.text?.trim()).toBe('Press the button');
    expect(mail.html).toContain('<p>Press the button</p>');
    expect(mail.messageId).toBe('<0100-abc@herald.local>');
  });
});
