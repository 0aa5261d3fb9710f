/**
 * `promtool check metrics` (Prometheus' own linter) on the /metrics of a real gateway process with a
 * real Redis store, after traffic that fills every family (requests, verdicts, a block, the store and
 * process gauges). Skips only when promtool is not installed (`.ci/run` installs Debian's `prometheus`).
 */
import { spawnSync } from 'node:child_process';
import { startGatewayProcess, startRedisServer, startSimProcess, stopAll } from '../helpers/processes';
import { ATTACKER_UA, call, loginCall, restCall } from '../faults/util';

afterAll(() => stopAll());

const PROMTOOL = ['/usr/bin/promtool', 'promtool'].find((p) => spawnSync(p, ['--version']).status === 0);
const ADMIN_TOKEN = 'promtool-test-admin-token-0123456789';

(PROMTOOL ? test : test.skip)('promtool check metrics passes on a gateway\'s /metrics, and the standard process names are kept', async () => {
  const redis = await startRedisServer();
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const gw = await startGatewayProcess({
    upstream: sim.url,
    redisUrl: redis.url,
    logLevel: 'warn',
    env: { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32' },
  });
  for (let i = 0; i < 12; i++) await loginCall(gw.url, 'carol', `guess-${i}`, '203.0.113.9', ATTACKER_UA);
  await restCall(gw.url);
  const blocked = await call(`${gw.adminUrl}/v1/blocks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ portal: 'localhost', kind: 'ip', ip: '198.51.100.9', reason: 'scanner', operator: 'olga' }),
  });
  expect(blocked.status).toBeLessThan(300);

  const scraped = await call(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(scraped.status).toBe(200);
  const lint = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: scraped.body, encoding: 'utf8' });
  expect({ status: lint.status, out: `${lint.stdout}${lint.stderr}` }).toEqual({ status: 0, out: '' });

  const names = new Set(scraped.body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  for (const standard of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
    expect(names).toContain(standard);
  }
  // Ours under portcullis_, nothing else renamed under it.
  for (const name of names) if (!/^(process|nodejs)_/.test(name!)) expect(name).toMatch(/^portcullis_/);
  expect([...names].some((n) => n!.startsWith('portcullis_process_'))).toBe(false);
}, 60_000);
