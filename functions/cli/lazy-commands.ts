import type { Command } from 'commander';

/**
 * Commands whose modules load the AWS SDK and the handlers (hundreds of milliseconds). They are
 * registered for real only when one of them runs; otherwise `herald --help` lists them from this
 * table. `tests/cli/lazy-commands.test.ts` checks that the listing matches the real commands.
 */
interface LazyGroup {
  /** Commands the module registers, in its order: name, first option, arguments, description. */
  commands: { name: string; option: string; args: string[]; description: string }[];
  register: () => Promise<(program: Command) => void>;
}

const GROUPS: LazyGroup[] = [
  {
    commands: [
      {
        name: 'subscribers',
        option: '--table <name>',
        args: [],
        description: 'export, import, remove or count newsletter subscribers',
      },
    ],
    register: async () => (await import('./subscribers.ts')).registerSubscriberCommands,
  },
  {
    commands: [
      {
        name: 'campaigns',
        option: '--table <name>',
        args: [],
        description: 'List newsletter campaigns with counts per recipient state.',
      },
      {
        name: 'campaign',
        option: '--table <name>',
        args: ['<post>'],
        description: 'Show one campaign; --follow draws live progress until it completes.',
      },
      {
        name: 'send-test',
        option: '--to <address>',
        args: ['<post>'],
        description:
          'Send one preview of a post, marked as a test ([TEST] subject, X-Herald-Test); no ledger is touched.',
      },
    ],
    register: async () => (await import('./campaigns.ts')).registerCampaignCommands,
  },
];

/** The command a command line runs: its first word that is not an option (`help X` runs X's help). */
export function invokedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Adds the lazily loaded commands to the program: the group holding `invoked` for real, every
 * other one as a listing for help only (its action is never reached, since it is not invoked).
 */
export async function registerLazyCommands(program: Command, invoked: string | undefined): Promise<void> {
  for (const group of GROUPS) {
    if (invoked !== undefined && group.commands.some((c) => c.name === invoked)) {
      (await group.register())(program);
      continue;
    }
    for (const listed of group.commands) {
      const command = program.command(listed.name).description(listed.description).option(listed.option);
      for (const arg of listed.args) command.argument(arg);
    }
  }
}
