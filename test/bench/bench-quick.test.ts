/**
 * `npm run bench -- --quick` is exercised here only for "it runs and prints every variant with its
 * ratios". Never a performance threshold: this machine runs other test files beside it, so its figures
 * mean nothing here (docs/performance.md has the method and the real table).
 *
 * The build has run (`pretest`): the bench and its bare proxies are dist/bench/*.js.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/processes';

const BENCH = path.join(REPO_ROOT, 'dist', 'bench', 'bench.js');
const VARIANTS = ['direct', 'bare-http-proxy', 'bare-undici', 'gateway'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBench(args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    // On timeout execFile sends SIGTERM; the bench then stops every child it started.
    execFile(process.execPath, [BENCH, ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

beforeAll(() => {
  if (!existsSync(BENCH)) throw new Error(`${BENCH} is missing: run \`npm run build\` (npm test does it in pretest)`);
});

test('--help explains the options and exits 0; a bad option exits 2', async () => {
  const help = await runBench(['--help'], 20_000);
  expect(help.code).toBe(0);
  for (const option of ['--quick', '--json', '--scenario', '--connections', '--duration', '--rounds']) expect(help.stdout).toContain(option);
  const bad = await runBench(['--rounds', 'many'], 20_000);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--rounds');
});

test('--quick --json runs every variant and prints numeric ratios', async () => {
  const run = await runBench(['--quick', '--json'], 150_000);
  const context = `exit ${run.code}\n--- stderr ---\n${run.stderr.slice(-8000)}`;
  if (run.code !== 0) throw new Error(`bench failed: ${context}`);

  const result = JSON.parse(run.stdout) as {
    kind: string;
    machine: { nproc: unknown; node: unknown };
    config: { quick: unknown; rounds: unknown };
    variants: Array<{
      name: string;
      sanity: { status: number | null };
      rps: unknown;
      p50Ms: unknown;
      p99Ms: unknown;
      rssMb: unknown;
      cpuUsPerRequest: unknown;
      machineBusyPercent: unknown;
      responses: number;
      rounds: unknown[];
      ratios: { direct: unknown; bareHttpProxy: unknown; bareUndici: unknown };
    }>;
  };
  expect(result.kind).toBe('portcullis-bench');
  // Where the figures came from.
  expect(isNumber(result.machine.nproc)).toBe(true);
  expect(result.machine.node).toBe(process.version);
  expect(result.config.quick).toBe(true);

  expect(result.variants.map((v) => v.name)).toEqual(VARIANTS);
  // Every problem at once, each naming its variant; the bench's stderr goes with them.
  const problems: string[] = [];
  for (const variant of result.variants) {
    // The request went through and was answered as the portal answers it (a 403 measured fast is no
    // passthrough), and load was applied in every round.
    if (variant.sanity.status !== 200) problems.push(`${variant.name}: sanity request answered ${variant.sanity.status}`);
    if (variant.rounds.length !== result.config.rounds) problems.push(`${variant.name}: ${variant.rounds.length} rounds`);
    if (!(variant.responses > 0)) problems.push(`${variant.name}: no responses`);
    for (const key of ['rps', 'p50Ms', 'p99Ms', 'rssMb', 'cpuUsPerRequest', 'machineBusyPercent'] as const) {
      if (!isNumber(variant[key])) problems.push(`${variant.name}: ${key} is ${String(variant[key])}`);
    }
    // Per-request CPU is positive, and the machine was busy at least with this load, never past 100%.
    if (isNumber(variant.cpuUsPerRequest) && !(variant.cpuUsPerRequest > 0)) problems.push(`${variant.name}: cpuUsPerRequest ${variant.cpuUsPerRequest}`);
    if (isNumber(variant.machineBusyPercent) && !(variant.machineBusyPercent > 0 && variant.machineBusyPercent <= 100)) problems.push(`${variant.name}: machineBusyPercent ${variant.machineBusyPercent}`);
    for (const key of ['direct', 'bareHttpProxy', 'bareUndici'] as const) {
      const value = variant.ratios[key];
      if (!(isNumber(value) && value > 0)) problems.push(`${variant.name}: ratio ${key} is ${String(value)}`);
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n--- JSON ---\n${run.stdout.slice(0, 6000)}\n${context}`);
  expect(result.variants[0]?.ratios.direct).toBe(1);
}, 180_000);
