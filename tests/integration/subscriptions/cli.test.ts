import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { registerSubscriberCommands } from '../../../functions/cli/subscribers.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { freshAddress, type Harness, startHarness } from './harness.ts';

function cli(h: Harness) {
  const lines: string[] = [];
  let n = 0;
  const program = new Command().exitOverride();
  registerSubscriberCommands(program, {
    store: () => h.store,
    subscriptionDeps: async () => h.deps,
    now: () => h.clock.now,
    newId: () => `import-${++n}`,
    print: (line) => lines.push(line),
  });
  return {
    run: (...args: string[]) => program.parseAsync(['subscribers', ...args], { from: 'user' }),
    lines,
  };
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-cli-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('herald subscribers', () => {
  it('import --consented adds confirmed subscribers with consent from a Mailchimp export', async () => {
    const h = await startHarness();
    const [a, b, gone] = [freshAddress('mc-a'), freshAddress('mc-b'), freshAddress('mc-gone')];
    const file = await tempFile(
      'mailchimp.csv',
      `Email Address,First Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,STATUS\r\n` +
        `${a},Ada,2024-01-02 03:04:05,203.0.113.5,2024-01-02 03:10:00,203.0.113.6,subscribed\r\n` +
        `"${b}","Bob, Jr.",,,,,subscribed\r\n` +
        `${gone},Gone,,,,,unsubscribed\r\n` +
        `not-an-address,X,,,,,subscribed\r\n`,
    );
    const { run, lines } = cli(h);

    await run('import', file, '--consented');

    const ada = await h.store.findByAddressHash(addressHash(a));
    expect(isSubscriber(ada) && ada.status).toBe('confirmed');
    expect(isSubscriber(ada) && ada.consent).toMatchObject({
      method: 'import',
      source: 'import:mailchimp.csv',
      ip: '203.0.113.5',
      at: new Date('2024-01-02T03:04:05Z'),
      confirmIp: '203.0.113.6',
    });
    expect(await h.store.findByAddressHash(addressHash(gone))).toBeUndefined();
    expect(await h.emailsTo(a)).toHaveLength(0);
    expect(lines).toEqual([
      'imported 4 rows: 2 added as confirmed, 0 invited, 0 already known, 1 opted out, 1 invalid',
    ]);
  });

  it('import without --consented invites every address by double opt-in', async () => {
    const h = await startHarness();
    const a = freshAddress('invite');
    const file = await tempFile('list.csv', `${a}\n`);
    const { run } = cli(h);

    await run('import', file);

    const sub = await h.store.findByAddressHash(addressHash(a));
    expect(isSubscriber(sub) && sub.status).toBe('pending');
    expect(await h.emailsTo(a)).toHaveLength(1);
  });

  it('remove erases personal data, keeps suppression, and count and export reflect it', async () => {
    const h = await startHarness();
    const [keep, drop] = [freshAddress('keep'), freshAddress('drop')];
    const file = await tempFile('list.csv', `email\n${keep}\n${drop}\n`);
    const { run, lines } = cli(h);
    await run('import', file, '--consented');
    const out = join(await mkdtemp(join(tmpdir(), 'herald-cli-')), 'export.json');

    await run('remove', drop.toUpperCase().replace('EXAMPLE.TEST', 'example.test'));
    await run('count');
    await run('export', '--format', 'json', '--output', out);

    expect(lines.slice(1)).toEqual([
      `erased ${drop.toUpperCase().replace('EXAMPLE.TEST', 'example.test')}; the address stays suppressed`,
      '1 confirmed, 0 pending, 0 unsubscribed, 1 suppressed',
    ]);
    const exported = JSON.parse(await readFile(out, 'utf8')) as { email: string }[];
    expect(exported.map((r) => r.email)).toEqual([keep]);
    expect(await h.store.isSuppressed(addressHash(drop))).toBe(true);
  });
});
