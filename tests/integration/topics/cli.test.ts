import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { isSubscriber } from '../../../functions/adapters/subscriber-store.ts';
import { registerSubscriberCommands } from '../../../functions/cli/subscribers.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import { freshAddress, type Harness, startHarness } from '../subscriptions/harness.ts';

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

describe('herald subscribers with topics', () => {
  it('imports a topics column, counts confirmed readers per topic, and exports the column back', async () => {
    const h = await startHarness();
    const [a, b, c, bad] = [
      freshAddress('t-a'),
      freshAddress('t-b'),
      freshAddress('t-c'),
      freshAddress('t-bad'),
    ];
    const dir = await mkdtemp(join(tmpdir(), 'herald-topics-'));
    const file = join(dir, 'in.csv');
    await writeFile(
      file,
      `email,topics\n${a},berlin lisbon\n${b},\n${c},"lisbon,seoul"\n${bad},Not A Topic!\n`,
    );
    const { run, lines } = cli(h);

    await run('import', file, '--consented');
    await run('count');
    const out = join(dir, 'out.csv');
    await run('export', '--output', out);

    const ada = await h.store.findByAddressHash(addressHash(a));
    expect(isSubscriber(ada) && ada.topics).toEqual(['berlin', 'lisbon']);
    expect(await h.store.findByAddressHash(addressHash(bad))).toBeUndefined();
    expect(lines).toContain('3 confirmed, 0 pending, 0 unsubscribed, 0 suppressed');
    expect(lines).toContain('confirmed per topic: everything 1, berlin 1, lisbon 2, seoul 1');
    const exported = await readFile(out, 'utf8');
    const [header, ...rows] = exported.trim().split('\n');
    const topicsAt = (header ?? '').split(',').indexOf('topics');
    expect(topicsAt).toBeGreaterThan(-1);
    const byEmail = new Map(rows.map((r) => [r.split(',')[1], r.split(',')[topicsAt]]));
    expect(byEmail.get(a)).toBe('berlin lisbon');
    expect(byEmail.get(b)).toBe('');
    expect(byEmail.get(c)).toBe('lisbon seoul');
  });
});
