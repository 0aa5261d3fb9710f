/**
 * `portcullis`: the command line. Each command lives in commands/ and registers itself here; later
 * issues add `policy`, `blocks`, `requests`, `users`, `posture` and `audit`.
 */
import { Command } from 'commander';
import { registerAudit } from './commands/audit';
import { registerBlocks } from './commands/blocks';
import { registerDemo } from './commands/demo';
import { registerDirectory } from './commands/directory';
import { registerPortal } from './commands/portal';
import { registerPolicy } from './commands/policy';
import { registerPosture } from './commands/posture';
import { registerRequests } from './commands/requests';
import { registerServe } from './commands/serve';
import { registerUsers } from './commands/users';
import { EXIT_CONFIG } from './fail';
import { packageVersion } from '../lib/version';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('portcullis')
    .description(
      'A reverse-proxy security gateway for a Bitrix24-like portal: it classifies every login and REST call,\n' +
        'scores them against YAML policies, and blocks account takeovers the way the portal vendor describes.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for the options)')
    .exitOverride((err) => {
      // commander exits 1 on a usage error; we reserve 1 for run-time failures and use 2 for usage.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(EXIT_CONFIG);
    });
  registerServe(program);
  registerDemo(program);
  registerPortal(program);
  registerPolicy(program);
  registerBlocks(program);
  registerRequests(program);
  registerUsers(program);
  registerDirectory(program);
  registerPosture(program);
  registerAudit(program);
  return program;
}

export function main(argv: string[]): void {
  void buildProgram().parseAsync(argv);
}
