/** `portcullis portal`: the bundled Bitrix24-like portal simulator, for the demo, tests and benchmarks. */
import type { Command } from 'commander';
import { clockForScale } from '../../lib/clock';
import { PortcullisError } from '../../lib/errors';
import { reportAndExit } from '../fail';
import { onShutdown } from '../shutdown';
import { bundledSeedFile, loadSimulator } from '../simulator-module';
import { hostPortOption, nonNegativeNumberOption } from '../options';

export function registerPortal(program: Command): void {
  program
    .command('portal')
    .description('Run the Bitrix24-like portal simulator (several portals chosen by Host, seeded from YAML).')
    .option('--listen <host:port>', 'where the simulator listens', '127.0.0.1:8081')
    .option('--seed <file>', 'users, webhooks and apps per portal (default: the bundled portal-sim/seed.yaml)')
    .option('--hash-cost-ms <ms>', 'mean simulated password-hash cost per password check', '25')
    .option('--no-rest-limit', "turn off the portal's own REST leaky bucket (50, draining 2/s); benchmarks need this")
    .option('--no-record', 'do not keep received requests in memory')
    .option('--time-scale <n>', "simulation only: seconds of the portal's clock per wall second (token expiry, REST bucket), as PORTCULLIS_TIME_SCALE for the gateway", '1')
    .action(async (opts: { listen: string; seed?: string; hashCostMs: string; restLimit: boolean; record: boolean; timeScale: string }) => {
      try {
        const at = hostPortOption(opts.listen, '--listen');
        const sim = loadSimulator();
        const hashCostMs = nonNegativeNumberOption(opts.hashCostMs, '--hash-cost-ms');
        const timeScale = nonNegativeNumberOption(opts.timeScale, '--time-scale');
        if (timeScale < 1) throw new PortcullisError('PC_ERR_CONFIG_TYPE', `--time-scale must be a number >= 1, got ${JSON.stringify(opts.timeScale)}`);
        const running = await sim.startPortalSim({
          host: at.host,
          port: at.port,
          seedFile: opts.seed ?? bundledSeedFile(),
          hashCostMs,
          restLimit: opts.restLimit ? undefined : false,
          record: opts.record,
          clock: clockForScale(timeScale),
        } as never);
        process.stdout.write(`portal simulator listening on ${running.url}\n`);
        onShutdown(() => running.close());
      } catch (err) {
        reportAndExit(err);
      }
    });
}
