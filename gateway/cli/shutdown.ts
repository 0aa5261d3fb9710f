/**
 * Process-level behaviour of the long-running commands: a clean shutdown on SIGINT/SIGTERM (a second
 * signal forces it), and a last net for errors nothing else caught: they are reported, and the
 * process keeps serving, because one bad request must never take every client's gateway down.
 */
export function onShutdown(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`portcullis: ${signal} received, shutting down\n`);
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export function keepServingOnStrayErrors(report: (err: unknown, origin: string) => void): void {
  process.on('unhandledRejection', (err) => report(err, 'unhandledRejection'));
  process.on('uncaughtException', (err, origin) => report(err, origin));
}

/** SIGHUP reloads the policy set (the conventional signal for "read your configuration again"). */
export function onReloadSignal(reload: () => void): void {
  process.on('SIGHUP', reload);
}
