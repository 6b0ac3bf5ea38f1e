/**
 * Listening on a port, for `herald preview` and `herald dev` alike: a taken port becomes a
 * {@link PortInUseError} that says what to do.
 */
import type { Server } from 'node:http';

/** The port the dev server should listen on is taken. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  readonly port: number;

  constructor(port: number, options?: { cause?: unknown }) {
    super(
      `Port ${port} is already in use. Stop whatever is using it, or start on another port with --port ${port + 1}.`,
      options,
    );
    this.port = port;
  }
}

/**
 * Starts listening on `port`, by default on the loopback interface only: a preview or the local
 * cloud is nobody else's business. Resolves the port (useful with 0).
 * @throws PortInUseError when the port is taken.
 */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: error }) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
