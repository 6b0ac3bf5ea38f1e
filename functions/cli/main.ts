import { registerCampaignCommands } from './campaigns.ts';
import { createProgram } from './program.ts';
import { registerSubscriberCommands } from './subscribers.ts';

// Entry point of the `herald` command (bin/herald.mjs loads this through tsx).
const program = createProgram();
registerSubscriberCommands(program);
registerCampaignCommands(program);
await program.parseAsync(process.argv);
