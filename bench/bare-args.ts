/**
 * The two bare passthroughs of the bench take the same two arguments:
 *   --listen HOST:PORT   where to listen
 *   --target URL         the backend (the portal simulator)
 * They print one line when listening and exit on SIGTERM/SIGINT after closing the listener.
 */
import type http from 'node:http';

export interface BareArgs {
  readonly host: string;
  readonly port: number;
  readonly target: string;
}

export function parseBareArgs(argv: readonly string[]): BareArgs {
  const value = (flag: string): string => {
    const index = argv.indexOf(flag);
    const found = index >= 0 ? argv[index + 1] : undefined;
    if (found === undefined) throw new Error(`missing ${flag}; usage: --listen HOST:PORT --target URL`);
    return found;
  };
  const listen = value('--listen');
  const colon = listen.lastIndexOf(':');
  const port = Number(listen.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --listen ${listen}; expected HOST:PORT`);
  const target = new URL(value('--target')).origin;
  return { host: listen.slice(0, colon), port, target };
}

/** Listens, says so, and closes on SIGTERM/SIGINT (idle keep-alive sockets too). */
export function listenAndServe(server: http.Server, args: BareArgs, label: string, onClose: () => void = () => undefined): void {
  server.listen(args.port, args.host, () => {
    process.stdout.write(`${label} listening on ${args.host}:${args.port} -> ${args.target}\n`);
  });
  const shutdown = (): void => {
    server.close(() => {
      onClose();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
