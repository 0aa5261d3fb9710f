/**
 * What the bench scripts share around their main(): a usage error type (exit code 2, printed with the
 * usage), and one way out that always stops the processes they spawned (redis-server, simulator,
 * gateways), on success, failure, SIGINT or SIGTERM alike.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { stopAll } from '../test/helpers/processes';

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export function runMain(label: string, usage: string, main: (argv: readonly string[]) => Promise<number>): void {
  let stopping = false;
  const finish = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await stopAll().catch((err: unknown) => process.stderr.write(`${label}: cleanup: ${(err as Error).message}\n`));
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void finish(130));
  process.once('SIGTERM', () => void finish(143));
  main(process.argv.slice(2)).then(
    (code) => finish(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${label}: ${err.message}\n\n${usage}\n`);
        return finish(2);
      }
      process.stderr.write(`${label} failed: ${(err as Error).stack ?? String(err)}\n`);
      return finish(1);
    },
  );
}

/** VmRSS of a process in MiB, NaN when it is gone (or off Linux). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Values of one scrape of the gateway's Prometheus text: `name` with exactly `labels`, else its first series; NaN when absent. */
export type MetricReader = (name: string, labels?: string) => number;

/**
 * One GET of a gateway's admin `/metrics`, read as many times as needed (a sample reads several values,
 * and one scrape keeps them consistent). A gateway that does not answer reads NaN everywhere.
 */
export async function scrapeMetrics(adminUrl: string, adminToken: string, timeoutMs = 10_000): Promise<MetricReader> {
  let text = '';
  try {
    const res = await request(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    text = await res.body.text();
  } catch {
    /* NaN everywhere */
  }
  return (name, labels = '') => {
    const m = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : '(?:\\{[^}]*\\})?'} ([0-9.eE+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
}
