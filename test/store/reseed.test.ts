/**
 * Re-seeding Redis from a replica's view (gateway/store/reseed.ts, redis/reseed.lua) on a real
 * redis-server: whatever order replicas write back their versions and tombstones of one record in,
 * Redis ends with the newest (a deletion on a tie), so a block lifted elsewhere never comes back and
 * two replicas re-seeding at once agree; and a Redis restarted empty gets its portal set back from the
 * next write, so list('*') and other replicas' mirrors see the portal again.
 */
import fc from 'fast-check';
import { ManualClock } from '../../gateway/lib/clock';
import { RecordTable } from '../../gateway/store/record-table';
import type { RedisStore } from '../../gateway/store/redis/redis-store';
import { planReseed, VersionLedger } from '../../gateway/store/reseed';
import { createStore } from '../../gateway/store';
import { redisCommand, startRedisServer, stopAll, tempDir, type RedisServer } from '../helpers/processes';
import { eventually, openRedis, recordingLogger, testConfig, TEST_STORE_OPTIONS, uniquePortal } from './helpers';

let redis: RedisServer;
let store: RedisStore;
const clock = new ManualClock(1_700_000_000_000);

beforeAll(async () => {
  redis = await startRedisServer();
  store = await openRedis(clock, { kind: 'redis', url: redis.url });
});
afterAll(async () => {
  await store.close();
  await stopAll();
});

type Held = { kind: 'record'; versionMs: number; tag: string } | { kind: 'gone'; atMs: number };

const timeOf = (h: Held): number => (h.kind === 'record' ? h.versionMs : h.atMs);

async function reseedOne(portal: string, h: Held): Promise<void> {
  if (h.kind === 'record') await store.reseed('blocks', portal, [{ record: { id: 'X', tag: h.tag } as never, versionMs: h.versionMs }], []);
  else await store.reseed('blocks', portal, [], [{ id: 'X', atMs: h.atMs }]);
}

test('whatever order replicas re-seed one id in, Redis ends with the newest version or deletion (a deletion wins a tie)', async () => {
  const held = fc.oneof(
    fc.record({ kind: fc.constant('record' as const), versionMs: fc.integer({ min: 1, max: 6 }), tag: fc.string({ maxLength: 4 }) }),
    fc.record({ kind: fc.constant('gone' as const), atMs: fc.integer({ min: 1, max: 6 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(held, { minLength: 1, maxLength: 5 }), async (views) => {
      const portal = uniquePortal();
      for (const h of views) await reseedOne(portal, h);
      const newest = Math.max(...views.map(timeOf));
      const winners = views.filter((h) => timeOf(h) === newest);
      const got = await store.get<{ id: string; tag: string }>('blocks', portal, 'X');
      if (winners.some((h) => h.kind === 'gone')) {
        expect(got).toBeUndefined();
      } else {
        // Equal versions of one record are the same write: the first to arrive stays.
        const first = winners[0] as Extract<Held, { kind: 'record' }>;
        expect(got).toEqual({ id: 'X', tag: first.tag });
      }
      expect(await store.portals()).toContain(portal);
    }),
    { numRuns: 100 },
  );
});

test('a block lifted on one replica (a tombstone in Redis) is not brought back by another replica that still holds it', async () => {
  const portal = uniquePortal();
  await store.put('blocks', portal, { id: 'ip:1' }, 1_000);
  await store.delete('blocks', portal, 'ip:1', 2_000);
  expect(await store.reseed('blocks', portal, [{ record: { id: 'ip:1' }, versionMs: 1_000 }], [])).toEqual({ restored: 0, skipped: 1, lifted: 0 });
  expect(await store.get('blocks', portal, 'ip:1')).toBeUndefined();
  // Blocked again after the lift: that newer version does come back.
  expect(await store.reseed('blocks', portal, [{ record: { id: 'ip:1' }, versionMs: 3_000 }], [])).toEqual({ restored: 1, skipped: 0, lifted: 0 });
  expect(await store.get('blocks', portal, 'ip:1')).toEqual({ id: 'ip:1' });
});

test('planReseed: a view\'s live records that Redis lacks are planned, expired ones and ids deleted later are not', () => {
  const nowMs = clock.now();
  const view = new RecordTable();
  const ledger = new VersionLedger();
  view.put('blocks', 'p', { id: 'live' });
  ledger.noteWrite('blocks', 'p', 'live', nowMs - 90);
  view.put('blocks', 'p', { id: 'expired', expiresAtMs: nowMs - 1 });
  ledger.noteWrite('blocks', 'p', 'expired', nowMs - 90);
  view.put('blocks', 'p', { id: 'lifted-elsewhere' });
  ledger.noteWrite('blocks', 'p', 'lifted-elsewhere', nowMs - 90);
  view.put('blocks', 'p', { id: 'same' });
  ledger.noteWrite('blocks', 'p', 'same', nowMs - 90);
  ledger.noteDelete('devices', 'p', 'gone-here', nowMs - 80);
  const snapshot = [
    {
      portal: 'p',
      collections: [
        { collection: 'blocks' as const, records: [{ record: { id: 'same' }, versionMs: nowMs - 90 }], tombstones: [{ id: 'lifted-elsewhere', atMs: nowMs - 89 }] },
        { collection: 'devices' as const, records: [], tombstones: [] },
      ],
    },
  ];
  const plans = planReseed(view.entries(nowMs), ledger, snapshot, nowMs);
  expect(plans.map((p) => ({ c: p.collection, records: p.records.map((r) => r.record.id), tombstones: p.tombstones.map((t) => t.id) })).sort((a, b) => a.c.localeCompare(b.c))).toEqual([
    { c: 'blocks', records: ['live'], tombstones: [] },
    { c: 'devices', records: [], tombstones: ['gone-here'] },
  ]);
});

test('Redis restarted empty: the next write of a portal this process wrote before puts the portal back into the portal set', async () => {
  const own = await startRedisServer();
  const s = await openRedis(clock, { kind: 'redis', url: own.url });
  try {
    const portal = uniquePortal();
    await s.put('blocks', portal, { id: 'a' });
    expect(await s.portals()).toEqual([portal]);
    await own.stop();
    await own.start();
    await eventually(() => s.isReady(), 10_000, 'reconnected');
    expect(await s.portals()).toEqual([]);
    await s.put('blocks', portal, { id: 'b' });
    expect(await s.portals()).toEqual([portal]);
    expect((await s.list('blocks', '*')).map((r) => r.id)).toEqual(['b']);
  } finally {
    await s.close();
  }
});

test('Redis flushed while the replica stays connected: the probe notices and the replica writes its view back, with one log line', async () => {
  const own = await startRedisServer();
  const logger = recordingLogger();
  const config = testConfig({ kind: 'redis', url: own.url }, tempDir('pc-flush-'), { redis: { ...TEST_STORE_OPTIONS.redis, probeIntervalMs: 100 } });
  const resilient = await createStore(config, { clock, origin: 'flush-test', logger });
  const bare = await openRedis(clock, { kind: 'redis', url: own.url });
  try {
    const portal = uniquePortal();
    await resilient.put('blocks', portal, { id: 'user:u1' });
    await resilient.put('unblock_requests', portal, { id: 'r1' });
    expect(await bare.get('blocks', portal, 'user:u1')).toEqual({ id: 'user:u1' });
    expect(await redisCommand(own.port, 'FLUSHALL')).toBe('+OK');
    expect(await bare.get('blocks', portal, 'user:u1')).toBeUndefined();
    // The re-seed writes collection by collection and logs its one line when all are written back.
    await eventually(() => logger.warnings.some((w) => w.code === 'PC_ERR_STORE_RESEEDED'), 10_000, 'the re-seed to finish');
    expect(await bare.get('blocks', portal, 'user:u1')).toEqual({ id: 'user:u1' });
    expect(await bare.get('unblock_requests', portal, 'r1')).toEqual({ id: 'r1' });
    expect(await bare.portals()).toEqual([portal]);
    const lines = logger.warnings.filter((w) => w.code === 'PC_ERR_STORE_RESEEDED');
    expect(lines).toEqual([expect.objectContaining({ restored: { blocks: 1, unblock_requests: 1 }, portals: 1 })]);
    expect(resilient.health()).toEqual({ state: 'ok' });
  } finally {
    await bare.close();
    await resilient.close();
  }
});
