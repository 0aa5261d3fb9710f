/**
 * A real outage: redis-server is stopped mid-test. Counters continue in memory for memory_fallback
 * kinds and report "store unavailable" (a value, not an exception) for fail_open ones; records are
 * written locally and enforced from the local view; when Redis is started again on the same port, the
 * queued records, audit events and counter adds arrive in Redis, read back by a fresh store.
 */
import { ManualClock } from '../../gateway/lib/clock';
import type { Change, Store } from '../../gateway/store/port';
import { startRedisServer, stopAll, tempDir, type RedisServer } from '../helpers/processes';
import { TEST_STORE_OPTIONS, countOp, distinctOp, eventually, openResilient, uniquePortal } from './helpers';

let redis: RedisServer;
afterAll(stopAll);

beforeAll(async () => {
  // appendonly: what was in Redis before the outage is still there after the restart.
  redis = await startRedisServer({ appendonly: true });
});

const MIN = 60_000;

test('Redis stopped and started: counters continue in memory, writes are queued, then everything arrives', async () => {
  const clock = new ManualClock();
  const portal = uniquePortal();
  const stateDir = tempDir('pc-outage-');
  const store = await openResilient(clock, { kind: 'redis', url: redis.url }, stateDir, 'replica-a');
  const changes: Change[] = [];
  store.subscribe((c) => changes.push(c));

  await store.put('blocks', portal, { id: 'user:before' });
  for (let i = 0; i < 3; i++) await store.counters([countOp(portal, 'alice', 15 * MIN)], clock.now(), { kind: 'login' });
  expect(store.health()).toEqual({ state: 'ok' });

  await redis.stop();
  clock.advance(MIN);

  // login: memory_fallback — the count goes on from this replica's history (3 before the outage).
  const during = await store.counters([countOp(portal, 'alice', 15 * MIN), distinctOp(portal, 'ip1', 60 * MIN, 'alice')], clock.now(), { kind: 'login' });
  expect(during).toEqual({ ok: true, values: [4, 1] });
  // rest: fail_open — reported as a value, the caller decides; still counted and synced later.
  expect(await store.counters([countOp(portal, 'webhook:1', MIN)], clock.now(), { kind: 'rest' })).toEqual({ ok: false, reason: 'store_unavailable' });
  expect(store.health()).toMatchObject({ state: 'fallback' });

  // Known blocks stay readable from the local view; new ones are enforced locally at once.
  expect(await store.get('blocks', portal, 'user:before')).toEqual({ id: 'user:before' });
  await store.put('blocks', portal, { id: 'user:during' });
  await store.delete('blocks', portal, 'user:before');
  await store.put('unblock_requests', portal, { id: 'req-1' });
  await store.appendAudit({ atMs: clock.now(), portal, type: 'user_blocked', actor: 'rule:x', user: 'during' });
  expect(await store.get('blocks', portal, 'user:during')).toEqual({ id: 'user:during' });
  expect((await store.list('blocks', portal)).map((r) => r.id)).toEqual(['user:during']);
  expect(changes).toContainEqual(expect.objectContaining({ op: 'put', id: 'user:during' }));
  expect(store.health()).toMatchObject({ state: 'fallback', queued: 6 });

  // Back on the same port: the queue drains by itself.
  const beforeRestart = changes.length;
  await redis.start();
  await eventually(() => store.health().state === 'ok', 10_000, 'the store to leave fallback');
  // Views are told to reload. The resync comes once the mirror is reloaded, a moment after `ok`, and the
  // replayed writes' own changes may come back over pub/sub before or after it: wait for it, in any order.
  await eventually(() => changes.slice(beforeRestart).some((c) => c.op === 'resync'), 10_000, 'a resync change after the outage');

  const fresh = await openResilient(clock, { kind: 'redis', url: redis.url }, tempDir('pc-outage-fresh-'), 'replica-b');
  expect(await fresh.get('blocks', portal, 'user:during')).toEqual({ id: 'user:during' });
  expect(await fresh.get('blocks', portal, 'user:before')).toBeUndefined();
  expect(await fresh.get('unblock_requests', portal, 'req-1')).toEqual({ id: 'req-1' });
  expect(await fresh.queryAudit({ portal, limit: 10 })).toEqual([expect.objectContaining({ type: 'user_blocked', user: 'during' })]);
  // 3 adds before + 1 during (replayed with its original time), and the REST add made while fail_open.
  expect(await fresh.counters([countOp(portal, 'alice', 15 * MIN, false), distinctOp(portal, 'ip1', 60 * MIN), countOp(portal, 'webhook:1', MIN, false)], clock.now())).toEqual({ ok: true, values: [4, 1, 1] });
  await fresh.close();
  await store.close();
});

test('a crash during an outage loses nothing: the queue is on disk and replayed by the next start', async () => {
  const clock = new ManualClock();
  const portal = uniquePortal();
  const stateDir = tempDir('pc-outage-crash-');
  let store: Store = await openResilient(clock, { kind: 'redis', url: redis.url }, stateDir);
  await redis.kill();
  await store.put('blocks', portal, { id: 'user:queued' });
  await store.counters([countOp(portal, 'bob', 15 * MIN)], clock.now(), { kind: 'login' });
  await store.close(); // the process goes away with the queue undelivered

  // Restarted while Redis is still down: the local view holds the queued block.
  store = await openResilient(clock, { kind: 'redis', url: redis.url }, stateDir);
  expect(store.health()).toMatchObject({ state: 'fallback', queued: 2 });
  expect(await store.get('blocks', portal, 'user:queued')).toEqual({ id: 'user:queued' });
  await redis.start();
  await eventually(() => store.health().state === 'ok', 10_000, 'the queue to drain');
  await store.close();

  const fresh = await openResilient(clock, { kind: 'redis', url: redis.url }, tempDir('pc-outage-fresh-'));
  expect(await fresh.get('blocks', portal, 'user:queued')).toEqual({ id: 'user:queued' });
  expect(await fresh.counters([countOp(portal, 'bob', 15 * MIN, false)], clock.now())).toEqual({ ok: true, values: [1] });
  await fresh.close();
});

test('Redis unreachable at start: the store starts in fallback and catches up when Redis appears', async () => {
  const clock = new ManualClock();
  const portal = uniquePortal();
  const late = await startRedisServer();
  await late.stop();
  const store = await openResilient(clock, { kind: 'redis', url: late.url }, tempDir('pc-outage-late-'), 'late', {
    redis: { ...TEST_STORE_OPTIONS.redis, connectTimeoutMs: 300 },
  });
  expect(store.health()).toMatchObject({ state: 'fallback' });
  await store.put('blocks', portal, { id: 'user:early' });
  expect(await store.counters([countOp(portal, 'x', MIN)], clock.now(), { kind: 'otp' })).toEqual({ ok: true, values: [1] });
  expect(await store.counters([countOp(portal, 'x', MIN)], clock.now(), { kind: 'rest' })).toEqual({ ok: false, reason: 'store_unavailable' });
  await late.start();
  await eventually(() => store.health().state === 'ok', 10_000, 'the store to connect');
  expect(await store.get('blocks', portal, 'user:early')).toEqual({ id: 'user:early' });
  expect(await store.counters([countOp(portal, 'x', MIN, false)], clock.now())).toEqual({ ok: true, values: [2] });
  await store.close();
});
