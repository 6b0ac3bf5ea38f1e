import type { CliIo } from '../../functions/cli/program.ts';

/** A CliIo that records output and the exit code instead of touching the process. */
export function captureIo() {
  const io = { out: '', err: '', code: 0 };
  const cli: CliIo = {
    out: (t) => {
      io.out += t;
    },
    err: (t) => {
      io.err += t;
    },
    setExitCode: (c) => {
      io.code = c;
    },
  };
  return { io, cli };
}
