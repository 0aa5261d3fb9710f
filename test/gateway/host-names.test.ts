/**
 * Memory exhaustion by Host names (issue 15, item 8). Per-portal tables were bounded by count, and the
 * portal bucket map not at all: 4 000 REST calls, each with its own 8 000-character Host, took a
 * gateway with a 384 MB heap down. Now a name no portal can have is refused (400) before any table
 * keeps it, every table is bounded by bytes, and a deployment may refuse unknown portals (421).
 *
 * The attack runs against a real gateway process started with --max-old-space-size=384; what is
 * asserted is the process staying up and its own table and heap gauges, never a time.
 */
import fc from 'fast-check';
import { Pool, request } from 'undici';
import { validHostName } from '../../gateway/lib/host-name';
import { CounterTable } from '../../gateway/store/counter-table';
import { scrapeMetrics } from '../../bench/run-main';
import { startGatewayProcess, startSimProcess, stopAll, type GatewayProcess, type SimProcess } from '../helpers/processes';
import { startStack, type Stack } from '../helpers/stack';
import { ADMIN_HOOK, raw } from '../security/helpers';

const TOKEN = 'host-names-admin-token-0123456789';
const HOOK = `/rest/1/${ADMIN_HOOK}/user.current`;

describe('validHostName', () => {
  test.each([
    ['localhost', true], ['portal.example.com', true], ['a-b.c_d.example', true], ['10.0.0.5', true], ['[::1]', true], ['xn--80ak6aa92e.com', true],
    [`${'a'.repeat(63)}.com`, true], [`${'a'.repeat(64)}.com`, false], [`${'a.'.repeat(126)}a`, true], [`${'a.'.repeat(126)}ab`, false],
    ['a..b', false], ['.a', false], ['-a.com', false], ['a b', false], ['a\tb', false], ['pörtal.de', false], ['[::1', false], ['[zz]', false], ['a/b', false], ['', false],
  ])('%j → %s', (name, ok) => {
    expect(validHostName(name)).toBe(ok);
  });
});

test('a counter table is bounded by bytes: long keys are forgotten sooner, the total stays under the bound', () => {
  const maxBytes = 1024 * 1024;
  const table = new CounterTable({ maxKeys: 100_000, maxBytes });
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 50, maxLength: 400 }), (lengths) => {
      lengths.forEach((n, i) => table.apply([{ portal: `${i}`.padEnd(n, 'p'), counter: 'c', type: 'count', windowMs: 60_000, key: 'k', add: true }], 0));
      expect(table.usage().bytes).toBeLessThanOrEqual(maxBytes);
    }),
    { numRuns: 20 },
  );
  expect(table.usage().entries).toBeGreaterThan(0);
});

describe('a real gateway under a 384 MB heap, attacked with Host names', () => {
  let sim: SimProcess;
  let gw: GatewayProcess;
  beforeAll(async () => {
    sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
    gw = await startGatewayProcess({
      upstream: sim.url,
      logLevel: 'warn',
      stdout: 'ignore',
      env: { PORTCULLIS_ADMIN_TOKEN: TOKEN, NODE_OPTIONS: '--max-old-space-size=384' },
    });
  }, 60_000);
  afterAll(async () => {
    await stopAll();
  });

  const metrics = () => scrapeMetrics(gw.adminUrl, TOKEN);

  test('4 000 REST calls, each with its own 8 000-character Host: every one refused 400, the gateway up, its tables empty', async () => {
    const pool = new Pool(gw.url, { connections: 16 });
    try {
      const statuses = new Map<number, number>();
      for (let start = 0; start < 4000; start += 64) {
        await Promise.all(
          Array.from({ length: Math.min(64, 4000 - start) }, async (_, j) => {
            const host = `${start + j}-`.padEnd(8000, 'x') + '.example';
            const res = await pool.request({ path: HOOK, method: 'GET', headers: { host } });
            await res.body.dump();
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          }),
        );
      }
      expect(Object.fromEntries(statuses)).toEqual({ 400: 4000 });
    } finally {
      await pool.close();
    }
    expect(gw.isRunning()).toBe(true);
    const m = await metrics();
    for (const table of ['store_counters', 'counter_batcher', 'rate_buckets', 'portal_buckets']) expect(m('portcullis_table_entries', `table="${table}"`)).toBe(0);
    // The real portal still works through it.
    const ok = await request(`${gw.url}${HOOK}`, { headers: { host: 'localhost' } });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  }, 120_000);

  test('names no portal can have, in many spellings, are refused 400', async () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,20}$/);
    const bad = fc.oneof(
      fc.tuple(label, fc.integer({ min: 64, max: 300 })).map(([l, n]) => `${l}.${'b'.repeat(n)}.com`),
      fc.integer({ min: 254, max: 4000 }).map((n) => `${'a.'.repeat(Math.ceil(n / 2))}com`.slice(-n)),
      fc.tuple(label, label).map(([a, b]) => `${a}..${b}`),
      fc.tuple(label, fc.constantFrom(' ', '\t', '/', '\\', '"', '<', '%', '@', '\u00e9', '!')).map(([a, c]) => `${a}${c}x.com`),
    );
    await fc.assert(
      fc.asyncProperty(bad, fc.constantFrom(HOOK, '/auth/?login=yes', '/crm/'), async (host, target) => {
        const r = await raw(gw.port, { target, host });
        expect(r.status).toBe(400);
      }),
      { numRuns: 60 },
    );
    expect(gw.isRunning()).toBe(true);
  }, 60_000);

  test('4 000 valid but distinct long names are served, and every table stays within its byte bound', async () => {
    const pool = new Pool(gw.url, { connections: 16 });
    const before = await metrics();
    try {
      for (let start = 0; start < 4000; start += 64) {
        await Promise.all(
          Array.from({ length: Math.min(64, 4000 - start) }, async (_, j) => {
            const host = `${'h'.repeat(59)}${String(start + j).padStart(4, '0')}.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(61)}`;
            const res = await pool.request({ path: HOOK, method: 'GET', headers: { host } });
            // Forwarded: the simulator answers for a portal it does not have; the gateway refused nothing.
            expect(await res.body.text()).not.toContain('not a valid host name');
          }),
        );
      }
    } finally {
      await pool.close();
    }
    expect(gw.isRunning()).toBe(true);
    const m = await metrics();
    // Each table reports its bytes; none may pass its bound (bounds in gateway/store/counter-table.ts,
    // counter-batcher.ts, rate-buckets.ts, portal-bucket.ts).
    const bounds: Record<string, number> = { store_counters: 96 * 2 ** 20, counter_batcher: 64 * 2 ** 20, rate_buckets: 32 * 2 ** 20, portal_buckets: 16 * 2 ** 20 };
    for (const [table, max] of Object.entries(bounds)) {
      const bytes = m('portcullis_table_bytes', `table="${table}"`);
      expect(bytes).toBeGreaterThanOrEqual(0);
      expect(bytes).toBeLessThanOrEqual(max);
    }
    expect(m('portcullis_table_entries', 'table="portal_buckets"')).toBeGreaterThan(before('portcullis_table_entries', 'table="portal_buckets"'));
    expect(m('nodejs_heap_size_used_bytes')).toBeLessThan(384 * 2 ** 20);
  }, 120_000);
});

describe('unknownPortals: refuse', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { unknownPortals: 'refuse', portals: { localhost: (await import('../../gateway/config/defaults')).DEFAULT_PORTAL_SETTINGS } } });
  });
  afterAll(async () => {
    await s.close();
  });

  test('a configured portal and its aliases are served; any other name gets 421, and no table keeps it', async () => {
    for (const host of ['localhost', 'LOCALHOST.', '127.0.0.1']) {
      const res = await request(`${s.gw.url}${HOOK}`, { headers: { host } });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    }
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9]{0,20}(\.[a-z]{2,6}){1,3}$/), fc.constantFrom(HOOK, '/auth/?login=yes', '/'), async (host, target) => {
        fc.pre(host !== 'localhost');
        const res = await request(`${s.gw.url}${target}`, { headers: { host } });
        await res.body.dump();
        expect(res.statusCode).toBe(421);
      }),
      { numRuns: 40 },
    );
  });
});
