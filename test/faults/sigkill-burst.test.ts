/**
 * SIGKILL during a write burst (issue 7, Faults): a compiled gateway takes blocks (POST /v1/blocks)
 * and unblock requests (POST /v1/unblock-requests) from eight concurrent writers and is SIGKILLed in
 * the middle. Every write answered 2xx before the kill is there after the restart, on both stores:
 * the memory store (same state folder) and Redis (a new process, with a state folder of its own, so
 * what it knows comes from Redis).
 */
import { startGatewayProcess, startRedisServer, startSimProcess, stopAll, tempDir, type GatewayProcess } from '../helpers/processes';
import { adminCall, adminListAll, countBy } from './util';

afterAll(() => stopAll());

const TOKEN = 'faults-admin-token-0123456789abcdef';
const USERS = 400;
const login = (i: number): string => `burst-${String(i).padStart(3, '0')}`;

/** Who the unblock-request rules read: the burst's users, and carol, an active colleague who vouches. */
function directory(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ login: 'carol', email: 'carol@demo.example', name: 'Carol Twostep', admin: false, owner: false, active: true }];
  for (let i = 0; i < USERS; i++) out.push({ login: login(i), email: `${login(i)}@demo.example`, name: `Burst User ${i}`, admin: false, owner: false, active: true });
  return out;
}

interface Acked {
  blocks: string[];
  requests: string[];
  statuses: number[];
}

/** Eight writers: block a user, then file its unblock request; the gateway is SIGKILLed after `killAfterAcks` acks. */
async function runBurst(gw: GatewayProcess, killAfterAcks: number): Promise<Acked & { inFlightAtKill: number }> {
  const acked: Acked = { blocks: [], requests: [], statuses: [] };
  let next = 0;
  let stop = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  let killing: Promise<unknown> | null = null;
  const maybeKill = (): void => {
    if (killing === null && acked.blocks.length + acked.requests.length >= killAfterAcks) {
      inFlightAtKill = inFlight;
      stop = true;
      killing = gw.kill();
    }
  };
  const post = async (path: string, body: unknown): Promise<number> => {
    inFlight++;
    try {
      return (await adminCall(gw.adminUrl, TOKEN, 'POST', path, body)).status;
    } catch {
      return 0; // the connection died with the process
    } finally {
      inFlight--;
    }
  };
  const writer = async (): Promise<void> => {
    while (!stop && next < USERS) {
      const user = login(next++);
      const b = await post('/v1/blocks', { portal: 'localhost', kind: 'user', user, reason: 'burst', operator: 'faults' });
      acked.statuses.push(b);
      if (b >= 200 && b < 300) acked.blocks.push(user);
      maybeKill();
      if (stop || b !== 201) continue;
      const r = await post('/v1/unblock-requests', { portal: 'localhost', blocked_user: user, name: `Burst User ${Number(user.slice(6))}`, email: `${user}@demo.example`, requested_by: 'carol', channel: 'employee' });
      acked.statuses.push(r);
      if (r >= 200 && r < 300) acked.requests.push(user);
      maybeKill();
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  if (killing === null) throw new Error('the burst ended before the kill');
  await killing;
  return { ...acked, inFlightAtKill };
}

async function verify(label: string, after: GatewayProcess, acked: Acked & { inFlightAtKill: number }): Promise<void> {
  const blocks = await adminListAll<{ user?: string; kind: string }>(after.adminUrl, TOKEN, '/v1/blocks?portal=localhost&kind=user');
  const requests = await adminListAll<{ blocked_login?: string; blocked_user?: string }>(after.adminUrl, TOKEN, '/v1/unblock-requests?portal=localhost');
  const blocked = new Set(blocks.map((b) => b.user));
  const requested = new Set(requests.map((r) => r.blocked_login ?? r.blocked_user));
  const lostBlocks = acked.blocks.filter((u) => !blocked.has(u));
  const lostRequests = acked.requests.filter((u) => !requested.has(u));
  process.stdout.write(
    `${label}: SIGKILL after ${acked.blocks.length} blocks and ${acked.requests.length} unblock requests answered 2xx (${acked.inFlightAtKill} in flight; statuses ${JSON.stringify(countBy(acked.statuses, (s) => s))}); ` +
      `after the restart: ${blocked.size} user blocks, ${requested.size} unblock requests; lost ${lostBlocks.length} blocks, ${lostRequests.length} requests\n`,
  );
  expect(lostBlocks).toEqual([]);
  expect(lostRequests).toEqual([]);
  expect(acked.blocks.length).toBeGreaterThan(20);
  expect(acked.requests.length).toBeGreaterThan(10);
}

test('memory store: SIGKILL during a burst of blocks and unblock requests loses no acknowledged write', async () => {
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const stateDir = tempDir('pc-fault-burst-mem-');
  const env = { PORTCULLIS_ADMIN_TOKEN: TOKEN };
  const gw = await startGatewayProcess({ upstream: sim.url, stateDir, logLevel: 'warn', env });
  expect((await adminCall(gw.adminUrl, TOKEN, 'PUT', '/v1/portals/localhost/directory', directory())).status).toBe(200);
  const acked = await runBurst(gw, 150);
  const again = await startGatewayProcess({ upstream: sim.url, stateDir, logLevel: 'warn', env });
  await verify('memory store', again, acked);
  await again.stop();
}, 60_000);

test('Redis store: SIGKILL during a burst of blocks and unblock requests loses no acknowledged write', async () => {
  const redis = await startRedisServer();
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const env = { PORTCULLIS_ADMIN_TOKEN: TOKEN };
  const gw = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'warn', env });
  expect((await adminCall(gw.adminUrl, TOKEN, 'PUT', '/v1/portals/localhost/directory', directory())).status).toBe(200);
  const acked = await runBurst(gw, 150);
  // A new process with a state folder of its own: what it knows comes from Redis.
  const again = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'warn', env });
  await verify('Redis store', again, acked);
  await again.stop();
}, 60_000);
