/**
 * The REST counter batcher against the real memory store: answers are exact once a flush is back, and
 * a flush sends one op per counter key (and per distinct member), however many requests it carries.
 */
import { CounterBatcher } from '../../gateway/pipeline/sense/counter-batcher';
import { ManualClock } from '../../gateway/lib/clock';
import type { CounterOp, CounterResult, Store } from '../../gateway/store/port';
import { countOp, distinctOp, eventually, openMemory, uniquePortal } from '../store/helpers';

const MIN = 60_000;

/** The memory store, with the size of every counters() call it receives written down. */
async function recordingStore(clock: ManualClock): Promise<{ store: Store; calls: number[]; close: () => Promise<void> }> {
  const inner = await openMemory(clock, null);
  const calls: number[] = [];
  const store = Object.create(inner) as Store;
  store.counters = (ops: readonly CounterOp[], nowMs: number): Promise<CounterResult> => {
    calls.push(ops.length);
    return inner.counters(ops, nowMs);
  };
  return { store, calls, close: () => inner.close() };
}

describe('CounterBatcher', () => {
  test('500 requests on one key are one op in the flush, and the value after it is exact', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const { store, calls, close } = await recordingStore(clock);
    const batcher = new CounterBatcher({ store, flushMs: 10_000, maxQueued: 100_000, now: () => clock.now(), onError: (err) => { throw err; } });
    const portal = uniquePortal();
    const seen: number[] = [];
    for (let i = 0; i < 500; i++) seen.push(batcher.apply([countOp(portal, 'hook-1', 15 * MIN), distinctOp(portal, 'hook-1', 60 * MIN, `ip-${i % 3}`)], 'rest')[0]!);
    // Answered at once from the local estimate: every request sees its own add.
    expect(seen[0]).toBe(1);
    expect(seen[499]).toBe(500);
    batcher.flush();
    // One count op (times: 500) and one op per distinct member.
    expect(calls).toEqual([4]);
    await eventually(async () => (await store.counters([countOp(portal, 'hook-1', 15 * MIN, false)], clock.now())).ok, 1000);
    expect(await store.counters([countOp(portal, 'hook-1', 15 * MIN, false), distinctOp(portal, 'hook-1', 60 * MIN)], clock.now())).toEqual({ ok: true, values: [500, 3] });
    // Synced from the store's answer, nothing pending: the next request reads 501. The distinct estimate
    // is an upper bound until the next flush (the members the store holds are not kept here): 4, then 3.
    await eventually(() => batcher.apply([countOp(portal, 'hook-1', 15 * MIN, false)], 'rest')[0] === 500, 1000, 'the synced value');
    expect(batcher.apply([countOp(portal, 'hook-1', 15 * MIN), distinctOp(portal, 'hook-1', 60 * MIN, 'ip-0')], 'rest')).toEqual([501, 4]);
    batcher.flush();
    await eventually(() => batcher.apply([distinctOp(portal, 'hook-1', 60 * MIN)], 'rest')[0] === 3, 1000, 'the distinct count synced back to 3');
    batcher.close();
    await close();
  });
});
