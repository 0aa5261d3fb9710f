/**
 * `portcullis policy lint|test|explain|replay|schema`: what a security engineer runs while writing
 * policies, and what CI runs on every change. Every command reads the same loader the gateway uses,
 * so "lint passes" means "the gateway will load it".
 *
 * Exit codes: 0 ok; 1 the policies have problems, a test failed, or (replay) --fail-on-change saw a
 * change; 2 a usage problem (a bad option, an unreadable or invalid request file or log).
 */
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { PortcullisError } from '../../lib/errors';
import { parseYaml } from '../../lib/yaml-source';
import { toEventRecord } from '../../policy/event-record';
import { explain, formatExplanation, toExplainInput } from '../../policy/explain';
import { loadPolicySet } from '../../policy/load';
import { Replay } from '../../policy/replay';
import { formatLint, formatReplay, formatTestRun } from '../../policy/report';
import { policySchemaJson } from '../../policy/schema';
import { runPolicyTests } from '../../policy/test-runner';
import { EXIT_CONFIG, EXIT_RUNTIME, reportAndExit } from '../fail';

const defaultPath = (): string => process.env.PORTCULLIS_POLICIES ?? 'policies';

function fail(message: string): never {
  throw new PortcullisError('PC_ERR_POLICY_INPUT', message);
}

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    return fail(`cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`);
  }
}

function loadOrExit(path: string, json: boolean): NonNullable<ReturnType<typeof loadPolicySet>['set']> {
  const loaded = loadPolicySet(path);
  if (loaded.set) return loaded.set;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, problems: loaded.problems }, null, 2)}\n`);
  else process.stderr.write(formatLint(loaded.problems, undefined));
  process.exit(EXIT_RUNTIME);
}

const jsonReplacer = (_k: string, value: unknown): unknown => {
  if (value instanceof Set) return [...value];
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'function') return undefined;
  return value;
};

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('Write and check policies: lint, test, explain one request, replay an event log.')
    .addHelpText('after', '\nPolicies are YAML files (docs/policies.md); PATH defaults to $PORTCULLIS_POLICIES or ./policies.');

  policy
    .command('lint')
    .description('Validate and type-check every policy file (schema, CEL against the signal catalogue, counters, actions).')
    .argument('[path]', 'a policy folder or one policy file (default: $PORTCULLIS_POLICIES or ./policies)')
    .option('--json', 'print { ok, problems: [{ code, file, line, col, keyPath, problem, allowed }] } for CI instead of text')
    .addHelpText('after', '\nExit codes: 0 no problems, 1 problems (printed as file:line:col key.path: problem; allowed: …  [PC_ERR_…]).')
    .action((path: string | undefined, opts: { json?: boolean }) => {
      const loaded = loadPolicySet(path ?? defaultPath());
      const set = loaded.set;
      const summary = set && { files: set.files.length, policies: set.policies.length, rules: set.policies.reduce((n, p) => n + p.rules.length, 0), version: set.version };
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok: !!set, ...(summary ?? {}), problems: loaded.problems }, null, 2)}\n`);
      else if (set) process.stdout.write(formatLint([], summary));
      else process.stderr.write(formatLint(loaded.problems, undefined));
      process.exitCode = set ? 0 : EXIT_RUNTIME;
    });

  policy
    .command('test')
    .description('Run the YAML test cases beside the policies (tests/*.yaml, *.test.yaml): given signals, or timed event sequences.')
    .argument('[path]', 'a policy folder, or one test file (default: $PORTCULLIS_POLICIES or ./policies)')
    .option('--policies <path>', 'run the tests against this policy folder instead of the one they sit in')
    .option('--json', 'print the results as JSON ({ ok, passed, failed, files, problems })')
    .addHelpText('after', '\nExit codes: 0 every case passed, 1 a case failed or a file could not run.')
    .action((path: string | undefined, opts: { policies?: string; json?: boolean }) => {
      try {
        const result = runPolicyTests(path ?? defaultPath(), opts.policies ? { policies: opts.policies } : {});
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatTestRun(result));
        process.exitCode = result.ok ? 0 : EXIT_RUNTIME;
      } catch (err) {
        reportAndExit(err);
      }
    });

  policy
    .command('explain')
    .description('Evaluate one request (or one recorded event) and show the signals, every rule\'s result and why, the score and the action.')
    .requiredOption('--request <file>', 'a JSON or YAML request file, or - for standard input: { kind, phase, signals, counters, prior_offences, global_shadow } (docs/policies.md)')
    .option('--policies <path>', 'policy folder or file (default: $PORTCULLIS_POLICIES or ./policies)')
    .option('--shadow', 'global shadow: evaluate everything, act on nothing (shows what would have happened)')
    .option('--json', 'print the verdict and the signal values as JSON')
    .addHelpText('after', '\nExit codes: 0 explained, 1 the policies have problems, 2 the request file is invalid.')
    .action((opts: { request: string; policies?: string; shadow?: boolean; json?: boolean }) => {
      try {
        const set = loadOrExit(opts.policies ?? defaultPath(), !!opts.json);
        const text = readInput(opts.request);
        const parsed = parseYaml(text, { file: opts.request, syntaxCode: 'PC_ERR_POLICY_INPUT' });
        if (parsed.problems.length > 0) fail(`${opts.request} is not JSON or YAML: ${parsed.problems[0]!.problem}`);
        const { input, problems } = toExplainInput(parsed.value);
        if (!input) fail(`${opts.request}: ${problems.join('; ')}`);
        const withShadow = opts.shadow ? { ...input, options: { ...input.options, globalShadow: true } } : input;
        const e = explain(set, withShadow);
        process.stdout.write(opts.json ? `${JSON.stringify(e, jsonReplacer, 2)}\n` : formatExplanation(set, e));
      } catch (err) {
        if (err instanceof PortcullisError) {
          process.stderr.write(`portcullis: ${err.message}  [${err.code}]\n`);
          process.exit(EXIT_CONFIG);
        }
        reportAndExit(err);
      }
    });

  policy
    .command('replay')
    .description('Run a recorded event log through a policy set and report what would change: blocks added and removed, by rule and by action.')
    .requiredOption('--log <file>', 'the event log: JSON lines { at, kind, phase, signals, counters, verdict } (docs/policies.md), or - for standard input')
    .option('--policies <path>', 'the (changed) policy set to try (default: $PORTCULLIS_POLICIES or ./policies)')
    .option('--baseline <path>', 'compare with this policy set instead of the verdicts recorded in the log')
    .option('--fail-on-change', 'exit 1 when any block is added or removed (for CI on policy changes)')
    .option('--json', 'print the summary as JSON (with up to 1000 individual changes)')
    .addHelpText('after', '\nA progress line is shown on standard error when it is a terminal.\nExit codes: 0 done, 1 the policies have problems (or --fail-on-change saw a change), 2 the log is invalid.')
    .action(async (opts: { log: string; policies?: string; baseline?: string; failOnChange?: boolean; json?: boolean }) => {
      try {
        const set = loadOrExit(opts.policies ?? defaultPath(), !!opts.json);
        const baseline = opts.baseline ? loadOrExit(opts.baseline, !!opts.json) : undefined;
        const replay = new Replay(set, baseline);
        const total = opts.log === '-' ? 0 : statSafe(opts.log);
        const stream = opts.log === '-' ? process.stdin : createReadStream(opts.log);
        stream.on('error', (err: Error) => {
          process.stderr.write(`portcullis: cannot read ${opts.log}: ${err.message}  [PC_ERR_POLICY_INPUT]\n`);
          process.exit(EXIT_CONFIG);
        });
        const tty = process.stderr.isTTY === true;
        let bytes = 0;
        let line = 0;
        let lastDraw = 0;
        const bad: string[] = [];
        for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
          line++;
          bytes += Buffer.byteLength(text) + 1;
          if (text.trim() === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (err) {
            bad.push(`${opts.log}:${line}: not JSON: ${(err as Error).message}`);
            continue;
          }
          const { record, problems } = toEventRecord(value, { requireAt: true });
          if (!record) {
            bad.push(`${opts.log}:${line}: ${problems.join('; ')}`);
            continue;
          }
          replay.add(record, line);
          if (tty && Date.now() - lastDraw > 100) {
            lastDraw = Date.now();
            const pct = total > 0 ? ` ${Math.min(100, Math.floor((bytes / total) * 100))}%` : '';
            process.stderr.write(`\rreplaying${pct}  ${line} lines`);
          }
        }
        if (tty) process.stderr.write(`\rreplayed ${line} lines${' '.repeat(20)}\n`);
        if (bad.length > 0) {
          process.stderr.write(`${bad.slice(0, 20).join('\n')}\n${bad.length} invalid line(s)  [PC_ERR_POLICY_INPUT]\n`);
          process.exit(EXIT_CONFIG);
        }
        const summary = replay.summary();
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatReplay(summary));
        process.exitCode = opts.failOnChange && summary.added + summary.removed > 0 ? EXIT_RUNTIME : 0;
      } catch (err) {
        reportAndExit(err);
      }
    });

  policy
    .command('schema')
    .description('Print the JSON Schema of policy files (editors: # yaml-language-server: $schema=./portcullis-policy.schema.json).')
    .option('--write <file>', 'write it to this file instead of standard output')
    .action((opts: { write?: string }) => {
      if (opts.write) writeFileSync(opts.write, policySchemaJson());
      else process.stdout.write(policySchemaJson());
    });
}

function statSafe(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
