/**
 * One contract, every store: the memory store, the bare Redis store and the resilient Redis store
 * (what createStore gives) on a real redis-server started here. Time is a ManualClock: windows are
 * tested by moving it, never by sleeping.
 */
import Redis from 'ioredis';
import { ManualClock } from '../../gateway/lib/clock';
import type { AuditEvent, Change, Store, StoredRecord } from '../../gateway/store/port';
import { startRedisServer, stopAll, tempDir, type RedisServer } from '../helpers/processes';
import { countOp, distinctOp, eventually, openMemory, openRedis, openResilient, uniquePortal } from './helpers';

let redis: RedisServer;
const opened: Store[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await stopAll();
});

interface Factory {
  readonly name: string;
  readonly shared: boolean;
  open(clock: ManualClock): Promise<Store>;
}

const factories: Factory[] = [
  { name: 'memory', shared: false, open: (clock) => openMemory(clock, tempDir('pc-store-mem-')) },
  { name: 'redis', shared: true, open: (clock) => openRedis(clock, { kind: 'redis', url: redis.url }) },
  { name: 'resilient redis', shared: true, open: (clock) => openResilient(clock, { kind: 'redis', url: redis.url }, tempDir('pc-store-res-')) },
];

const MIN = 60_000;

describe.each(factories)('$name store', (factory) => {
  let clock: ManualClock;
  let store: Store;
  let portal: string;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    store = await factory.open(clock);
    opened.push(store);
    portal = uniquePortal();
  });

  test('counts events in a sliding window, and forgets them once it has passed', async () => {
    const window = 15 * MIN;
    for (let i = 0; i < 5; i++) {
      const r = await store.counters([countOp(portal, 'alice', window)], clock.now());
      expect(r).toEqual({ ok: true, values: [i + 1] });
      clock.advance(MIN);
    }
    // Read only: no add.
    expect(await store.counters([countOp(portal, 'alice', window, false)], clock.now())).toEqual({ ok: true, values: [5] });
    expect(await store.counters([countOp(portal, 'bob', window, false)], clock.now())).toEqual({ ok: true, values: [0] });
    // The first event was at t0; 15 min (plus at most one 15 s bucket) later it no longer counts.
    clock.advance(15 * MIN - 5 * MIN + 15_000);
    expect(await store.counters([countOp(portal, 'alice', window, false)], clock.now())).toEqual({ ok: true, values: [4] });
    clock.advance(window);
    expect(await store.counters([countOp(portal, 'alice', window, false)], clock.now())).toEqual({ ok: true, values: [0] });
  });

  test('window edges follow the bucket rule of window.ts (an event counts at least windowMs)', async () => {
    const window = 60_000; // 60 buckets of 1 s
    const t0 = clock.now();
    await store.counters([countOp(portal, 'k', window)], t0);
    clock.set(t0 + window - 1);
    expect(await store.counters([countOp(portal, 'k', window, false)], clock.now())).toEqual({ ok: true, values: [1] });
    clock.set(t0 + window);
    expect(await store.counters([countOp(portal, 'k', window, false)], clock.now())).toEqual({ ok: true, values: [1] });
    clock.set(t0 + window + 1000);
    expect(await store.counters([countOp(portal, 'k', window, false)], clock.now())).toEqual({ ok: true, values: [0] });
  });

  test('distinct counts: a member seen twice counts once, and leaves the window', async () => {
    const window = 60 * MIN;
    const ops = (member: string) => [distinctOp(portal, '10.0.0.1', window, member)];
    expect(await store.counters(ops('u1'), clock.now())).toEqual({ ok: true, values: [1] });
    clock.advance(MIN);
    expect(await store.counters(ops('u2'), clock.now())).toEqual({ ok: true, values: [2] });
    expect(await store.counters(ops('u1'), clock.now())).toEqual({ ok: true, values: [2] });
    clock.advance(window + MIN);
    expect(await store.counters([distinctOp(portal, '10.0.0.1', window)], clock.now())).toEqual({ ok: true, values: [0] });
  });

  test('several ops in one call, answered in op order, a read after an add sees it', async () => {
    const ops = [countOp(portal, 'alice', 15 * MIN), distinctOp(portal, 'ip1', 60 * MIN, 'alice'), countOp(portal, 'ip1', 15 * MIN), countOp(portal, 'alice', 15 * MIN, false)];
    expect(await store.counters(ops, clock.now())).toEqual({ ok: true, values: [1, 1, 1, 1] });
    expect(await store.counters(ops, clock.now())).toEqual({ ok: true, values: [2, 1, 2, 2] });
  });

  test('a count op with `times` adds that many events at once (the REST batcher merges adds per key)', async () => {
    const window = 15 * MIN;
    expect(await store.counters([{ ...countOp(portal, 'merged', window), times: 37 }], clock.now())).toEqual({ ok: true, values: [37] });
    expect(await store.counters([countOp(portal, 'merged', window)], clock.now())).toEqual({ ok: true, values: [38] });
    expect(await store.counters([{ ...countOp(portal, 'merged', window, false), times: 5 }], clock.now())).toEqual({ ok: true, values: [38] });
  });

  test('records: put, get, list (one portal and all), delete', async () => {
    const other = uniquePortal();
    await store.put('blocks', portal, { id: 'user:alice', reason: 'rule:brute-force' } as StoredRecord);
    await store.put('blocks', portal, { id: 'rest', reason: 'rule:brute-force' } as StoredRecord);
    await store.put('blocks', other, { id: 'user:bob' } as StoredRecord);
    await store.put('devices', portal, { id: 'd1' } as StoredRecord);
    expect(await store.get('blocks', portal, 'user:alice')).toEqual({ id: 'user:alice', reason: 'rule:brute-force' });
    expect(await store.get('blocks', portal, 'nobody')).toBeUndefined();
    expect((await store.list('blocks', portal)).map((r) => r.id).sort()).toEqual(['rest', 'user:alice']);
    const all = (await store.list('blocks', '*')).map((r) => r.id);
    expect(all).toEqual(expect.arrayContaining(['rest', 'user:alice', 'user:bob']));
    await store.delete('blocks', portal, 'rest');
    expect(await store.get('blocks', portal, 'rest')).toBeUndefined();
    expect((await store.list('blocks', portal)).map((r) => r.id)).toEqual(['user:alice']);
    // A put replaces.
    await store.put('blocks', portal, { id: 'user:alice', reason: 'operator:ops' } as StoredRecord);
    expect(await store.get('blocks', portal, 'user:alice')).toEqual({ id: 'user:alice', reason: 'operator:ops' });
  });

  test('records with expiresAtMs are gone after it, on get and on list', async () => {
    await store.put('blocks', portal, { id: 'short', expiresAtMs: clock.now() + 10 * MIN });
    await store.put('blocks', portal, { id: 'forever', expiresAtMs: null });
    expect((await store.list('blocks', portal)).map((r) => r.id).sort()).toEqual(['forever', 'short']);
    clock.advance(10 * MIN);
    expect(await store.get('blocks', portal, 'short')).toBeUndefined();
    expect((await store.list('blocks', portal)).map((r) => r.id)).toEqual(['forever']);
  });

  test('audit: newest first, filters by type and user, pages with beforeMs', async () => {
    const t0 = clock.now();
    const events: AuditEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const event: AuditEvent = { atMs: t0 + i * 1000, portal, type: i % 2 === 0 ? 'user_blocked' : 'block_lifted', actor: 'rule:r', user: i < 5 ? 'alice' : 'bob', details: { i } };
      events.push(event);
      await store.appendAudit(event);
    }
    const newest = await store.queryAudit({ portal, limit: 3 });
    expect(newest.map((e) => e.details?.i)).toEqual([9, 8, 7]);
    const page2 = await store.queryAudit({ portal, limit: 3, beforeMs: newest[2]!.atMs });
    expect(page2.map((e) => e.details?.i)).toEqual([6, 5, 4]);
    expect((await store.queryAudit({ portal, type: 'user_blocked', limit: 100 })).map((e) => e.details?.i)).toEqual([8, 6, 4, 2, 0]);
    expect((await store.queryAudit({ portal, user: 'alice', type: 'block_lifted', limit: 100 })).map((e) => e.details?.i)).toEqual([3, 1]);
    // Without a portal: every portal's events, still newest first.
    const other = uniquePortal();
    const user = `u-${other}`;
    await store.appendAudit({ atMs: t0 + 100_000, portal: other, type: 'user_blocked', actor: 'gateway', user });
    await store.appendAudit({ atMs: t0 + 50_000, portal, type: 'user_blocked', actor: 'gateway', user });
    const mixed = await store.queryAudit({ user, limit: 10 });
    expect(mixed.map((e) => e.portal)).toEqual([other, portal]);
    expect(await store.queryAudit({ portal, limit: 100, beforeMs: t0 + 50_000 })).toEqual([...events].reverse());
  });

  test('subscribe delivers puts and deletes made by this instance', async () => {
    const seen: Change[] = [];
    const unsubscribe = store.subscribe((c) => seen.push(c));
    await store.put('blocks', portal, { id: 'user:carol' });
    await store.delete('blocks', portal, 'user:carol');
    await eventually(() => seen.filter((c) => c.op !== 'resync' && c.portal === portal).length >= 2, 2000, 'own changes');
    expect(seen.filter((c) => c.op !== 'resync')).toEqual([
      expect.objectContaining({ op: 'put', collection: 'blocks', portal, id: 'user:carol', value: { id: 'user:carol' } }),
      expect.objectContaining({ op: 'delete', collection: 'blocks', portal, id: 'user:carol' }),
    ]);
    unsubscribe();
  });

  if (factory.shared) {
    test('a second instance (another replica) sees the records and receives the changes', async () => {
      const replica = await factory.open(clock);
      opened.push(replica);
      const seen: Change[] = [];
      replica.subscribe((c) => seen.push(c));
      await store.put('blocks', portal, { id: 'user:dave' });
      const change = await eventually(() => seen.find((c) => c.op === 'put' && c.portal === portal) ?? false, 2000, 'the replica to hear of the block');
      expect(change).toMatchObject({ op: 'put', id: 'user:dave', origin: expect.any(String) });
      expect(await replica.get('blocks', portal, 'user:dave')).toEqual({ id: 'user:dave' });
      // Counters are shared too.
      await store.counters([countOp(portal, 'eve', 15 * MIN)], clock.now());
      expect(await replica.counters([countOp(portal, 'eve', 15 * MIN)], clock.now())).toEqual({ ok: true, values: [2] });
    });

    test('one counters() call is one round trip: a single EVALSHA', async () => {
      const ops = [countOp(portal, 'alice', 15 * MIN), countOp(portal, 'ip:1', 15 * MIN), distinctOp(portal, 'ip:1', 60 * MIN, 'alice'), distinctOp(portal, 'alice', 60 * MIN, 'ip:1')];
      await store.counters(ops, clock.now()); // loads the script (EVALSHA → NOSCRIPT → EVAL) once
      const admin = new Redis(redis.url);
      const monitor = await admin.monitor(); // a second connection, in MONITOR mode
      const commands: string[][] = [];
      // Commands a script runs are reported too, with source "lua": those are not round trips.
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        // The resilient store's probe (EXISTS pc:seeded, every probeIntervalMs) is not part of the call.
        const probe = args[0]?.toLowerCase() === 'exists' && args[1] === 'pc:seeded';
        if (!/lua/i.test(source) && !probe) commands.push(args);
      });
      await new Promise((r) => setTimeout(r, 50));
      await store.counters(ops, clock.now());
      await eventually(() => commands.length >= 1, 2000, 'monitor output');
      await new Promise((r) => setTimeout(r, 100));
      monitor.disconnect();
      admin.disconnect();
      expect(commands.map((c) => c[0]!.toLowerCase())).toEqual(['evalsha']);
      // Every key of the call carries the portal's hash tag.
      const keys = commands[0]!.slice(3, 3 + 4);
      for (const key of keys) expect(key.startsWith(`pc:{${portal}}:`)).toBe(true);
    });
  }
});
