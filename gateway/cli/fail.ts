/** How every command ends on an error: a clear message, the stable code, and the documented exit code. */
import { FileProblems, PortcullisError, formatProblem } from '../lib/errors';

/** Exit codes: 1 for a failure at run time, 2 for a configuration (or usage) problem. */
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

export function reportAndExit(err: unknown): never {
  if (err instanceof FileProblems) {
    process.stderr.write(`portcullis: the configuration has ${err.problems.length} problem(s):\n`);
    for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
    process.stderr.write('See docs/configuration.md for every key and environment variable.\n');
    process.exit(EXIT_CONFIG);
  }
  if (err instanceof PortcullisError) {
    process.stderr.write(`portcullis: ${err.message}  [${err.code}]\n`);
    process.exit(err.code.startsWith('PC_ERR_CONFIG') ? EXIT_CONFIG : EXIT_RUNTIME);
  }
  process.stderr.write(`portcullis: unexpected failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(EXIT_RUNTIME);
}
