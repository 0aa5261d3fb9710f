/**
 * Redis restarted WITHOUT persistence (same port, empty), two gateway replicas on it (issue 16, §1).
 * Before the outage: blocks on two portals, an unblock request, a short block that ends during the
 * outage. During it: a block on a portal that had no record before (so only the replay can put it
 * back into `pc:portals`), an unblock request for it, a block lifted on one replica while the other
 * still holds it. After Redis comes back empty: every block and request is enforced and listed on
 * both replicas and on a third replica started afterwards (which reads only Redis), the lifted block
 * stays lifted, the ended block is not enforced, and the re-seed is one log line per replica at most.
 */
import { startGatewayProcess, startRedisServer, startSimProcess, stopAll, type GatewayProcess } from '../helpers/processes';
import { adminCall, adminListAll, restCall, scrapedStoreState, sleep, until } from './util';

afterAll(() => stopAll());

const TOKEN = 'redis-empty-restart-admin-token-0123';
const LOCAL = 'localhost';
const ACME = 'acme.bitrix24.local';
const IP_BEFORE = '198.51.100.1';
const IP_DURING = '198.51.100.2';
const IP_LIFTED = '198.51.100.3';
const IP_ENDED = '198.51.100.4';

interface Block {
  id: string;
  portal: string;
  kind: string;
  subject: string;
  user?: string;
}
interface Request {
  id: string;
  portal: string;
  blocked_login: string;
  state: string;
}

const directory = (users: { login: string; email: string; name: string; admin?: boolean; owner?: boolean; active?: boolean }[]): unknown[] =>
  users.map((u) => ({ admin: false, owner: false, active: true, ...u }));

async function ok<T = any>(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<T> {
  const r = await adminCall<T>(gw.adminUrl, TOKEN, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} on ${gw.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const blockKeys = async (gw: GatewayProcess): Promise<string[]> =>
  (await adminListAll<Block>(gw.adminUrl, TOKEN, '/v1/blocks')).filter((b) => b.kind !== 'reset_required').map((b) => `${b.portal} ${b.kind} ${b.kind === 'user' ? b.user : (b.subject ?? '')}`).sort();
const requestKeys = async (gw: GatewayProcess): Promise<string[]> =>
  (await adminListAll<Request>(gw.adminUrl, TOKEN, '/v1/unblock-requests')).map((r) => `${r.portal} ${r.blocked_login} ${r.state}`).sort();

test('Redis restarted empty: blocks and unblock requests made before and during the outage are still enforced and listed on both replicas; a block lifted meanwhile stays lifted', async () => {
  const redis = await startRedisServer({ appendonly: false });
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const env = { PORTCULLIS_ADMIN_TOKEN: TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32' };
  const one = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'warn', env });
  const two = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'warn', env });

  // Before the outage.
  await ok(one, 'PUT', `/v1/portals/${LOCAL}/directory`, directory([
    { login: 'admin', email: 'admin@demo.example', name: 'Alice Owner', admin: true, owner: true },
    { login: 'bob', email: 'bob@demo.example', name: 'Bob Employee' },
    { login: 'carol', email: 'carol@demo.example', name: 'Carol Twostep' },
  ]));
  await ok(one, 'PUT', `/v1/portals/${ACME}/directory`, directory([
    { login: 'owner@acme.example', email: 'owner@acme.example', name: 'Olga Acme', admin: true, owner: true },
    { login: 'sales@acme.example', email: 'sales@acme.example', name: 'Sara Sales' },
    { login: 'support@acme.example', email: 'support@acme.example', name: 'Sam Support' },
  ]));
  await ok(one, 'POST', '/v1/blocks', { portal: LOCAL, kind: 'user', user: 'bob', reason: 'before', operator: 'olga' });
  await ok(one, 'POST', '/v1/blocks', { portal: LOCAL, kind: 'ip', ip: IP_BEFORE, reason: 'before', operator: 'olga' });
  await ok(two, 'POST', '/v1/blocks', { portal: LOCAL, kind: 'ip', ip: IP_LIFTED, reason: 'lifted during the outage', operator: 'olga' });
  await ok(two, 'POST', '/v1/blocks', { portal: LOCAL, kind: 'ip', ip: IP_ENDED, reason: 'ends during the outage', duration: '3s', operator: 'olga' });
  await ok(two, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'bob', name: 'Bob Employee', email: 'bob@demo.example', requested_by: 'carol', channel: 'employee' });
  // Enforced at once by the replica that made it; ends 3 s later, while Redis is away.
  expect((await restCall(two.url, IP_ENDED)).status).toBe(403);
  const before = [`${LOCAL} ip ${IP_BEFORE}`, `${LOCAL} ip ${IP_LIFTED}`, `${LOCAL} user bob`];
  await until(async () => JSON.stringify(await blockKeys(one)) === JSON.stringify(before) && JSON.stringify(await blockKeys(two)) === JSON.stringify(before), 10_000, 'both replicas list the blocks made before the outage').catch(async (err: Error) => {
    throw new Error(`${err.message}: one ${JSON.stringify(await blockKeys(one))}, two ${JSON.stringify(await blockKeys(two))}`);
  });
  await until(async () => (await requestKeys(one)).length === 1, 10_000, 'replica one lists the request');

  // The outage: both replicas notice it (the probe), with no traffic needed.
  await redis.stop();
  await until(async () => (await scrapedStoreState(one.adminUrl, TOKEN)) === 'fallback' && (await scrapedStoreState(two.adminUrl, TOKEN)) === 'fallback', 15_000, 'both replicas in fallback');
  await ok(two, 'POST', '/v1/blocks', { portal: LOCAL, kind: 'ip', ip: IP_DURING, reason: 'during', operator: 'olga' });
  await ok(two, 'POST', '/v1/blocks', { portal: ACME, kind: 'user', user: 'sales@acme.example', with_portal_rest: true, reason: 'during', operator: 'olga' });
  await ok(two, 'POST', '/v1/unblock-requests', { portal: ACME, blocked_user: 'sales@acme.example', name: 'Sara Sales', email: 'sales@acme.example', requested_by: 'support@acme.example', channel: 'employee' });
  // Lifted on replica one, which replica two (cut off from Redis too) still holds in its view.
  const lifted = (await adminListAll<Block>(one.adminUrl, TOKEN, '/v1/blocks?kind=ip')).find((b) => b.subject === IP_LIFTED)!;
  await ok(one, 'DELETE', `/v1/blocks/${encodeURIComponent(lifted.id)}?operator=olga`);
  expect(await blockKeys(two)).toContain(`${LOCAL} ip ${IP_LIFTED}`);
  await sleep(3_500); // the 3 s block ends while Redis is away

  // Redis comes back EMPTY on the same port.
  await redis.start();
  const expected = [`${ACME} portal_rest `, `${ACME} user sales@acme.example`, `${LOCAL} ip ${IP_BEFORE}`, `${LOCAL} ip ${IP_DURING}`, `${LOCAL} user bob`].sort();
  const expectedRequests = [`${ACME} sales@acme.example open`, `${LOCAL} bob open`];
  for (const gw of [one, two]) {
    await until(async () => (await scrapedStoreState(gw.adminUrl, TOKEN)) === 'ok', 20_000, `${gw.name} back to ok`);
  }
  await until(
    async () => JSON.stringify(await blockKeys(one)) === JSON.stringify(expected) && JSON.stringify(await blockKeys(two)) === JSON.stringify(expected),
    20_000,
    'both replicas list every block (and not the lifted or ended one)',
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: one ${JSON.stringify(await blockKeys(one))}, two ${JSON.stringify(await blockKeys(two))}\n${one.output()}\n${two.output()}`);
  });
  // A replica started now knows only what Redis holds: Redis itself was re-seeded, indexes included.
  const three = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'warn', env });
  for (const gw of [one, two, three]) {
    expect(await blockKeys(gw)).toEqual(expected);
    expect(await requestKeys(gw)).toEqual(expectedRequests);
    expect((await restCall(gw.url, IP_BEFORE)).status).toBe(403);
    expect((await restCall(gw.url, IP_DURING)).status).toBe(403);
    expect((await restCall(gw.url, IP_LIFTED)).status).toBe(200);
    expect((await restCall(gw.url, IP_ENDED)).status).toBe(200);
    expect((await restCall(gw.url, '192.0.2.10', ACME)).status).toBe(403);
  }

  // One log line per replica says what was written back, with counts.
  const reseeded = (gw: GatewayProcess): Record<string, unknown>[] =>
    gw.output().split('\n').filter((l) => l.includes('PC_ERR_STORE_RESEEDED')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const lines = [...reseeded(one), ...reseeded(two)];
  expect(reseeded(one).length).toBeLessThanOrEqual(1);
  expect(reseeded(two).length).toBeLessThanOrEqual(1);
  expect(lines.length).toBeGreaterThanOrEqual(1);
  for (const line of lines) expect(line).toMatchObject({ restored: expect.any(Object), skipped: expect.any(Number), portals: expect.any(Number) });
  const restoredBlocks = lines.reduce((n, l) => n + Number((l.restored as Record<string, number>).blocks ?? 0), 0);
  expect(restoredBlocks).toBeGreaterThanOrEqual(2); // bob and the address blocked before the outage (the rest came back by the replay)
  expect(reseeded(three)).toEqual([]);
  process.stdout.write(`re-seed lines: ${JSON.stringify(lines)}\n`);
}, 120_000);
