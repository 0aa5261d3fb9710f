/**
 * `node dist/bench/soak.js [--minutes 10] [--quick] [--connections 16] [--rate 300] [--json]` (issue 7's soak).
 *
 * What runs, all spawned here and stopped at the end (whatever happens):
 *   - a real redis-server on a free port;
 *   - the portal simulator (`portcullis portal`, hash cost 2 ms, no REST limit);
 *   - two gateway replicas (`portcullis serve`) sharing that Redis (REDIS_URL), the repository's
 *     policies, 127.0.0.1 as a trusted proxy (so that attackers can come "from" many addresses), and
 *     NODE_OPTIONS=--max-old-space-size=384 as the image ships it.
 *
 * Load, for the whole duration, round-robin over the replicas, `--connections` workers offering
 * `--rate` requests/s in all:
 *   - REST on portal `localhost` (webhooks, an OAuth app, the services index): must stay 2xx;
 *   - good logins of `localhost` users (admin, bob): must stay 302;
 *   - attacks on portal `acme.bitrix24.local`: brute force on one user at a time, each attempt from
 *     the next of `--attack-addresses` addresses (a botnet of 4 096 by default, each reused about every
 *     40 s), until the default policies block it (and acme's REST with it); then the next user.
 *
 * Why a bounded botnet: the soak looks for leaks, so its load must reach a steady state within the
 * warm-up. With a new address for every attempt (`--attack-addresses 0`), the gateway's bounded tables
 * (the resilient store's 50 000-key counter copy, the REST buckets, the audit de-duplication) fill for
 * the whole ten minutes at this rate, and the RSS climbs with them towards their bounds: that is
 * growth up to a limit, measured where it belongs, by `bench/distinct-keys.ts` (1M distinct attackers,
 * every table full within a minute, RSS flat to +6.6%).
 * Every ~30 s each replica gets SIGHUP (policy reload). Halfway, Redis is stopped for 5 s and
 * started again on the same port (its data is gone: the gateways' outage queues must write back).
 *
 * Reported: RSS of each replica at start, after warm-up and at the end (growth after warm-up must be
 * small), event-loop lag from each replica's /metrics (prom-client's default metrics), answers and
 * errors by kind, the gateways' own 5xx (from their log lines), and whether the replicas agree on
 * every block at the end (the same login and REST probes give the same answers on both).
 * Exit code 1 when a replica died, the replicas disagree, a gateway-made 5xx was seen (503
 * QUERY_LIMIT_EXCEEDED from a REST limit is a decision, not an error, and is only counted), or RSS grew
 * more than 10% after warm-up (issue 7's "flat": the ±10% issue 8 uses for RSS too).
 */
import { createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startGatewayProcess, startRedisServer, startSimProcess, tempDir, type GatewayProcess } from '../test/helpers/processes';
import { rssMiB, runMain, scrapeMetrics, UsageError } from './run-main';

const ADMIN_TOKEN = 'soak-admin-token-0123456789abcdef';
/** "Flat after warm-up": the RSS at the end at most this much above the RSS after the warm-up. */
const FLAT_PCT = 10;
const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ACME_USERS = [
  ['owner@acme.example', 'Acme-Owner-Demo-1'],
  ['admin2@acme.example', 'Acme-Admin-Demo-7'],
  ['sales@acme.example', 'Acme-Sales-Demo-8'],
  ['intern@acme.example', 'Acme-Intern-Demo-10'],
] as const;

interface Options {
  readonly minutes: number;
  readonly connections: number;
  /** Offered load over all workers, requests/s. */
  readonly rate: number;
  /** Attacking addresses, reused in turn (a botnet's size): 0 means a new one for every attempt. */
  readonly attackAddresses: number;
  readonly json: boolean;
}

const HELP = `Usage: npm run soak      (or: node dist/bench/soak.js [options] after a build)

Mixed load with attacks, policy reloads and a Redis restart against two gateway replicas on one Redis;
reports RSS growth after warm-up, event-loop lag, answers and errors by kind, and whether the replicas
agree on every block at the end. npm run soak then runs the 100k-case fuzz test.

  --minutes N        duration (default 10; --quick: 1)
  --quick            one minute
  --connections N    concurrent workers (default 16)
  --rate N           offered requests/s over all workers (default 300)
  --attack-addresses N
                     attacking addresses, used in turn (default 4096, all in 203.0.0.0/16;
                     0: a new address for every attempt, up to 65 536)
  --json             print the report as JSON
  -h, --help         this text

Exit code 1 when a replica died, the replicas disagree, the gateway made a 5xx of its own, or RSS grew
more than 10% after the one-minute warm-up.`;

function options(): Options | 'help' {
  try {
    return parseOptions();
  } catch (err) {
    // node:util's parseArgs errors (an unknown option, a missing value) are usage errors too.
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((err as Error).message);
    throw err;
  }
}

function parseOptions(): Options | 'help' {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      minutes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string', default: '300' },
      'attack-addresses': { type: 'string', default: '4096' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) return 'help';
  const minutes = values.minutes !== undefined ? Number(values.minutes) : values.quick ? 1 : 10;
  if (!(minutes > 0)) throw new UsageError('--minutes must be a positive number');
  const attackAddresses = Number(values['attack-addresses']);
  if (!Number.isInteger(attackAddresses) || attackAddresses < 0 || attackAddresses > 65_536) {
    throw new UsageError(`--attack-addresses must be a whole number from 0 to 65536 (0: a new address for every attempt), got "${values['attack-addresses']}"`);
  }
  return { minutes, connections: Math.max(1, Number(values.connections)), rate: Math.max(1, Number(values.rate)), attackAddresses, json: values.json === true };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


class Tally {
  readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  total(prefix = ''): number {
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(prefix)) n += v;
    return n;
  }
  sorted(): [string, number][] {
    return [...this.counts].sort((a, b) => a[0].localeCompare(b[0]));
  }
}

async function main(): Promise<number> {
  const parsed = options();
  if (parsed === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const opts = parsed;
  const durationMs = opts.minutes * 60_000;
  const warmupMs = Math.min(60_000, durationMs * 0.25);
  const reloadEveryMs = opts.minutes <= 1 ? 15_000 : 30_000;
  const log = (msg: string): void => {
    if (!opts.json) process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  };

  log(`starting: ${opts.minutes} min, ${opts.connections} workers, 2 replicas on one Redis`);
  const redis = await startRedisServer();
  const sim = await startSimProcess({ hashCostMs: 2, noRestLimit: true, stdout: 'ignore' });
  const logDir = tempDir('portcullis-soak-');
  // The REST load on `localhost` runs at a few hundred calls/s, above the portal's own bucket (250 per
  // 5 s) that the gateway mirrors: without this, nearly every REST call of the soak would be that
  // mirror's 503 and the forwarding path would hardly be soaked. acme keeps the default bucket.
  const configFile = path.join(logDir, 'soak-config.yaml');
  writeFileSync(configFile, 'portals:\n  localhost:\n    rest:\n      limit: { burst: 0 }\n');
  const replicas: GatewayProcess[] = [];
  for (let i = 0; i < 2; i++) {
    replicas.push(
      await startGatewayProcess({
        upstream: sim.url,
        redisUrl: redis.url,
        // NODE_OPTIONS as the image and deploy/k8s ship it: without a cap V8 sizes its heap from the
        // host's RAM, and the RSS then follows the GC's rhythm rather than the gateway's live data.
        env: { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32', PORTCULLIS_CONFIG: configFile, NODE_OPTIONS: '--max-old-space-size=384' },
        stdout: { file: path.join(logDir, `gateway-${i}.log`) },
      }),
    );
  }
  const agent = new Agent({ connections: opts.connections * 2, keepAliveTimeout: 10_000 });
  const answers = new Tally();
  const errors = new Tally();
  let rr = 0;
  const pick = (): GatewayProcess => replicas[rr++ % replicas.length]!;

  async function call(kind: string, gw: GatewayProcess, p: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number> {
    try {
      const res = await request(`${gw.url}${p}`, {
        dispatcher: agent,
        method: (init.method ?? 'GET') as 'GET',
        headers: { host: 'localhost', ...init.headers },
        ...(init.body !== undefined ? { body: init.body } : {}),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      await res.body.dump();
      answers.add(`${kind} ${res.statusCode}`);
      return res.statusCode;
    } catch (err) {
      errors.add(`${kind} ${(err as { code?: string }).code ?? (err as Error).name}`);
      return 0;
    }
  }
  const loginBody = (user: string, password: string): string => new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }).toString();

  // --- the attack state: one acme user at a time ----------------------------------------------------
  let attackIndex = 0;
  let attackSeq = 0;
  const attacked = new Set<string>();

  const started = Date.now();
  const deadline = started + durationMs;
  const rss: { atS: number; mib: number[]; heapUsedMiB: (number | null)[] }[] = [];
  const lag: number[] = [];
  let warmRss: number[] | undefined;
  const sample = async (): Promise<void> => {
    const mib = replicas.map((g) => rssMiB(g.pid));
    const heapUsedMiB: (number | null)[] = [];
    for (const g of replicas) {
      const metric = await scrapeMetrics(g.adminUrl, ADMIN_TOKEN, 5_000);
      const v = metric('nodejs_eventloop_lag_seconds');
      if (Number.isFinite(v)) lag.push(v * 1000);
      // V8's live-ish heap beside the RSS: when the RSS climbs and this does not, the growth is the
      // allocator's or V8's reserve, not the gateway's data.
      const used = metric('nodejs_heap_size_used_bytes');
      heapUsedMiB.push(Number.isFinite(used) ? Math.round((used / 2 ** 20) * 10) / 10 : null);
    }
    rss.push({ atS: Math.round((Date.now() - started) / 1000), mib, heapUsedMiB });
    if (warmRss === undefined && Date.now() - started >= warmupMs) warmRss = mib;
  };
  const startRss = replicas.map((g) => rssMiB(g.pid));

  async function worker(id: number): Promise<void> {
    let n = 0;
    const intervalMs = (opts.connections * 1000) / opts.rate;
    while (Date.now() < deadline) {
      const t0 = Date.now();
      await step(id, n++);
      const rest = intervalMs - (Date.now() - t0);
      if (rest > 0) await sleep(rest);
    }
  }

  async function step(id: number, n: number): Promise<void> {
    {
      const gw = pick();
      const roll = (id * 7919 + n) % 20;
      if (roll < 9) {
        const p = [
          '/rest/1/demoadminhook001/user.current.json',
          '/rest/2/demobobhook00002/crm.deal.list.json',
          '/rest/user.current.json?auth=demoaccesstoken000000000000000000000000000000001',
          '/bitrix/services/rest/index.php?method=crm.deal.list&auth=demoaccesstoken000000000000000000000000000000001',
        ][n % 4]!;
        await call('rest', gw, p);
      } else if (roll < 12) {
        const [user, pw] = n % 2 === 0 ? ['admin', 'Demo-Owner-2024!'] : ['bob', 'Demo-Bob-2024!'];
        await call('login', gw, '/auth/?login=yes', { method: 'POST', headers: { 'content-type': FORM, 'user-agent': LAPTOP, 'x-forwarded-for': `192.0.2.${10 + (id % 50)}` }, body: loginBody(user, pw) });
      } else if (roll < 13) {
        await call('page', gw, '/crm/');
      } else {
        // The attack: brute force on the current acme user from a random address of a /16.
        const [user] = ACME_USERS[attackIndex % ACME_USERS.length]!;
        attacked.add(user);
        const seq = attackSeq++;
        const from = opts.attackAddresses > 0 ? seq % opts.attackAddresses : seq;
        await call('attack', gw, '/auth/?login=yes', {
          method: 'POST',
          headers: { host: 'acme.bitrix24.local', 'content-type': FORM, 'user-agent': 'python-requests/2.31', 'x-forwarded-for': `203.0.${(from >> 8) & 255}.${from & 255}` },
          body: loginBody(user, `guess-${seq}`),
        });
        if (seq % 150 === 149) attackIndex++;
      }
    }
  }

  // --- the schedule: reloads, the Redis restart, samples ----------------------------------------------
  let reloads = 0;
  let redisRestarted = false;
  const schedule = (async () => {
    let nextReload = started + reloadEveryMs;
    let nextSample = started;
    while (Date.now() < deadline) {
      const now = Date.now();
      if (now >= nextSample) {
        await sample();
        nextSample = now + Math.min(10_000, durationMs / 6);
      }
      if (now >= nextReload) {
        for (const g of replicas) if (g.isRunning()) g.child.kill('SIGHUP');
        reloads++;
        nextReload = now + reloadEveryMs;
      }
      if (!redisRestarted && now >= started + durationMs / 2) {
        redisRestarted = true;
        log('stopping Redis for 5 s');
        await redis.stop();
        await sleep(5_000);
        await redis.start();
        log('Redis is back');
      }
      await sleep(250);
    }
  })();

  await Promise.all([...Array.from({ length: opts.connections }, (_, i) => worker(i)), schedule]);
  await sleep(2_000); // outage queues and pub/sub settle
  await sample();
  const endRss = replicas.map((g) => rssMiB(g.pid));
  const alive = replicas.map((g) => g.isRunning());

  // --- are the replicas consistent? the same probes, the same answers ---------------------------------
  const probes: { what: string; answers: string[] }[] = [];
  for (const [user, pw] of ACME_USERS) {
    const a: string[] = [];
    for (const g of replicas) {
      try {
        const res = await request(`${g.url}/auth/?login=yes`, { method: 'POST', headers: { host: 'acme.bitrix24.local', 'content-type': FORM, 'user-agent': LAPTOP, 'x-forwarded-for': '192.0.2.200' }, body: loginBody(user, pw) });
        const body = await res.body.text();
        a.push(res.statusCode === 302 ? 'success' : body.includes('Incorrect login or password') ? 'failure' : `status ${res.statusCode}`);
      } catch (err) {
        a.push(`error ${(err as Error).message}`);
      }
    }
    probes.push({ what: `login ${user}`, answers: a });
  }
  const restProbe: string[] = [];
  for (const g of replicas) {
    const res = await request(`${g.url}/rest/8/acmesaleshook008/crm.deal.list.json`, { headers: { host: 'acme.bitrix24.local' } }).catch(() => null);
    restProbe.push(res ? String(res.statusCode) : 'error');
    await res?.body.dump();
  }
  probes.push({ what: 'acme REST', answers: restProbe });
  const consistent = probes.every((p) => p.answers.every((x) => x === p.answers[0]));

  // --- the gateways' own 5xx, from their log lines ------------------------------------------------------
  for (const g of replicas) await g.stop();
  const own5xx = new Tally();
  let logLines = 0;
  for (let i = 0; i < replicas.length; i++) {
    const rl = readline.createInterface({ input: createReadStream(path.join(logDir, `gateway-${i}.log`)) });
    for await (const line of rl) {
      if (!line.startsWith('{')) continue;
      logLines++;
      if (!line.includes('"msg":"request"')) continue;
      const l = JSON.parse(line) as { status?: number; answer?: string; kind?: string };
      // 503 rest_limited is a decision (the portal's own QUERY_LIMIT_EXCEEDED, enforced early), not an error.
      if ((l.status ?? 0) >= 500 && l.answer !== 'forwarded' && l.answer !== 'rest_limited') own5xx.add(`${l.kind} ${l.status} ${l.answer}`);
    }
  }

  const growth = warmRss ? endRss.map((e, i) => (e / warmRss![i]! - 1) * 100) : endRss.map(() => NaN);
  const lagSorted = [...lag].sort((a, b) => a - b);
  const report = {
    minutes: opts.minutes,
    requests: answers.total() + errors.total(),
    answers: Object.fromEntries(answers.sorted()),
    clientErrors: Object.fromEntries(errors.sorted()),
    gatewayOwn5xx: Object.fromEntries(own5xx.sorted()),
    logLines,
    reloads,
    redisRestarted,
    attackedUsers: [...attacked],
    rssMiB: { start: startRss, afterWarmup: warmRss ?? null, end: endRss, growthAfterWarmupPct: growth, samples: rss },
    eventLoopLagMs: { samples: lag.length, median: lagSorted[Math.floor(lagSorted.length / 2)] ?? null, max: lagSorted[lagSorted.length - 1] ?? null },
    replicasAlive: alive,
    blocksConsistent: consistent,
    probes,
  };
  const failures: string[] = [];
  if (alive.some((a) => !a)) failures.push('a replica died');
  if (!consistent) failures.push('the replicas disagree on blocks');
  if (own5xx.total() > 0) failures.push(`${own5xx.total()} gateway-made 5xx`);
  if (growth.some((g) => g > FLAT_PCT)) failures.push(`RSS grew more than ${FLAT_PCT}% after warm-up`);

  if (opts.json) process.stdout.write(`${JSON.stringify({ ...report, failures }, null, 2)}\n`);
  else {
    const f = (xs: readonly number[] | null | undefined): string => (xs ? xs.map((x) => `${x.toFixed(1)}`).join(' / ') : 'n/a');
    log('--- soak report ---');
    log(`requests: ${report.requests} in ${opts.minutes} min; reloads: ${reloads}; Redis restarted: ${redisRestarted}`);
    log(`answers: ${JSON.stringify(report.answers)}`);
    log(`client-side errors: ${JSON.stringify(report.clientErrors)}`);
    log(`gateway-made 5xx: ${JSON.stringify(report.gatewayOwn5xx)}`);
    log(`RSS MiB (replica 1 / 2): start ${f(startRss)}, after warm-up ${f(warmRss)}, end ${f(endRss)}, growth after warm-up ${growth.map((g) => `${g.toFixed(1)}%`).join(' / ')}`);
    log(`RSS / V8 heap used, MiB, every sample (replica 1 | replica 2): ${rss.map((r) => `${r.atS}s ${r.mib.map((m, i) => `${m.toFixed(0)}/${r.heapUsedMiB[i]?.toFixed(0) ?? '?'}`).join(' | ')}`).join(', ')}`);
    log(`event-loop lag (ms, from /metrics): median ${report.eventLoopLagMs.median?.toFixed(2) ?? 'n/a'}, max ${report.eventLoopLagMs.max?.toFixed(2) ?? 'n/a'} over ${lag.length} samples`);
    log(`attacked users: ${[...attacked].join(', ')}`);
    log(`blocks consistent between replicas: ${consistent} ${JSON.stringify(probes)}`);
    log(failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`);
  }
  await agent.close();
  return failures.length === 0 ? 0 : 1;
}

runMain('soak', HELP, () => main());
