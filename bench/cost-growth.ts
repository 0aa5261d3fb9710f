/**
 * `node dist/bench/cost-growth.js [--quick] [--json] [--only policy|store]` (issue 8: how the cost
 * grows with the number of rules, counters and distinct keys).
 *
 * In this process, with the gateway's own code (no mocks):
 *
 *   1. Policy evaluation vs rules. Generated sets of 1, 10, 100 and 500 login rules (the generator of
 *      bench/policy-reload.ts, so reload and evaluation are measured on the same sets) are loaded with
 *      the PolicyReloader; one login attempt is evaluated (`evaluate(set, 'attempt', 'login', …)`, as
 *      the score stage calls it) in batches, and the median batch gives µs per evaluation. The
 *      repository's policies/ are measured too: a login attempt and a REST call (the hot path).
 *
 *   2. Store counters vs distinct keys. The counter operations of a failed login are built from the
 *      default policies exactly as the sense and observe stages build them (planFor + counterBatch):
 *      the attempt batch, then the outcome (login.failed) batch. A store is filled with the adds of
 *      distinct failed logins (distinct user, address, device) until N distinct counter keys exist;
 *      then the latency of both batches is measured on logins of that population, one call in flight.
 *        - memory store (MemoryStore, maxCounterKeys from the defaults): each size runs in a child
 *          process (`--expose-gc`), so its RSS is its own and not what an earlier size left behind;
 *        - Redis store (RedisStore) against a redis-server spawned here on a free port, FLUSHALL
 *          between sizes; its memory is Redis' own `used_memory`.
 *
 * Nothing here asserts a timing: the figures are printed (markdown tables, or JSON with --json).
 * Run it under `nice -n 19` on a shared machine.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEFAULT_STORE_OPTIONS } from '../gateway/config/defaults';
import { evaluate } from '../gateway/decision/evaluate';
import { systemClock } from '../gateway/lib/clock';
import { ipPrefix } from '../gateway/lib/ip';
import { userId } from '../gateway/lockout/subjects';
import { counterBatch } from '../gateway/pipeline/sense/counter-ops';
import { planFor } from '../gateway/pipeline/sense/plan';
import type { CompiledPolicySet } from '../gateway/policy/compiled';
import { PolicyReloader } from '../gateway/policy/reloader';
import type { CounterKeys } from '../gateway/signals/counters/events';
import { keyedHash } from '../gateway/signals/keyed-hash';
import { MemoryStore } from '../gateway/store/memory/memory-store';
import type { CounterOp, Store } from '../gateway/store/port';
import { RedisStore } from '../gateway/store/redis/redis-store';
import { REPO_ROOT, startRedisServer, tempDir } from '../test/helpers/processes';
import { runMain, UsageError } from './run-main';
import { writeGeneratedPolicies } from './policy-reload';

const USAGE = `usage: node dist/bench/cost-growth.js [options]

How the gateway's cost grows with rules and distinct counter keys (issue 8), in process.

  --quick         a smoke test under 30 s: keys 1k/10k, shorter batches
  --json          one JSON object on stdout instead of markdown tables
  --only WHAT     only "policy" (evaluation vs rules) or "store" (counters vs keys)
  --help          this text

Run it under \`nice -n 19\` on a shared machine. Needs redis-server on PATH for the Redis rows.`;

interface Options {
  readonly quick: boolean;
  readonly json: boolean;
  readonly policy: boolean;
  readonly store: boolean;
}

/** Thrown for a bad command line: printed with the usage, exit code 2. */

function options(argv: readonly string[]): Options | 'help' {
  let values: { quick?: boolean; json?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (values.only !== undefined && values.only !== 'policy' && values.only !== 'store') throw new UsageError(`--only must be "policy" or "store", not "${values.only}"`);
  return { quick: values.quick === true, json: values.json === true, policy: values.only !== 'store', store: values.only !== 'policy' };
}

// ---------------------------------------------------------------------------------------------------
// Timing helpers

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 0.5);

/**
 * µs per call of `run`: batches sized to about `batchMs` each (calibrated after a warm-up, so the JIT
 * has settled). The median batch shrugs off a GC or another process' burst; the best batch is the
 * closest to the code's own cost on a machine that others share.
 */
function microsPerCall(run: () => void, batches: number, batchMs: number): { median: number; best: number } {
  for (let i = 0; i < 2_000; i++) run();
  const t0 = performance.now();
  for (let i = 0; i < 500; i++) run();
  const perCallMs = (performance.now() - t0) / 500;
  const perBatch = Math.max(200, Math.round(batchMs / Math.max(perCallMs, 1e-6)));
  const results: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    results.push(((performance.now() - start) * 1000) / perBatch);
  }
  return { median: median(results), best: Math.min(...results) };
}

// ---------------------------------------------------------------------------------------------------
// 1. Policy evaluation vs number of rules

export interface EvalFigure {
  readonly set: string;
  readonly kind: 'login' | 'rest';
  /** Rules evaluated for this kind and phase (the verdict's rule outcomes). */
  readonly rules: number;
  /** Read, compile and type-check of the set: the median of the PolicyReloader's reloads. */
  readonly loadMs: number;
  /** Median batch; `bestUsPerEval` is the best batch. */
  readonly usPerEval: number;
  readonly bestUsPerEval: number;
  readonly usPerRule: number;
}

/** A login attempt in the middle of an attack, as the sense stage leaves it: every group the login policies read. */
const LOGIN_ATTEMPT: Readonly<Record<string, unknown>> = {
  'request.portal': 'localhost',
  'request.kind': 'login',
  'request.method': 'POST',
  'request.ip': '11.0.0.7',
  'request.ip_prefix': '11.0.0.0/24',
  'request.hour_utc': 3,
  'device.known': false,
  'device.first_seen': true,
  'device.is_bot': false,
  'device.count_for_user': 0,
  'geo.country': 'US',
  'geo.known': true,
  'geo.new_country': true,
  'geo.travel_kmh': 0,
  'password.present': true,
  'password.length': 9,
  'password.common': true,
  'password.strength': 0,
  'user.known': true,
  'user.admin': false,
  'user.second_factor': false,
  'user.weak_password_seen': false,
};

/** A webhook call (the REST hot path). */
const REST_CALL: Readonly<Record<string, unknown>> = {
  'request.portal': 'localhost',
  'request.kind': 'rest',
  'request.method': 'GET',
  'request.ip': '192.0.2.10',
  'rest.principal': 'webhook',
  'rest.webhook_user': '1',
  'rest.method': 'user.current',
  'rest.batch_size': 1,
};

/**
 * The signals plus every counter the set reads. 7 is mid-attack: above some thresholds of the
 * generated rules (5–24) and below others, so matched and unmatched rules are both paid for.
 */
function withCounters(set: CompiledPolicySet, base: Readonly<Record<string, unknown>>, value: number): Record<string, unknown> {
  const signals: Record<string, unknown> = { ...base };
  for (const c of set.referencedCounters) signals[`counters.${c}`] = value;
  return signals;
}

/** The set as the gateway loads it, and the median of `reloads` reloads (the first load pays for cold code). */
function loadSet(dir: string, reloads = 0): { set: CompiledPolicySet; loadMs: number } {
  const reloader = PolicyReloader.start({ dir, clock: systemClock });
  if (!(reloader instanceof PolicyReloader)) throw new Error(`${dir}: policies do not load: ${reloader.problems[0]?.problem ?? 'no policy'}`);
  const times: number[] = [];
  for (let i = 0; i < reloads; i++) {
    const r = reloader.reload('admin_api');
    if (!r.ok) throw new Error(`${dir}: policies stopped loading`);
    times.push(r.durationMs);
  }
  return { set: reloader.current(), loadMs: times.length > 0 ? median(times) : reloader.lastResult().durationMs };
}

function measureEvaluation(name: string, set: CompiledPolicySet, loadMs: number, kind: 'login' | 'rest', signals: Record<string, unknown>, quick: boolean): EvalFigure {
  const sample = evaluate(set, 'attempt', kind, signals);
  // An error path (a missing counter, a wrong type) is cheaper than a real evaluation: refuse to time it.
  if (sample.errors.length > 0) throw new Error(`${name}: the ${kind} signals do not fit the set: ${sample.errors[0]!.rule}: ${sample.errors[0]!.error}`);
  const us = microsPerCall(() => evaluate(set, 'attempt', kind, signals), quick ? 5 : 9, quick ? 40 : 150);
  return { set: name, kind, rules: sample.rules.length, loadMs, usPerEval: us.median, bestUsPerEval: us.best, usPerRule: us.median / Math.max(1, sample.rules.length) };
}

function measureRules(ruleCounts: readonly number[], quick: boolean): EvalFigure[] {
  const figures: EvalFigure[] = [];
  const reloads = quick ? 1 : 3;
  for (const rules of ruleCounts) {
    const dir = tempDir('portcullis-cost-policies-');
    writeGeneratedPolicies(dir, rules);
    const { set, loadMs } = loadSet(dir, reloads);
    figures.push(measureEvaluation(`generated, ${rules} rule${rules === 1 ? '' : 's'}`, set, loadMs, 'login', withCounters(set, LOGIN_ATTEMPT, 7), quick));
  }
  const { set, loadMs } = loadSet(path.join(REPO_ROOT, 'policies'), reloads);
  figures.push(measureEvaluation('default policies/', set, loadMs, 'login', withCounters(set, LOGIN_ATTEMPT, 7), quick));
  figures.push(measureEvaluation('default policies/', set, loadMs, 'rest', withCounters(set, REST_CALL, 1), quick));
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// 2. Store counters vs distinct keys

const PORTAL = 'localhost';
const SECRET = 'cost-growth-bench-secret-0123456789';
const IP_PREFIX = { v4: 24, v6: 64 };

/** The counter keys of the i-th distinct failed login: its own user, address (walking 11.0.0.1 up) and device. */
function loginKeys(i: number): CounterKeys {
  const n = i + 1;
  const ip = `11.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  return {
    portal: PORTAL,
    user: userId(SECRET, PORTAL, `user-${i}@attack.example`),
    ip,
    ip_prefix: ipPrefix(ip, IP_PREFIX),
    device: keyedHash(SECRET, 'device_fingerprint', `attacker-device-${i}`),
  };
}

/** Unknown device: the `where: '!device.known'` filters of the default counters admit it. */
const ATTACK_SIGNALS = { 'device.known': false };

interface LoginOps {
  /** The sense stage's batch: the attempt event added, the attempt rules' counters read. */
  readonly attempt: readonly CounterOp[];
  /** The observe stage's batch after the portal refused: login.failed added, outcome counters read. */
  readonly outcome: readonly CounterOp[];
}

function loginOps(set: CompiledPolicySet, keys: CounterKeys): LoginOps {
  const plan = planFor(set, 'login');
  return {
    attempt: counterBatch(PORTAL, 'login.attempt', plan.attemptCounters, plan.readAtAttempt, keys, ATTACK_SIGNALS).ops,
    outcome: counterBatch(PORTAL, 'login.failed', plan.outcomeCounters, plan.readAtOutcome, keys, ATTACK_SIGNALS).ops,
  };
}

/**
 * How many counter keys `adds` creates that did not exist: a key naming this login's own user,
 * address or device is new by construction; the few shared ones (portal, /24) are remembered, so the
 * count needs no set of every key (which would itself weigh on the RSS being measured).
 */
function newKeys(adds: readonly CounterOp[], keys: CounterKeys, shared: Set<string>): number {
  const own = [keys.user, keys.ip, keys.device].map((v) => JSON.stringify(v));
  let created = 0;
  for (const op of adds) {
    if (own.some((v) => op.key.includes(v))) created++;
    else {
      const id = `${op.counter}\u0000${op.key}`;
      if (!shared.has(id)) {
        shared.add(id);
        created++;
      }
    }
  }
  return created;
}

interface FillResult {
  readonly logins: number;
  readonly keys: number;
  readonly seconds: number;
}

/** Adds distinct failed logins, `perCall` per counters() call and `inFlight` calls at once, until `target` keys exist. */
async function fill(store: Store, set: CompiledPolicySet, target: number, perCall: number, inFlight: number): Promise<FillResult> {
  const shared = new Set<string>();
  const started = performance.now();
  let logins = 0;
  let keys = 0;
  const nextCall = (): CounterOp[] | undefined => {
    if (keys >= target) return undefined;
    const ops: CounterOp[] = [];
    for (let k = 0; k < perCall && keys < target; k++) {
      const lk = loginKeys(logins++);
      const { attempt, outcome } = loginOps(set, lk);
      const adds = [...attempt, ...outcome].filter((op) => op.add !== undefined);
      keys += newKeys(adds, lk, shared);
      ops.push(...adds);
    }
    return ops;
  };
  const worker = async (): Promise<void> => {
    for (let ops = nextCall(); ops; ops = nextCall()) {
      const r = await store.counters(ops, systemClock.now(), { kind: 'login' });
      if (!r.ok) throw new Error(`${store.kind} store: counters() failed while filling`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { logins, keys, seconds: (performance.now() - started) / 1000 };
}

export interface LatencyFigure {
  readonly ops: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/**
 * The latency of a failed login's two batches, one call in flight, for logins of the population already
 * filled (spread over it): their adds land on existing keys, so the store stays at the size being
 * measured. Logins whose keys an LRU has forgotten create them again, as a returning attacker would.
 * The first calls warm the JIT and the connection and are not recorded.
 */
async function latency(store: Store, set: CompiledPolicySet, population: number, calls: number): Promise<{ attempt: LatencyFigure; outcome: LatencyFigure }> {
  const warmup = Math.min(200, Math.ceil(calls / 10));
  const a: number[] = [];
  const o: number[] = [];
  let opsA = 0;
  let opsO = 0;
  for (let i = 0; i < warmup + calls; i++) {
    const { attempt, outcome } = loginOps(set, loginKeys((i * 7919) % population));
    opsA = attempt.length;
    opsO = outcome.length;
    const ta = await timed(() => store.counters(attempt, systemClock.now(), { kind: 'login' }));
    const to = await timed(() => store.counters(outcome, systemClock.now(), { kind: 'login' }));
    if (i < warmup) continue;
    a.push(ta);
    o.push(to);
  }
  const figure = (values: number[], ops: number): LatencyFigure => {
    values.sort((x, y) => x - y);
    return { ops, p50Us: percentile(values, 0.5), p99Us: percentile(values, 0.99) };
  };
  return { attempt: figure(a, opsA), outcome: figure(o, opsO) };
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await call();
  return (performance.now() - t0) * 1000;
}

export interface StoreFigure {
  readonly store: 'memory' | 'redis';
  /** The size asked for. */
  readonly targetKeys: number;
  /** Distinct counter keys written (the target, slightly overshot by the last login). */
  readonly distinctKeys: number;
  readonly logins: number;
  /** Keys the store holds after the fill: the memory store's LRU size, Redis' DBSIZE. */
  readonly keysHeld: number;
  readonly fillSeconds: number;
  readonly attempt: LatencyFigure;
  readonly outcome: LatencyFigure;
  /** Memory store: the process' RSS after a GC, at the end (and before the fill); Redis: used_memory after the fill (and before). */
  readonly memoryMiB: number;
  readonly baselineMiB: number;
  readonly heapUsedMiB?: number;
}

const MiB = 1024 * 1024;

function gcAndRss(): { rss: number; heapUsed: number } {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss / MiB, heapUsed: m.heapUsed / MiB };
}

/** The child's side of a memory-store size: the whole measurement in a fresh process, one JSON line out. */
async function memoryChild(target: number, calls: number): Promise<StoreFigure> {
  const { set } = loadSet(path.join(REPO_ROOT, 'policies'));
  const store = await MemoryStore.open({
    clock: systemClock,
    origin: 'cost-growth',
    stateDir: null,
    maxCounterKeys: DEFAULT_STORE_OPTIONS.memory.maxCounterKeys,
    auditMaxPerPortal: DEFAULT_STORE_OPTIONS.auditMaxPerPortal,
    fsync: 'off',
    compactAfterBytes: DEFAULT_STORE_OPTIONS.journal.compactAfterBytes,
  });
  loginOps(set, loginKeys(0)); // plans and modules warmed before the baseline
  const before = gcAndRss();
  const filled = await fill(store, set, target, 64, 1);
  const keysHeld = store.counterKeys;
  const lat = await latency(store, set, filled.logins, calls);
  const after = gcAndRss();
  await store.close();
  return {
    store: 'memory',
    targetKeys: target,
    distinctKeys: filled.keys,
    logins: filled.logins,
    keysHeld,
    fillSeconds: filled.seconds,
    attempt: lat.attempt,
    outcome: lat.outcome,
    memoryMiB: after.rss,
    baselineMiB: before.rss,
    heapUsedMiB: after.heapUsed,
  };
}

const CHILD_FLAG = '--memory-store-child';

async function measureMemoryStore(target: number, calls: number): Promise<StoreFigure> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', __filename, CHILD_FLAG, String(target), String(calls)], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as StoreFigure;
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

async function measureRedisStore(store: RedisStore, set: CompiledPolicySet, target: number, calls: number): Promise<StoreFigure> {
  await store.client.flushall();
  const baseline = infoField(await store.client.info('memory'), 'used_memory') / MiB;
  const filled = await fill(store, set, target, 64, 4);
  const used = infoField(await store.client.info('memory'), 'used_memory') / MiB;
  const keysHeld = Number(await store.client.dbsize());
  const lat = await latency(store, set, filled.logins, calls);
  return { store: 'redis', targetKeys: target, distinctKeys: filled.keys, logins: filled.logins, keysHeld, fillSeconds: filled.seconds, attempt: lat.attempt, outcome: lat.outcome, memoryMiB: used, baselineMiB: baseline };
}

async function measureStores(sizes: readonly number[], calls: number, log: (msg: string) => void): Promise<StoreFigure[]> {
  const figures: StoreFigure[] = [];
  for (const n of sizes) {
    log(`memory store, ${n} keys`);
    figures.push(await measureMemoryStore(n, calls));
  }
  const redis = await startRedisServer();
  const { set } = loadSet(path.join(REPO_ROOT, 'policies'));
  // A generous command timeout: a fill call carries hundreds of ops, and the machine is shared.
  const store = await RedisStore.open({ kind: 'redis', url: redis.url }, { clock: systemClock, origin: 'cost-growth', commandTimeoutMs: 10_000, connectTimeoutMs: 5_000, auditMaxPerPortal: 10_000 });
  try {
    for (const n of sizes) {
      log(`redis store, ${n} keys`);
      figures.push(await measureRedisStore(store, set, n, calls));
    }
  } finally {
    await store.close();
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Output

const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const keysLabel = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

function renderEvaluation(figures: readonly EvalFigure[]): string {
  const rows = figures.map((f) => `| ${f.set} | ${f.kind} | ${f.rules} | ${fmt(f.usPerEval)} (${fmt(f.bestUsPerEval)}) | ${fmt(f.usPerRule, 2)} | ${fmt(f.loadMs)} |`);
  return [
    '| policy set | request | rules evaluated | µs per evaluation: median (best) batch | µs per rule (median) | load + compile, ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function renderStores(figures: readonly StoreFigure[]): string {
  const first = figures[0];
  const aOps = first?.attempt.ops ?? 0;
  const oOps = first?.outcome.ops ?? 0;
  const rows = figures.map((f) => {
    const memory = f.store === 'memory' ? `RSS ${fmt(f.memoryMiB, 0)} MiB (${fmt(f.baselineMiB, 0)} before; heap ${fmt(f.heapUsedMiB ?? NaN, 0)})` : `used_memory ${fmt(f.memoryMiB, 0)} MiB (${fmt(f.baselineMiB, 1)} before)`;
    return `| ${f.store} | ${keysLabel(f.targetKeys)} (${f.distinctKeys} keys, ${f.logins} logins) | ${f.keysHeld} | ${fmt(f.fillSeconds)} s | ${fmt(f.attempt.p50Us)} / ${fmt(f.attempt.p99Us)} | ${fmt(f.outcome.p50Us)} / ${fmt(f.outcome.p99Us)} | ${memory} |`;
  });
  return [
    `| store | distinct keys written | keys held after the fill | fill | attempt batch (${aOps} ops) p50 / p99, µs | outcome batch (${oOps} ops) p50 / p99, µs | memory |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === CHILD_FLAG) {
    process.stdout.write(`${JSON.stringify(await memoryChild(Number(argv[1]), Number(argv[2])))}\n`);
    return 0;
  }
  const opts = options(argv);
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (msg: string): void => {
    if (!opts.json) process.stderr.write(`[cost-growth ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  };
  const started = performance.now();
  const ruleCounts = [1, 10, 100, 500];
  const sizes = opts.quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000];
  const calls = opts.quick ? 300 : 3_000;

  log(opts.policy ? `policy evaluation: ${ruleCounts.join(', ')} rules and the default set` : 'policy evaluation skipped');
  const evaluation = opts.policy ? measureRules(ruleCounts, opts.quick) : [];
  const stores = opts.store ? await measureStores(sizes, calls, log) : [];
  const seconds = (performance.now() - started) / 1000;

  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, quick: opts.quick, maxCounterKeys: DEFAULT_STORE_OPTIONS.memory.maxCounterKeys, evaluation, stores, seconds }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  if (evaluation.length > 0) out.push('Policy evaluation, one attempt-phase evaluation (median and best of the batches):', '', renderEvaluation(evaluation), '');
  if (stores.length > 0) {
    out.push(
      `Store counters, one failed login's two batches, one call in flight (memory store: maxCounterKeys ${DEFAULT_STORE_OPTIONS.memory.maxCounterKeys}):`,
      '',
      renderStores(stores),
      '',
    );
  }
  out.push(`(${fmt(seconds, 0)} s in all)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

runMain('cost-growth', USAGE, main);
