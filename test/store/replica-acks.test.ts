/**
 * storeOptions.redis.replicaAcks against real redis-servers: a block the master took but no replica
 * confirmed (Redis WAIT) is kept and confirmed later, and is sent again after a reconnect, since the
 * master it was written to may be gone (the Sentinel failover itself: test/faults/cluster-sentinel).
 */
import Redis from 'ioredis';
import { ManualClock } from '../../gateway/lib/clock';
import { redisCommand, startRedisServer, stopAll } from '../helpers/processes';
import { eventually, openRedis, uniquePortal } from './helpers';

afterAll(stopAll);

const blockRecord = (id: string) => ({ id, kind: 'user', subject: `subject-${id}`, expiresAtMs: null });

describe('writes confirmed by a replica (WAIT)', () => {
  test('a block without a replica is written and kept unconfirmed; a replica that appears confirms it', async () => {
    const master = await startRedisServer();
    const store = await openRedis(new ManualClock(), { kind: 'redis', url: `redis://127.0.0.1:${master.port}` }, 'acks', 1);
    const direct = new Redis(master.port, '127.0.0.1');
    try {
      const portal = uniquePortal();
      await store.put('blocks', portal, blockRecord('b1'));
      // Other replicas see it at once: the write is not withheld while unconfirmed.
      expect(await direct.hget(`pc:{${portal}}:rec:blocks`, 'b1')).toContain('subject-b1');
      expect(store.unconfirmedWrites).toBe(1);
      // Learning records are not confirmed (losing one in a failover costs a little learning, not a block).
      await store.put('users', portal, { id: 'u1' });
      expect(store.unconfirmedWrites).toBe(1);

      const replica = await startRedisServer();
      expect(await redisCommand(replica.port, `REPLICAOF 127.0.0.1 ${master.port}`)).toBe('+OK');
      await eventually(() => store.unconfirmedWrites === 0, 15_000, 'the replica confirms the pending block');
      const onReplica = new Redis(replica.port, '127.0.0.1');
      try {
        expect(await onReplica.hget(`pc:{${portal}}:rec:blocks`, 'b1')).toContain('subject-b1');
      } finally {
        onReplica.disconnect();
      }
      // With the replica linked, a new block is confirmed in its own round trip.
      await store.put('blocks', portal, blockRecord('b2'));
      expect(store.unconfirmedWrites).toBe(0);
    } finally {
      direct.disconnect();
      await store.close();
    }
  }, 30_000);

  test('after a reconnect, unconfirmed writes are sent again, in order (the new master may never have had them)', async () => {
    const master = await startRedisServer();
    const store = await openRedis(new ManualClock(), { kind: 'redis', url: `redis://127.0.0.1:${master.port}` }, 'acks-resend', 1);
    const direct = new Redis(master.port, '127.0.0.1');
    try {
      const portal = uniquePortal();
      const key = `pc:{${portal}}:rec:blocks`;
      await store.put('blocks', portal, blockRecord('kept'));
      await store.put('blocks', portal, blockRecord('lifted'));
      await store.delete('blocks', portal, 'lifted');
      await store.appendAudit({ atMs: 1, portal, type: 'user_blocked', actor: 'test' });
      expect(store.unconfirmedWrites).toBe(4);
      // What a demoted master does when it resyncs: its unconfirmed writes are gone.
      await direct.del(key, `pc:{${portal}}:audit`);
      // What the sentinel does after a failover: it closes the clients' connections.
      await direct.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      // Resent oldest first: the audit event last.
      await eventually(async () => (await direct.zcard(`pc:{${portal}}:audit`)) === 1, 10_000, 'the writes sent again');
      expect(await direct.hget(key, 'kept')).toContain('subject-kept');
      expect(await direct.hget(key, 'lifted')).toBeNull();
      // Still unconfirmed (no replica): kept for the next master.
      expect(store.unconfirmedWrites).toBe(4);
    } finally {
      direct.disconnect();
      await store.close();
    }
  }, 30_000);
});
