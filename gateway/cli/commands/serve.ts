/** `portcullis serve`: the gateway in front of a real portal. */
import type { Command } from 'commander';
import { startGateway } from '../../app';
import { describeConfig, loadConfig } from '../../config/load';
import { reportAndExit } from '../fail';
import { keepServingOnStrayErrors, onReloadSignal, onShutdown } from '../shutdown';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the gateway in front of a portal (PORTCULLIS_UPSTREAM) with the configured store and policies.')
    .option('-c, --config <file>', 'YAML configuration file (default: $PORTCULLIS_CONFIG; environment variables override it)')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit')
    .addHelpText(
      'after',
      `
Environment (overrides the file; see docs/configuration.md for every key):
  PORTCULLIS_UPSTREAM        the portal's base URL (required), e.g. https://portal.internal
  PORTCULLIS_LISTEN          where clients connect            (default 0.0.0.0:8080)
  PORTCULLIS_ADMIN_LISTEN    admin API, health and metrics    (default 127.0.0.1:9180)
  PORTCULLIS_ADMIN_TOKEN     bearer token of the admin API
  PORTCULLIS_SECRET          key for keyed hashes and device cookies (required, >= 16 chars)
  PORTCULLIS_TRUSTED_PROXIES CIDRs whose X-Forwarded-For is believed (default: none)
  PORTCULLIS_POLICIES        policy folder                    (default ./policies)
  PORTCULLIS_STATE_DIR       journal of the embedded store    (default ./state)
  PORTCULLIS_LOG_LEVEL       fatal|error|warn|info|debug|trace|silent (default info)
  REDIS_URL | PORTCULLIS_REDIS_CLUSTER | PORTCULLIS_REDIS_SENTINELS (+ PORTCULLIS_REDIS_SENTINEL_NAME)
                             use Redis instead of the embedded store

Exit codes: 0 after a clean shutdown, 1 on a failure at run time, 2 on a configuration problem.`,
    )
    .action(async (opts: { config?: string; printConfig?: boolean }) => {
      try {
        const config = loadConfig({ env: process.env, file: opts.config ?? null, requireUpstream: true, requireSecret: !opts.printConfig });
        if (opts.printConfig) {
          process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
          return;
        }
        const gw = await startGateway(config);
        onReloadSignal(() => gw.reloadPolicies('sighup'));
        keepServingOnStrayErrors((err, origin) => gw.logger.error({ err, origin, code: 'PC_ERR_INTERNAL' }, 'stray error caught; still serving'));
        onShutdown(() => gw.close());
      } catch (err) {
        reportAndExit(err);
      }
    });
}
