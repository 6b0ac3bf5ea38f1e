import { printableLines } from '../core/printable.ts';
import { registerCampaignCommands } from './campaigns.ts';
import { createProgram } from './program.ts';
import { registerSubscriberCommands } from './subscribers.ts';

// Entry point of the `herald` command (bin/herald.mjs loads this through tsx).
const program = createProgram();
registerSubscriberCommands(program);
registerCampaignCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commands throw named errors whose message says what to do; a stack trace helps no author.
  console.error(printableLines(`herald: ${error instanceof Error ? error.message : String(error)}`));
  if (process.env.HERALD_DEBUG && error instanceof Error) console.error(error.stack);
  process.exitCode = 1;
}
