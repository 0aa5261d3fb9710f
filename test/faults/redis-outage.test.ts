/**
 * Redis outage under load (issue 7, Faults): a steady mix of logins and REST calls through an
 * in-process gateway on a real Redis; Redis stopped for 20 s and started again on the same port.
 * REST keeps answering (no 5xx of the gateway's own), logins are still counted (step 1's deny and a
 * user block happen locally), known blocks stay enforced, and every record made during the outage (the
 * block, its audit event) is in Redis afterwards, as a replica started after the outage reads it.
 */
import { startGateway, type RunningGateway } from '../../gateway/app';
import { userId } from '../../gateway/lockout/subjects';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import { TEST_SECRET, startRedisServer, stopAll, type RedisServer } from '../helpers/processes';
import { captureLoggers, eventually, testConfig } from '../helpers/stack';
import { ATTACKER_UA, countBy, loginCall, restCall, sleep } from './util';

afterAll(() => stopAll());

const OUTAGE_MS = 20_000;

interface Sample {
  atMs: number;
  kind: 'rest' | 'login';
  status: number;
}

test('Redis stopped for 20 s under load: REST answers, logins count and block locally, nothing made during the outage is lost', async () => {
  const redis: RedisServer = await startRedisServer({ appendonly: true });
  const sim: PortalSim = await startPortalSim({ hashCostMs: 0, restLimit: false });
  const { loggers, logs } = captureLoggers();
  const config = (): ReturnType<typeof testConfig> => testConfig(sim.url, { store: { kind: 'redis', url: redis.url }, trustedProxies: ['127.0.0.1/32'] });
  const a: RunningGateway = await startGateway(config(), { loggers });
  let b: RunningGateway | undefined;
  try {
    // A known block from before the outage.
    const knownIp = '198.51.100.77';
    await a.lockout.block({ portal: 'localhost', kind: 'ip', subject: knownIp, actor: 'operator:test', reason: 'before the outage', durationMs: 3_600_000 }).durable;
    expect((await restCall(a.url, knownIp)).status).toBe(403);
    expect((await restCall(a.url, '192.0.2.1')).status).toBe(200);

    // Steady load: REST every ~100 ms from one address, a harmless failed login of a nobody every ~100 ms.
    const samples: Sample[] = [];
    let running = true;
    const restLoop = (async () => {
      for (let i = 0; running; i++) {
        const r = await restCall(a.url); // one integration server: the webhook policies stay quiet
        samples.push({ atMs: Date.now(), kind: 'rest', status: r.status });
        // ~10 calls a second: within the portal's own bucket (burst 250, 5/s), which the gateway mirrors.
        await sleep(90);
      }
    })();
    const loginLoop = (async () => {
      for (let i = 0; running; i++) {
        const r = await loginCall(a.url, `nobody-${i}`, `pw-${i}`, `192.0.2.${(i % 200) + 1}`, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
        samples.push({ atMs: Date.now(), kind: 'login', status: r.status });
        await sleep(100);
      }
    })();

    await sleep(1500);
    await redis.stop();
    const outageStart = Date.now();

    // Logins are still counted: 12 failures from one device; step 1 denies the 11th and 12th.
    await sleep(1000);
    for (let i = 0; i < 12; i++) await loginCall(a.url, 'carol', `guess-${i}`, '203.0.113.200', 'curl/8');
    await eventually(() => logs.filter((l) => l.msg === 'request' && l.login === 'carol').length === 12, 3000);
    const carol = logs.filter((l) => l.msg === 'request' && l.login === 'carol');
    expect(carol[9]).toMatchObject({ action: 'none' });
    expect(carol[10]).toMatchObject({ action: 'deny_attempt' });
    expect(carol[11]).toMatchObject({ action: 'deny_attempt' });

    // An attack late in the outage still blocks locally (late, so REST is unblocked for most of it).
    await sleep(Math.max(0, outageStart + 15_000 - Date.now()));
    const bobId = userId(TEST_SECRET, 'localhost', 'bob');
    let attempts = 0;
    for (; attempts < 80 && !a.blocks.find('localhost', 'user', bobId); attempts++) {
      await loginCall(a.url, 'bob', `guess-${attempts}`, `203.0.113.${(attempts % 50) + 1}`, ATTACKER_UA);
    }
    expect(a.blocks.find('localhost', 'user', bobId)).toBeDefined();
    const blockedAtMs = Date.now();

    // The known block stays enforced.
    expect((await restCall(a.url, knownIp)).status).toBe(403);

    const remaining = OUTAGE_MS - (Date.now() - outageStart);
    if (remaining > 0) await sleep(remaining);
    const outageEnd = Date.now();
    await redis.start();
    await sleep(3000);
    running = false;
    await Promise.all([restLoop, loginLoop]);

    const during = samples.filter((s) => s.atMs >= outageStart && s.atMs <= outageEnd);
    process.stdout.write(
      `redis outage (${((outageEnd - outageStart) / 1000).toFixed(1)} s): ${during.length} load requests during it; ` +
        `REST by status ${JSON.stringify(countBy(during.filter((s) => s.kind === 'rest'), (s) => s.status))}, ` +
        `logins by status ${JSON.stringify(countBy(during.filter((s) => s.kind === 'login'), (s) => s.status))}; ` +
        `bob blocked locally after ${attempts} attempts; all load ${JSON.stringify(countBy(samples, (s) => `${s.kind}:${s.status}`))}\n`,
    );
    const phaseOf = (atMs: number): string => (atMs < outageStart ? 'before' : atMs <= outageEnd ? 'during' : 'after');
    process.stdout.write(`REST by phase and status: ${JSON.stringify(countBy(samples.filter((s) => s.kind === 'rest'), (s) => `${phaseOf(s.atMs)}:${s.status}`))}\n`);
    const first5xx = samples.find((s) => s.status >= 500);
    if (first5xx) process.stdout.write(`first 5xx at ${first5xx.atMs - outageStart} ms after the outage began (it lasted ${outageEnd - outageStart} ms)\n`);
    const requestLines = logs.filter((l) => l.msg === 'request');
    process.stdout.write(`gateway log, request lines by status and answer: ${JSON.stringify(countBy(requestLines, (l) => `${String(l.status)}:${String(l.answer)}`))}\n`);
    const first503 = requestLines.find((l) => l.status === 503);
    if (first503) process.stdout.write(`first 503 line: ${JSON.stringify(first503)}\n`);
    // Afterwards: a replica that starts now reads everything from Redis.
    await eventually(() => a.store.health().state === 'ok', 20_000);
    b = await startGateway(config(), { loggers: captureLoggers().loggers });
    expect(b.blocks.find('localhost', 'user', bobId)).toBeDefined();
    expect(b.blocks.find('localhost', 'portal_rest', '')).toBeDefined();
    expect(b.blocks.find('localhost', 'ip', knownIp)).toBeDefined();
    const events = await b.store.queryAudit({ portal: 'localhost', limit: 500 });
    const madeDuring = events.filter((e) => e.atMs >= outageStart && e.atMs <= outageEnd);
    process.stdout.write(`audit events made during the outage, read back from Redis: ${JSON.stringify(countBy(madeDuring, (e) => e.type))}\n`);
    expect(madeDuring.some((e) => e.type === 'user_blocked')).toBe(true);
    expect(madeDuring.some((e) => e.type === 'rest_blocked')).toBe(true);
    // Redis kept its data (AOF): nothing was missing, so no replica wrote anything back.
    expect(logs.filter((l) => l.code === 'PC_ERR_STORE_RESEEDED')).toEqual([]);

    // Last, so that everything above is checked whatever the statuses were.
    expect(during.filter((s) => s.kind === 'rest').length).toBeGreaterThan(100);
    // No 5xx and no failed connection anywhere, before, during or after.
    expect(countBy(samples.filter((s) => s.status >= 500 || s.status <= 0), (s) => `${s.kind} ${phaseOf(s.atMs)}: ${s.status}`)).toEqual({});
    // REST: 200 until the portal's REST block of the attack, then 403.
    expect(countBy(samples.filter((s) => s.kind === 'rest' && s.atMs < blockedAtMs - 200 && s.status !== 200), (s) => `${phaseOf(s.atMs)}: ${s.status}`)).toEqual({});
    expect(countBy(samples.filter((s) => s.kind === 'rest' && s.atMs > blockedAtMs + 200 && s.status !== 403), (s) => `${phaseOf(s.atMs)}: ${s.status}`)).toEqual({});
    // The gateway's own log: no answer of its own with a 5xx.
    const own5xx = logs.filter((l) => l.msg === 'request' && typeof l.status === 'number' && (l.status as number) >= 500);
    expect(countBy(own5xx, (l) => `${String(l.status)} ${String(l.answer)}`)).toEqual({});
    expect(logs.filter((l) => l.msg === 'request' && l.answer === 'error').length).toBe(0);
  } finally {
    await b?.close();
    await a.close();
    await sim.close();
  }
}, 90_000);
