/**
 * `node dist/bench/distinct-keys.js [--requests 1000000] [--store redis|memory] [--json]` (issue 8's
 * memory target: "flat (±10%) when 1M distinct attacking IPs and users have gone through on the Redis
 * store; on the memory store, bounded by its configured limit").
 *
 * Spawned here and stopped at the end, whatever happens: a redis-server on a free port (Redis mode
 * only), the portal simulator (no hash cost, no REST limit) and one gateway (`portcullis serve`, the
 * repository's policies, 127.0.0.1 trusted as a proxy so X-Forwarded-For sets the client address;
 * REDIS_URL in Redis mode, the embedded store with a temporary state folder in memory mode).
 *
 * Load: N wrong-password logins, `--concurrency` in flight over one undici Agent, each for a distinct
 * user name and from a distinct address: one in 16 from its own IPv6 /64, the others from IPv4
 * addresses in 11.0.0.0/8 walked so that consecutive requests fall in different /24s (the i-th request's
 * /24 is i mod 65536). Every request therefore touches new counter keys (user, address, /24 or /64)
 * and, as no address or network reaches the spraying thresholds, takes the full login path (history
 * read, counters, the portal's answer, the outcome counters) instead of a block's short cut.
 *
 * Reported: the gateway's RSS (/proc/<pid>/status VmRSS) and V8 heap (its /metrics) every
 * `--sample-every` requests, the RSS after the warm-up and at the end, the growth in between, requests
 * per second, answers by status, and Redis' used_memory. Exit code 1 when the RSS grew more than 10%
 * after the warm-up (either store), or when the gateway died; 2 for a bad command line.
 */
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Agent, request } from 'undici';
import { startGatewayProcess, startRedisServer, startSimProcess, type GatewayProcess, type RedisServer } from '../test/helpers/processes';
import { rssMiB, runMain, scrapeMetrics, UsageError } from './run-main';

const USAGE = `usage: node dist/bench/distinct-keys.js [options]

Drives N wrong-password logins, each from a distinct address and for a distinct user, through one
gateway, and follows the gateway's RSS (issue 8's memory target).

  --requests N        logins to send (default 1000000)
  --store KIND        redis (default: a redis-server spawned on a free port) or memory (the embedded store)
  --concurrency C     requests in flight (default 48)
  --warmup N          requests before the reference RSS (default 100000, or a quarter of --requests when smaller than 200000)
  --sample-every N    requests between RSS samples (default 50000, or a tenth of --requests when smaller than 200000)
  --json              one JSON object on stdout instead of the report
  --help              this text

Exit code 1 when the gateway's RSS grew more than 10% after the warm-up or the gateway died.
Run it under \`nice -n 19\` on a shared machine.`;

/** Issue 8: "flat (±10%)". */
const MAX_GROWTH = 0.1;
const ADMIN_TOKEN = 'distinct-keys-admin-token-0123456789';
const FORM = 'application/x-www-form-urlencoded';
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

interface Options {
  readonly requests: number;
  readonly store: 'redis' | 'memory';
  readonly concurrency: number;
  readonly warmup: number;
  readonly sampleEvery: number;
  readonly json: boolean;
}

/** Thrown for a bad command line: printed with the usage, exit code 2. */

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, not "${text}"`);
  return n;
}

function options(argv: readonly string[]): Options | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        requests: { type: 'string' },
        store: { type: 'string' },
        concurrency: { type: 'string' },
        warmup: { type: 'string' },
        'sample-every': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const store = (values.store as string | undefined) ?? 'redis';
  if (store !== 'redis' && store !== 'memory') throw new UsageError(`--store must be "redis" or "memory", not "${store}"`);
  const requests = positiveInt('--requests', values.requests as string | undefined, 1_000_000);
  const warmup = positiveInt('--warmup', values.warmup as string | undefined, requests >= 200_000 ? 100_000 : Math.ceil(requests / 4));
  const sampleEvery = positiveInt('--sample-every', values['sample-every'] as string | undefined, requests >= 200_000 ? 50_000 : Math.ceil(requests / 10));
  if (warmup >= requests) throw new UsageError(`--warmup (${warmup}) must be below --requests (${requests})`);
  return { requests, store, concurrency: positiveInt('--concurrency', values.concurrency as string | undefined, 48), warmup, sampleEvery, json: values.json === true };
}

// ---------------------------------------------------------------------------------------------------
// The attackers

/**
 * The i-th request's address. IPv4: 11.b.c.d with b.c = i mod 65536 and d = 1 + i / 65536, so
 * consecutive requests are in different /24s and a /24 sees one request in 65536 (16 in a million:
 * below spraying's 30 users per network and hour). One in 16 is IPv6, each from its own /64.
 */
export function attackerAddress(i: number): string {
  if (i % 16 === 15) return `2a01:4f8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
  return `11.${(i >>> 8) & 255}.${i & 255}.${1 + ((i >>> 16) % 254)}`;
}

function loginBody(i: number): string {
  return new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: `user-${i}@attack.example`, USER_PASSWORD: `Wrong-${i}-pw!` }).toString();
}

// ---------------------------------------------------------------------------------------------------
// Measurements of the gateway and Redis

const MiB = 1024 * 1024;


async function redisMemory(client: Redis | undefined): Promise<{ usedMiB: number; keys: number } | undefined> {
  if (!client) return undefined;
  try {
    const info = await client.info('memory');
    const used = /^used_memory:(\d+)/m.exec(info);
    return { usedMiB: used ? Number(used[1]) / MiB : NaN, keys: Number(await client.dbsize()) };
  } catch {
    return undefined;
  }
}

interface Sample {
  readonly requests: number;
  readonly atS: number;
  readonly rssMiB: number;
  /** V8's heap: used (live and not yet collected) and total (what V8 has reserved, the bulk of RSS). */
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Memory outside the V8 heap that it knows of (buffers: the geo data). */
  readonly externalMiB: number;
  readonly blocksActive: number;
  readonly redisUsedMiB?: number;
  readonly redisKeys?: number;
}

class Tally {
  readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  object(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => a[0].localeCompare(b[0])));
  }
}

// ---------------------------------------------------------------------------------------------------

interface Setup {
  readonly redis: RedisServer | undefined;
  readonly redisClient: Redis | undefined;
  readonly gateway: GatewayProcess;
}

async function setUp(opts: Options): Promise<Setup> {
  const redis = opts.store === 'redis' ? await startRedisServer() : undefined;
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true, stdout: 'ignore' });
  const gateway = await startGatewayProcess({
    upstream: sim.url,
    ...(redis ? { redisUrl: redis.url } : {}),
    env: { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32' },
    // A JSON line per request: written, as in production, but to nowhere, so the bench keeps nothing.
    stdout: 'ignore',
    timeoutMs: 60_000,
  });
  const redisClient = redis ? new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 }) : undefined;
  return { redis, redisClient, gateway };
}

interface RunResult {
  readonly samples: Sample[];
  readonly statuses: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly seconds: number;
}

async function drive(opts: Options, setup: Setup, log: (msg: string) => void): Promise<RunResult> {
  const { gateway } = setup;
  const agent = new Agent({ connections: opts.concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
  const statuses = new Tally();
  const errors = new Tally();
  const samples: Sample[] = [];
  const started = performance.now();
  let next = 0;
  let done = 0;
  let sampling: Promise<void> = Promise.resolve();

  const sample = async (requests: number): Promise<void> => {
    const atS = (performance.now() - started) / 1000;
    const rss = rssMiB(gateway.pid);
    const [metric, redis] = await Promise.all([scrapeMetrics(gateway.adminUrl, ADMIN_TOKEN), redisMemory(setup.redisClient)]);
    const heap = metric('nodejs_heap_size_used_bytes');
    const heapTotal = metric('nodejs_heap_size_total_bytes');
    const external = metric('nodejs_external_memory_bytes');
    const blocks = ['user', 'ip', 'ip_prefix'].map((k) => metric('portcullis_blocks_active', `kind="${k}"`));
    const s: Sample = {
      requests,
      atS,
      rssMiB: rss,
      heapUsedMiB: heap / MiB,
      heapTotalMiB: heapTotal / MiB,
      externalMiB: external / MiB,
      blocksActive: blocks.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0),
      ...(redis ? { redisUsedMiB: redis.usedMiB, redisKeys: redis.keys } : {}),
    };
    samples.push(s);
    log(`${String(requests).padStart(8)} requests  ${fmt(atS, 0).padStart(5)} s  RSS ${fmt(rss)} MiB  heap ${fmt(s.heapUsedMiB)} of ${fmt(s.heapTotalMiB)} MiB${redis ? `  redis ${fmt(redis.usedMiB)} MiB, ${redis.keys} keys` : ''}  ${fmt(requests / atS, 0)} req/s`);
  };

  const one = async (i: number): Promise<void> => {
    try {
      const res = await request(`${gateway.url}/auth/?login=yes`, {
        dispatcher: agent,
        method: 'POST',
        headers: { host: 'localhost', 'content-type': FORM, 'user-agent': BROWSER, 'x-forwarded-for': attackerAddress(i) },
        body: loginBody(i),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      await res.body.dump();
      statuses.add(String(res.statusCode));
    } catch (err) {
      errors.add((err as { code?: string }).code ?? (err as Error).name);
    }
  };

  const worker = async (): Promise<void> => {
    while (next < opts.requests && gateway.isRunning()) {
      await one(next++);
      done++;
      // Samples are taken in line with the load (one at a time), not by a timer, so they fall on round counts.
      if (done % opts.sampleEvery === 0 || done === opts.warmup) {
        const at = done;
        sampling = sampling.then(() => sample(at));
      }
    }
  };

  await sample(0);
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  await sampling;
  const seconds = (performance.now() - started) / 1000;
  // The last requests' background writes settle, then the final sample.
  await new Promise((r) => setTimeout(r, 2_000));
  if (samples[samples.length - 1]?.requests !== done) await sample(done);
  await agent.close();
  return { samples, statuses: statuses.object(), errors: errors.object(), seconds };
}

// ---------------------------------------------------------------------------------------------------
// Report

const fmt = (v: number | undefined, digits = 1): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : '—');

interface Report {
  readonly store: Options['store'];
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly warmupRequests: number;
  readonly rssAfterWarmupMiB: number;
  readonly rssEndMiB: number;
  readonly rssMaxMiB: number;
  /** The range of the samples from the warm-up on: one sample can fall on a GC's high or low point. */
  readonly rssRangeAfterWarmupMiB: readonly [number, number];
  readonly growthPercent: number;
  readonly gatewayAlive: boolean;
  readonly statuses: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly redisUsedMiB?: number;
  readonly redisKeys?: number;
  readonly samples: readonly Sample[];
  readonly pass: boolean;
}

function report(opts: Options, run: RunResult, alive: boolean): Report {
  const warm = run.samples.find((s) => s.requests >= opts.warmup) ?? run.samples[0]!;
  const end = run.samples[run.samples.length - 1]!;
  const growth = (end.rssMiB - warm.rssMiB) / warm.rssMiB;
  const after = run.samples.filter((s) => s.requests >= warm.requests).map((s) => s.rssMiB);
  const sent = Object.values(run.statuses).reduce((a, b) => a + b, 0) + Object.values(run.errors).reduce((a, b) => a + b, 0);
  return {
    store: opts.store,
    requests: sent,
    seconds: run.seconds,
    requestsPerSecond: sent / run.seconds,
    warmupRequests: warm.requests,
    rssAfterWarmupMiB: warm.rssMiB,
    rssEndMiB: end.rssMiB,
    rssMaxMiB: Math.max(...run.samples.map((s) => s.rssMiB)),
    rssRangeAfterWarmupMiB: [Math.min(...after), Math.max(...after)],
    growthPercent: growth * 100,
    gatewayAlive: alive,
    statuses: run.statuses,
    errors: run.errors,
    ...(end.redisUsedMiB !== undefined ? { redisUsedMiB: end.redisUsedMiB, redisKeys: end.redisKeys } : {}),
    samples: run.samples,
    pass: alive && Number.isFinite(growth) && growth <= MAX_GROWTH,
  };
}

function render(r: Report): string {
  const rows = r.samples.map((s) => `| ${s.requests} | ${fmt(s.atS, 0)} | ${fmt(s.rssMiB)} | ${fmt(s.heapUsedMiB)} | ${fmt(s.heapTotalMiB)} | ${fmt(s.externalMiB)} | ${s.blocksActive} |${s.redisUsedMiB !== undefined ? ` ${fmt(s.redisUsedMiB)} | ${s.redisKeys} |` : ''}`);
  const redisHead = r.store === 'redis' ? ' Redis used_memory, MiB | Redis keys |' : '';
  const redisSep = r.store === 'redis' ? ' --- | --- |' : '';
  return [
    `distinct-keys: ${r.requests} logins, each a distinct user from a distinct address, ${r.store} store`,
    '',
    `| requests | s | gateway RSS, MiB | V8 heap used, MiB | V8 heap total, MiB | external, MiB | blocks active |${redisHead}`,
    `| --- | --- | --- | --- | --- | --- | --- |${redisSep}`,
    ...rows,
    '',
    `RSS after warm-up (${r.warmupRequests} requests): ${fmt(r.rssAfterWarmupMiB)} MiB; at the end: ${fmt(r.rssEndMiB)} MiB; growth ${fmt(r.growthPercent)}% (limit ${MAX_GROWTH * 100}%); from the warm-up on ${fmt(r.rssRangeAfterWarmupMiB[0])}–${fmt(r.rssRangeAfterWarmupMiB[1])} MiB`,
    `${fmt(r.seconds, 0)} s, ${fmt(r.requestsPerSecond, 0)} requests/s`,
    `statuses: ${JSON.stringify(r.statuses)}${Object.keys(r.errors).length > 0 ? `  errors: ${JSON.stringify(r.errors)}` : ''}`,
    ...(r.redisUsedMiB !== undefined ? [`Redis at the end: used_memory ${fmt(r.redisUsedMiB)} MiB, ${r.redisKeys} keys`] : []),
    r.gatewayAlive ? '' : 'THE GATEWAY DIED',
    r.pass ? 'PASS: the RSS stayed within 10% after the warm-up' : 'FAIL',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = options(argv);
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (msg: string): void => {
    if (!opts.json) process.stderr.write(`[distinct-keys ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  };
  log(`starting: ${opts.requests} logins, ${opts.store} store, ${opts.concurrency} in flight, warm-up ${opts.warmup}, a sample every ${opts.sampleEvery}`);
  const setup = await setUp(opts);
  try {
    const run = await drive(opts, setup, log);
    const r = report(opts, run, setup.gateway.isRunning());
    if (!r.gatewayAlive) process.stderr.write(`--- gateway output ---\n${setup.gateway.output()}\n`);
    process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${render(r)}\n`);
    return r.pass ? 0 : 1;
  } finally {
    setup.redisClient?.disconnect();
  }
}

runMain('distinct-keys', USAGE, main);
