/**
 * `npm run bench`: the gateway measured side by side with what ops would otherwise put in front of a
 * portal, in one process tree on this machine.
 *
 * Variants (each its own child process, the same request, the same connections):
 *   direct           the portal simulator itself (the ceiling)
 *   bare-http-proxy  http-proxy on a Node http server with its defaults: a backend connection per
 *                    request (bench/bare-http-proxy.ts); issue 8's reference
 *   http-proxy-keepalive  the same with a keep-alive agent (tuned; not in --quick)
 *   bare-undici      a Node http server + undici.Pool, streamed (bench/bare-undici.ts)
 *   gateway          `portcullis serve` (bin/portcullis.js), the repository's policies/, memory store
 *                    (or --store redis)
 *
 * Method, in order: start everything; one sanity request per variant (status and size are reported);
 * a warm-up per variant; then R rounds, each measuring every variant for D seconds, the order rotated
 * from round to round so that no variant always runs first or last. autocannon is the load generator,
 * in this process. Per round: requests/s (completed responses / elapsed), p50 and p99 of every response's
 * latency (µs resolution, all statuses), the target's RSS (VmRSS of its process tree, read after the
 * round) and its CPU share. The table gives the median over rounds and the ratios of medians.
 *
 * The load generator shares the machine with what it measures: figures are comparable within one run,
 * not across machines. Ratios are what matter; nothing here asserts a threshold.
 */
import { existsSync, readFileSync, readdirSync, mkdtempSync, rmSync, openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import http from 'node:http';
import autocannon from 'autocannon';
import YAML from 'yaml';
import { dayMain } from './day/day';
import { measurePolicyReload, renderReloadFigures } from './policy-reload';
import {
  CLI_PATH,
  REPO_ROOT,
  freePort,
  spawnProcess,
  startGatewayProcess,
  startRedisServer,
  startSimProcess,
  stopAll,
  type ManagedProcess,
} from '../test/helpers/processes';

// ---------------------------------------------------------------------------------------------------
// Options

const VARIANTS = ['direct', 'bare-http-proxy', 'http-proxy-keepalive', 'bare-undici', 'gateway'] as const;
type VariantName = (typeof VARIANTS)[number];
const SCENARIOS = ['rest', 'static', 'login'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

interface BenchOptions {
  readonly scenario: ScenarioName;
  readonly connections: number;
  readonly durationS: number;
  readonly rounds: number;
  readonly warmupS: number;
  /** Offered load in requests/s over all connections (autocannon overallRate); null = as fast as possible. */
  readonly rate: number | null;
  readonly store: 'memory' | 'redis';
  readonly variants: readonly VariantName[];
  readonly json: boolean;
  readonly quick: boolean;
  readonly seedFile: string | null;
  readonly gatewayEnv: Readonly<Record<string, string>>;
}

const HELP = `Usage: npm run bench -- [options]     (or: node dist/bench/bench.js [options] after a build)

Runs the portal simulator directly, a bare http-proxy passthrough, a bare undici passthrough and the
gateway, alternating, and prints requests/s, the ratios between them, p50/p99 latency and RSS.

  --scenario rest|static|login|day
                          rest: GET /rest/1/{code}/user.current.json with the seed's webhook (default)
                          day: a generated day of ordinary traffic and attacks, and its confusion
                          matrix (its own options: --scenario day --help)
                          login: POST /auth/?login=yes with a wrong password (the login path)
                          static: GET /bitrix/js/main/core.js
  --connections N         concurrent connections (default 50)
  --duration S            seconds per measured round (default 5; --quick: 2)
  --rounds N              measured rounds per variant (default 5; --quick: 2)
  --warmup S              warm-up seconds per variant before the rounds (default 2; --quick: 1)
  --rate N                offered load, requests/s over all connections (default: as fast as possible)
  --store memory|redis    the gateway's store; redis spawns a redis-server for the run (default memory)
  --only a,b              run only these variants (${VARIANTS.join(', ')};
                          bare-http-proxy uses http-proxy's defaults, a backend connection per request;
                          http-proxy-keepalive adds a keep-alive agent)
  --seed FILE             seed file for the simulator (default portal-sim/seed.yaml)
  --gateway-env K=V       extra environment for the gateway (repeatable)
  --quick                 2 rounds x 2 s, 1 s warm-up: well under a minute
  --json                  print the results as JSON on stdout (progress goes to stderr)
  -h, --help              this text

Figures are comparable within one run on one machine; ratios are what matter.`;

function positiveNumber(raw: string | undefined, flag: string, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      store: { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string' },
      'gateway-env': { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help === true) return 'help';
  const quick = values.quick === true;
  const scenario = values.scenario ?? 'rest';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${scenario}"`);
  const store = values.store ?? 'memory';
  if (store !== 'memory' && store !== 'redis') throw new UsageError(`--store must be memory or redis, got "${store}"`);
  // --quick leaves out the tuned http-proxy: it is a reference for people, not for the smoke test.
  const variants = values.only === undefined ? VARIANTS.filter((v) => !(quick && v === 'http-proxy-keepalive')) : values.only.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  for (const v of variants) {
    if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`--only: unknown variant "${v}"; allowed: ${VARIANTS.join(', ')}`);
  }
  if (variants.length === 0) throw new UsageError('--only names no variant');
  const gatewayEnv: Record<string, string> = {};
  for (const pair of values['gateway-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--gateway-env expects KEY=VALUE, got "${pair}"`);
    gatewayEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    scenario: scenario as ScenarioName,
    connections: positiveNumber(values.connections, '--connections', 50, true),
    durationS: positiveNumber(values.duration, '--duration', quick ? 2 : 5, false),
    rounds: positiveNumber(values.rounds, '--rounds', quick ? 2 : 5, true),
    warmupS: values.warmup === '0' ? 0 : positiveNumber(values.warmup, '--warmup', quick ? 1 : 2, false),
    rate: values.rate === undefined ? null : positiveNumber(values.rate, '--rate', 0, false),
    store,
    variants: VARIANTS.filter((v) => variants.includes(v)),
    json: values.json === true,
    quick,
    seedFile: values.seed ?? null,
    gatewayEnv,
  };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios: the one request every variant gets

interface BenchRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** What the path means, printed in the header (secrets masked). */
  readonly label: string;
}

interface Scenario {
  readonly name: ScenarioName;
  /** Simulator flags: the bench measures proxies, not the portal's own limits, hash cost or request log. */
  readonly simArgs: readonly string[];
  request(seedFile: string): BenchRequest;
}

/** The first webhook of the portal `localhost`, from the seed (a list of portals or a map by host). */
export function seedWebhook(seedFile: string): { userId: number; code: string } {
  const doc = YAML.parse(readFileSync(seedFile, 'utf8')) as { portals?: unknown } | null;
  const portals = doc?.portals;
  let portal: unknown;
  if (Array.isArray(portals)) portal = portals.find((p: { host?: unknown; aliases?: unknown }) => p?.host === 'localhost');
  else if (portals !== null && typeof portals === 'object') portal = (portals as Record<string, unknown>)['localhost'];
  const hook = (portal as { webhooks?: Array<{ user_id?: unknown; code?: unknown }> } | undefined)?.webhooks?.[0];
  if (hook === undefined || typeof hook.code !== 'string' || typeof hook.user_id !== 'number') {
    throw new Error(`${seedFile}: no webhook (user_id, code) for portal "localhost"`);
  }
  return { userId: hook.user_id, code: hook.code };
}

const SCENARIO_TABLE: Readonly<Record<ScenarioName, Scenario>> = {
  rest: {
    name: 'rest',
    simArgs: ['--no-rest-limit', '--hash-cost-ms', '0', '--no-record'],
    request(seedFile) {
      const { userId, code } = seedWebhook(seedFile);
      return {
        method: 'GET',
        path: `/rest/${userId}/${code}/user.current.json`,
        headers: { host: 'localhost', accept: 'application/json' },
        label: `GET /rest/${userId}/<webhook code>/user.current.json (Host: localhost)`,
      };
    },
  },
  // A wrong password for a seeded user, from one client: the login path with every signal the default
  // policies read (device, geo, password strength, user history, counters, the held answer). The
  // policies soon deny this client (step 1), and a denied attempt is still forwarded (the decoy is
  // the portal's own failure, asked with substituted credentials), so the work per request stays.
  login: {
    name: 'login',
    simArgs: ['--no-rest-limit', '--hash-cost-ms', '0', '--no-record'],
    request() {
      return {
        method: 'POST',
        path: '/auth/?login=yes',
        headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' },
        body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=Wrong-Passw0rd%21&backurl=%2Fcrm%2F',
        label: 'POST /auth/?login=yes, a wrong password for bob (Host: localhost)',
      };
    },
  },
  static: {
    name: 'static',
    simArgs: ['--no-rest-limit', '--hash-cost-ms', '0', '--no-record'],
    request() {
      return { method: 'GET', path: '/bitrix/js/main/core.js', headers: { host: 'localhost' }, label: 'GET /bitrix/js/main/core.js (Host: localhost)' };
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// /proc readings of a process tree (the target and any workers it forks)

const CLOCK_TICKS_PER_S = 100; // USER_HZ; 100 on every Linux that Node supports (getconf CLK_TCK)

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** pid and its descendants, found by scanning /proc once. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readProc(Number(entry), 'stat');
      if (stat === null) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    }
  } catch {
    return [root];
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Resident set of the tree in MB (VmRSS), or null when /proc cannot be read (not Linux). */
function treeRssMb(root: number): number | null {
  let kb = 0;
  let seen = false;
  for (const pid of processTree(root)) {
    const match = readProc(pid, 'status')?.match(/^VmRSS:\s+(\d+)\s+kB/m);
    if (match) {
      kb += Number(match[1]);
      seen = true;
    }
  }
  return seen ? kb / 1024 : null;
}

/**
 * Busy and total jiffies of the whole machine (all cores) from /proc/stat, or null off Linux. Busy is
 * everything but idle and iowait: the load generator, the portal, Redis and the target all count.
 */
function machineJiffies(): { busy: number; total: number } | null {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  } catch {
    return null;
  }
  if (!line.startsWith('cpu ')) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest time is already in user
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** User + system CPU seconds of the tree so far, or null off Linux. */
function treeCpuSeconds(root: number): number | null {
  let ticks = 0;
  let seen = false;
  for (const pid of processTree(root)) {
    const stat = readProc(pid, 'stat');
    if (stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0: utime is field 14 → index 11, stime 15 → 12.
    ticks += Number(fields[11]) + Number(fields[12]);
    seen = true;
  }
  return seen ? ticks / CLOCK_TICKS_PER_S : null;
}

// ---------------------------------------------------------------------------------------------------
// Measuring

interface RoundResult {
  readonly round: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly rssMb: number | null;
  /** The target's CPU use over the round, in % of one core. */
  readonly cpuPercent: number | null;
  /** The load generator's (this process's) CPU use over the round, in % of one core. */
  readonly loadGenCpuPercent: number;
  /** The whole machine's busy time over the round, in % of all its cores (100: nothing left idle). */
  readonly machineBusyPercent: number | null;
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

interface Target {
  readonly name: VariantName;
  readonly url: string;
  /** The process whose tree's RSS and CPU are read: the simulator for "direct". */
  readonly pid: number;
  readonly process: ManagedProcess;
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

// Shutdown state: the load running now (stopped on SIGINT), and the temporary folders to remove.
let currentLoad: autocannon.Instance | null = null;
let shuttingDown = false;
const cleanupDirs: string[] = [];

/** Thrown where the run stops because a signal asked for it; reported by the signal handler, not as a failure. */
class Aborted extends Error {}

function runLoad(target: Target, request: BenchRequest, options: BenchOptions, durationS: number, latencies: number[] | null): Promise<autocannon.Result> {
  if (shuttingDown) return Promise.reject(new Aborted('stopping'));
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${target.url}${request.path}`,
        method: request.method,
        headers: { ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
        connections: options.connections,
        duration: durationS,
        ...(options.rate !== null ? { overallRate: options.rate } : {}),
      },
      (err, result) => {
        currentLoad = null;
        if (err) reject(err);
        else resolve(result);
      },
    );
    currentLoad = instance;
    if (latencies !== null) {
      // Every response, whatever its status, at autocannon's own hrtime resolution (its histogram keeps
      // whole milliseconds of 2xx only, too coarse for a proxy's added latency).
      instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
        latencies.push(responseTimeMs);
      });
    }
  });
}

async function measureRound(target: Target, request: BenchRequest, options: BenchOptions, round: number): Promise<RoundResult> {
  const latencies: number[] = [];
  const cpuBefore = treeCpuSeconds(target.pid);
  const machineBefore = machineJiffies();
  const loadGenBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await runLoad(target, request, options, options.durationS, latencies);
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = treeCpuSeconds(target.pid);
  const machineAfter = machineJiffies();
  const loadGen = process.cpuUsage(loadGenBefore);
  const sorted = Float64Array.from(latencies).sort();
  const responses = result.requests.total;
  return {
    round,
    rps: responses / (result.duration > 0 ? result.duration : elapsedS),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    rssMb: treeRssMb(target.pid),
    cpuPercent: cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) / elapsedS) * 100 : null,
    loadGenCpuPercent: ((loadGen.user + loadGen.system) / 1e6 / elapsedS) * 100,
    machineBusyPercent:
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100
        : null,
    responses,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** One request outside the load, to show what each variant answers (a 403 measured fast is no win). */
function sanityRequest(target: Target, request: BenchRequest): Promise<{ status: number | null; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const url = new URL(`${target.url}${request.path}`);
    const req = http.request(
      { host: url.hostname, port: url.port, path: request.path, method: request.method, headers: request.headers, agent: false, timeout: 5000 },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? null, bytes }));
        res.on('error', (err) => resolve({ status: res.statusCode ?? null, bytes, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', (err) => resolve({ status: null, bytes: 0, error: err.message }));
    req.end(request.body);
  });
}

function median(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const mid = Math.floor(present.length / 2);
  return present.length % 2 === 1 ? (present[mid] as number) : ((present[mid - 1] as number) + (present[mid] as number)) / 2;
}

const maxOf = (values: readonly (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
};

const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);

/** Counts newline characters of a file without reading it whole. */
function countLines(file: string): number | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      for (let i = 0; i < read; i += 1) if (chunk[i] === 10) lines += 1;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------
// Reporting

interface VariantSummary {
  readonly name: VariantName;
  readonly pid: number;
  readonly sanity: { status: number | null; bytes: number; error?: string };
  readonly rps: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** p99 minus the direct variant's p99 (what this hop adds at the tail). */
  readonly addedP99Ms: number | null;
  readonly ratios: { readonly direct: number | null; readonly bareHttpProxy: number | null; readonly bareUndici: number | null };
  readonly p99Ratios: { readonly direct: number | null; readonly bareHttpProxy: number | null; readonly bareUndici: number | null };
  readonly rssMb: number | null;
  readonly rssMbAfterRounds: readonly (number | null)[];
  readonly cpuPercent: number | null;
  /**
   * The target's CPU time per answered request, in µs (all its threads). Less sensitive to what else
   * runs than requests/s: the honest cost of the hop when the machine is saturated.
   */
  readonly cpuUsPerRequest: number | null;
  readonly loadGenCpuPercent: number | null;
  readonly machineBusyPercent: number | null;
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly rounds: readonly RoundResult[];
}

interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly loadAverage1m: number;
  readonly tools: Readonly<Record<string, string>>;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function describeMachine(): Machine {
  return {
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    tools: { autocannon: packageVersion('autocannon'), undici: packageVersion('undici'), 'http-proxy': packageVersion('http-proxy') },
  };
}

function fmt(value: number | null, digits: number): string {
  return value === null ? '—' : value.toFixed(digits);
}

function renderTable(machine: Machine, options: BenchOptions, request: BenchRequest, summaries: readonly VariantSummary[], notes: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`# Portcullis bench — ${new Date().toISOString()}`);
  lines.push(`# machine: nproc ${machine.nproc} (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.platform}; node ${machine.node}; load avg at start ${machine.loadAverage1m}`);
  lines.push(`# load: autocannon ${machine.tools.autocannon} in the bench process, same machine; ${options.connections} connections; ${options.rate === null ? 'as fast as possible' : `${options.rate} req/s offered`}`);
  lines.push(`# method: ${options.rounds} rounds x ${options.durationS} s per variant, order rotated each round, ${options.warmupS} s warm-up each; medians over rounds`);
  lines.push(`# scenario ${options.scenario}: ${request.label}; gateway store: ${options.store}; undici ${machine.tools.undici}, http-proxy ${machine.tools['http-proxy']}`);
  lines.push('');
  const header = ['variant', 'rps', 'x direct', 'x http-proxy', 'x undici', 'p50 ms', 'p99 ms', 'p99 x http-proxy', 'p99 x undici', '+p99 ms', 'RSS MB', 'cpu %', 'cpu µs/req', 'machine busy %', 'err/non-2xx', 'status'];
  const rows = summaries.map((s) => [
    s.name,
    fmt(s.rps, 0),
    fmt(s.ratios.direct, 2),
    fmt(s.ratios.bareHttpProxy, 2),
    fmt(s.ratios.bareUndici, 2),
    fmt(s.p50Ms, 2),
    fmt(s.p99Ms, 2),
    fmt(s.p99Ratios.bareHttpProxy, 2),
    fmt(s.p99Ratios.bareUndici, 2),
    fmt(s.addedP99Ms, 2),
    fmt(s.rssMb, 1),
    fmt(s.cpuPercent, 0),
    fmt(s.cpuUsPerRequest, 0),
    fmt(s.machineBusyPercent, 0),
    `${s.errors}/${s.non2xx}`,
    s.sanity.status === null ? `(${s.sanity.error ?? 'no answer'})` : String(s.sanity.status),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  lines.push(line(header));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) lines.push(line(row));
  lines.push('');
  lines.push('rps per round (in the order measured):');
  for (const s of summaries) lines.push(`  ${s.name.padEnd(16)} ${s.rounds.map((r) => r.rps.toFixed(0)).join('  ')}`);
  const loadGen = median(summaries.map((s) => s.loadGenCpuPercent));
  lines.push('');
  lines.push('x …: requests/s relative to that variant (higher is better). p99 x …: p99 latency relative to it (lower is better).');
  lines.push(`+p99 ms: p99 minus direct's p99, what the hop adds at the tail. status: the answer to one request before the load.`);
  lines.push(`RSS: VmRSS of the target's process tree after each round, max shown (direct = the simulator). cpu %: the target's, of one core.`);
  lines.push(`cpu µs/req: the target's CPU time (all its threads) per answer. machine busy %: every process on the machine, of all ${machine.nproc} cores;`);
  lines.push(`  near 100 % means the machine, not the target alone, set the pace: then a variant is faster only by costing fewer µs.`);
  lines.push(`Load generator cpu: median ${fmt(loadGen, 0)} % of one core — near 100 % means autocannon, not the target, set the pace.`);
  for (const note of notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Main

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

async function startTargets(options: BenchOptions, scenario: Scenario, workDir: string, notes: string[]): Promise<{ targets: Target[]; gatewayLog: string | null }> {
  const distDir = __dirname; // dist/bench after a build
  log(`starting the portal simulator (${scenario.simArgs.join(' ')})`);
  const sim = await startSimProcess({
    ...(options.seedFile !== null ? { seedFile: options.seedFile } : {}),
    extraArgs: scenario.simArgs,
    stdout: 'ignore',
  });
  const targets: Target[] = [];
  if (options.variants.includes('direct')) targets.push({ name: 'direct', url: sim.url, pid: sim.pid, process: sim });

  const startBare = async (name: 'bare-http-proxy' | 'http-proxy-keepalive' | 'bare-undici'): Promise<void> => {
    const script = path.join(distDir, `${name === 'http-proxy-keepalive' ? 'bare-http-proxy' : name}.js`);
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    const port = await freePort();
    log(`starting ${name}`);
    const proc = await spawnProcess({
      name,
      args: [script, '--listen', `127.0.0.1:${port}`, '--target', sim.url, ...(name === 'http-proxy-keepalive' ? ['--keepalive'] : [])],
      // Ready when a request goes through it to the simulator.
      readyUrl: `http://127.0.0.1:${port}/__sim/healthz`,
      timeoutMs: 15_000,
    });
    targets.push({ name, url: `http://127.0.0.1:${port}`, pid: proc.pid, process: proc });
  };
  if (options.variants.includes('bare-http-proxy')) await startBare('bare-http-proxy');
  if (options.variants.includes('http-proxy-keepalive')) await startBare('http-proxy-keepalive');
  if (options.variants.includes('bare-undici')) await startBare('bare-undici');

  let gatewayLog: string | null = null;
  if (options.variants.includes('gateway')) {
    let redisUrl: string | undefined;
    if (options.store === 'redis') {
      log('starting redis-server for the gateway');
      redisUrl = (await startRedisServer()).url;
    }
    // The gateway logs one JSON line per request. A file (not a pipe into this process) keeps the load
    // generator's CPU out of it, and still costs the gateway its real write; the line count is reported.
    gatewayLog = path.join(workDir, 'gateway.log');
    log(`starting the gateway (${CLI_PATH} serve, store ${options.store})`);
    // The gateway's mirror of the portal's REST bucket would refuse the bench's flood (the simulator's
    // own bucket is off too): limits above the offered load, as issue 8 measures.
    const configFile = path.join(workDir, 'bench-config.yaml');
    writeFileSync(configFile, 'portalDefaults:\n  rest:\n    limit: { burst: 0 }\n');
    const gateway = await startGatewayProcess({
      upstream: sim.url,
      stateDir: path.join(workDir, 'state'),
      ...(redisUrl !== undefined ? { redisUrl } : {}),
      env: { PORTCULLIS_CONFIG: configFile, ...options.gatewayEnv },
      stdout: { file: gatewayLog },
      timeoutMs: 30_000,
    });
    targets.push({ name: 'gateway', url: gateway.url, pid: gateway.pid, process: gateway });
  }
  if (Object.keys(options.gatewayEnv).length > 0) notes.push(`gateway env: ${Object.keys(options.gatewayEnv).join(', ')}`);
  return { targets, gatewayLog };
}

function summarise(target: Target, sanity: VariantSummary['sanity'], rounds: readonly RoundResult[]): Omit<VariantSummary, 'ratios' | 'p99Ratios' | 'addedP99Ms'> {
  return {
    name: target.name,
    pid: target.pid,
    sanity,
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    rssMb: maxOf(rounds.map((r) => r.rssMb)),
    rssMbAfterRounds: rounds.map((r) => r.rssMb),
    cpuPercent: median(rounds.map((r) => r.cpuPercent)),
    cpuUsPerRequest: median(rounds.map((r) => (r.cpuPercent !== null && r.rps > 0 ? (r.cpuPercent / 100 / r.rps) * 1e6 : null))),
    loadGenCpuPercent: median(rounds.map((r) => r.loadGenCpuPercent)),
    machineBusyPercent: median(rounds.map((r) => r.machineBusyPercent)),
    responses: rounds.reduce((n, r) => n + r.responses, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    timeouts: rounds.reduce((n, r) => n + r.timeouts, 0),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    rounds,
  };
}

async function run(options: BenchOptions): Promise<void> {
  const machine = describeMachine();
  const scenario = SCENARIO_TABLE[options.scenario];
  const seedFile = options.seedFile ?? path.join(REPO_ROOT, 'portal-sim', 'seed.yaml');
  const request = scenario.request(seedFile);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-bench-'));
  cleanupDirs.push(workDir);
  const notes: string[] = [];

  log(`machine: nproc ${machine.nproc}, node ${machine.node}; ${options.rounds} rounds x ${options.durationS} s, ${options.connections} connections`);
  const { targets, gatewayLog } = await startTargets(options, scenario, workDir, notes);

  const sanity = new Map<VariantName, VariantSummary['sanity']>();
  for (const target of targets) {
    const answer = await sanityRequest(target, request);
    sanity.set(target.name, answer);
    if (answer.status === null || answer.status < 200 || answer.status >= 300) {
      notes.push(`${target.name} answered the sanity request with ${answer.status ?? answer.error ?? 'nothing'}: its figures are not a passthrough's`);
    }
  }
  const directSanity = sanity.get('direct');
  for (const [name, answer] of sanity) {
    if (directSanity !== undefined && name !== 'direct' && answer.status === directSanity.status && Math.abs(answer.bytes - directSanity.bytes) > 64) {
      notes.push(`${name} answered ${answer.bytes} bytes where direct answered ${directSanity.bytes}`);
    }
  }

  const ensureAlive = (target: Target): void => {
    // On Ctrl-C the children get the SIGINT too and may exit first: that is no failure.
    if (shuttingDown) throw new Aborted('stopping');
    if (!target.process.isRunning()) throw new Error(`${target.name} exited during the bench\n--- output ---\n${target.process.output()}`);
  };

  if (options.warmupS > 0) {
    for (const target of targets) {
      log(`warm-up ${target.name} (${options.warmupS} s)`);
      await runLoad(target, request, options, options.warmupS, null);
      ensureAlive(target);
    }
  }

  const rounds = new Map<VariantName, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= options.rounds; round += 1) {
    // Rotate the order so that each variant takes each position (first, last) across rounds.
    const offset = (round - 1) % targets.length;
    const order = [...targets.slice(offset), ...targets.slice(0, offset)];
    for (const target of order) {
      const result = await measureRound(target, request, options, round);
      ensureAlive(target);
      (rounds.get(target.name) as RoundResult[]).push(result);
      log(`round ${round}/${options.rounds} ${target.name.padEnd(15)} ${result.rps.toFixed(0).padStart(7)} rps  p99 ${fmt(result.p99Ms, 2)} ms  rss ${fmt(result.rssMb, 1)} MB  errors ${result.errors} non-2xx ${result.non2xx}`);
    }
  }

  const partial = targets.map((t) => summarise(t, sanity.get(t.name) ?? { status: null, bytes: 0 }, rounds.get(t.name) ?? []));
  const byName = (name: VariantName) => partial.find((s) => s.name === name);
  const summaries: VariantSummary[] = partial.map((s) => ({
    ...s,
    ratios: { direct: ratio(s.rps, byName('direct')?.rps ?? null), bareHttpProxy: ratio(s.rps, byName('bare-http-proxy')?.rps ?? null), bareUndici: ratio(s.rps, byName('bare-undici')?.rps ?? null) },
    p99Ratios: { direct: ratio(s.p99Ms, byName('direct')?.p99Ms ?? null), bareHttpProxy: ratio(s.p99Ms, byName('bare-http-proxy')?.p99Ms ?? null), bareUndici: ratio(s.p99Ms, byName('bare-undici')?.p99Ms ?? null) },
    addedP99Ms: s.p99Ms !== null && byName('direct')?.p99Ms != null ? s.p99Ms - (byName('direct')?.p99Ms as number) : null,
  }));

  let gatewayLogLines: number | null = null;
  if (gatewayLog !== null) {
    gatewayLogLines = countLines(gatewayLog);
    const gw = summaries.find((s) => s.name === 'gateway');
    if (gw !== undefined && gatewayLogLines !== null) {
      notes.push(`gateway log: ${gatewayLogLines} lines (${(statSync(gatewayLog).size / 2 ** 20).toFixed(1)} MiB) for ${gw.responses} measured responses plus warm-up`);
    }
  }

  const reload = measurePolicyReload(options.quick ? [1, 100, 500] : [1, 10, 100, 500], options.quick ? 3 : 5);

  if (options.json) {
    const out = {
      kind: 'portcullis-bench',
      version: 1,
      at: new Date().toISOString(),
      machine,
      config: { scenario: options.scenario, request: request.label, connections: options.connections, durationS: options.durationS, rounds: options.rounds, warmupS: options.warmupS, rate: options.rate, store: options.store, quick: options.quick },
      variants: summaries,
      gatewayLogLines,
      policyReload: reload,
      notes,
    };
    // Three decimals are more than the method resolves; keep the JSON readable.
    const tidy = (_key: string, value: unknown): unknown => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value);
    process.stdout.write(`${JSON.stringify(out, tidy, 2)}\n`);
  } else {
    process.stdout.write(`${renderTable(machine, options, request, summaries, notes)}\n\n${renderReloadFigures(reload)}\n`);
  }
}

// Shutdown: every child and temporary folder goes, on success, on failure and on SIGINT/SIGTERM.
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  currentLoad?.stop();
  try {
    await stopAll();
  } finally {
    for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  // The day is not a throughput race between proxies: it has its own options and report (bench/day/).
  const at = argv.indexOf('--scenario');
  if ((at !== -1 && argv[at + 1] === 'day') || argv.includes('--scenario=day')) return dayMain(argv);
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every child`);
      void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await run(options);
    return 0;
  } catch (err) {
    if (err instanceof Aborted || shuttingDown) return 130;
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    await shutdown().catch((err: unknown) => process.stderr.write(`bench: cleanup: ${(err as Error).message}\n`));
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
