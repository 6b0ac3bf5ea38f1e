import { createProgram } from './program.ts';

// Entry point of the `herald` command (bin/herald.mjs loads this through tsx).
const program = createProgram();
await program.parseAsync(process.argv);
