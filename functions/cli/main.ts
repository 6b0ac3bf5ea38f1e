import { printableLines } from '../core/printable.ts';
import { invokedCommand, registerLazyCommands } from './lazy-commands.ts';
import { createProgram } from './program.ts';

// Entry point of the `herald` command (bin/herald.mjs loads its compiled form, or this through tsx).
// `herald build | head -1` closes the pipe early: the command still finishes its work, unheard.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
const program = createProgram();
try {
  await registerLazyCommands(program, invokedCommand(process.argv.slice(2)));
  await program.parseAsync(process.argv);
} catch (error) {
  // Commands throw named errors whose message says what to do; a stack trace helps no author.
  console.error(printableLines(`herald: ${error instanceof Error ? error.message : String(error)}`));
  if (process.env.HERALD_DEBUG && error instanceof Error) console.error(error.stack);
  process.exitCode = 1;
}
