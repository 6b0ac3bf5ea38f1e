import { describe, expect, it } from 'vitest';
import { registerCampaignCommands } from '../../functions/cli/campaigns.ts';
import { invokedCommand, registerLazyCommands } from '../../functions/cli/lazy-commands.ts';
import { createProgram } from '../../functions/cli/program.ts';
import { registerSubscriberCommands } from '../../functions/cli/subscribers.ts';
import { captureIo } from '../helpers/cli-io.ts';

function eagerProgram() {
  const program = createProgram(captureIo().cli);
  registerSubscriberCommands(program);
  registerCampaignCommands(program);
  return program;
}

describe('lazily registered commands', () => {
  it('list in herald --help exactly as the real commands do', async () => {
    const lazy = createProgram(captureIo().cli);

    await registerLazyCommands(lazy, undefined);

    expect(lazy.helpInformation()).toBe(eagerProgram().helpInformation());
  });

  it('register the real command, with all its options, when it is the one invoked', async () => {
    const lazy = createProgram(captureIo().cli);

    await registerLazyCommands(lazy, 'send-test');

    const real = eagerProgram().commands.find((c) => c.name() === 'send-test');
    const loaded = lazy.commands.find((c) => c.name() === 'send-test');
    expect(loaded?.helpInformation()).toBe(real?.helpInformation());
    expect(loaded?.options.map((o) => o.flags)).toContain('--keys <file>');
  });

  it('find the invoked command: the first word, or the one after help', () => {
    expect(invokedCommand(['-v'])).toBeUndefined();
    expect(invokedCommand(['campaign', 'post-1', '--follow'])).toBe('campaign');
    expect(invokedCommand(['help', 'subscribers'])).toBe('subscribers');
    expect(invokedCommand(['--help'])).toBeUndefined();
  });
});
