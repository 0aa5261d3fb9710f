/**
 * Runs the compiled CLI (`bin/portcullis.js`) asynchronously, without the caller's PORTCULLIS_*
 * variables: a synchronous spawn would stop the event loop of a gateway running in the test process.
 */
import { execFile } from 'node:child_process';
import { CLI_PATH } from '../helpers/processes';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function cliAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
