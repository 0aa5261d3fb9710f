/** Sliding windows by an injected clock: edges, distinct counts, keys, filters, bounded memory. No sleeping. */
import fc from 'fast-check';
import { ManualClock } from '../../gateway/lib/clock';
import { CounterBank, SlidingCount, SlidingDistinct } from '../../gateway/signals/counters';

const MIN = 60_000;

test('a count equals the bucket rule applied to every event, whatever the order and spacing of events and reads', () => {
  // Reference: an event at t counts at `now` while floor((now - w) / b) <= floor(t / b) <= floor(now / b).
  const step = fc.record({ dt: fc.integer({ min: -2 * MIN, max: 10 * MIN }), n: fc.integer({ min: 1, max: 3 }), read: fc.boolean() });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.array(step, { maxLength: 80 }), (windowMin, steps) => {
      const windowMs = windowMin * MIN;
      const c = new SlidingCount({ windowMs });
      const b = c.bucketMs;
      const events: { t: number; n: number }[] = [];
      let now = 10 * 24 * 60 * MIN;
      for (const s of steps) {
        // Mostly forward in time; a negative step is an event replayed from the past.
        const t = now + s.dt;
        if (s.dt >= 0) now = t;
        c.add(t, s.n);
        events.push({ t, n: s.n });
        if (s.read) {
          const oldest = Math.floor((now - windowMs) / b);
          const newest = Math.floor(now / b);
          const expected = events.filter((e) => Math.floor(e.t / b) >= oldest && Math.floor(e.t / b) <= newest).reduce((sum, e) => sum + e.n, 0);
          expect(c.count(now)).toBe(expected);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('a count holds an event for at least the window and at most one sub-bucket longer', () => {
  const clock = new ManualClock(0);
  const c = new SlidingCount({ windowMs: 15 * MIN, resolution: 60 }); // 15 s buckets
  c.add(clock.now());
  clock.set(15 * MIN - 1);
  expect(c.count(clock.now())).toBe(1);
  clock.set(15 * MIN); // exactly the window: still counted (bucket [0, 15s) ends after now - window)
  expect(c.count(clock.now())).toBe(1);
  clock.set(15 * MIN + 15_000 - 1);
  expect(c.count(clock.now())).toBe(1);
  clock.set(15 * MIN + 15_000);
  expect(c.count(clock.now())).toBe(0);
});

test('a count slides: old events leave as new ones come', () => {
  const c = new SlidingCount({ windowMs: 10 * MIN, resolution: 10 });
  for (let m = 0; m < 30; m++) c.add(m * MIN);
  expect(c.count(29 * MIN)).toBe(11); // minutes 19..29: the event of minute 19 is exactly 10 minutes old
  expect(c.count(35 * MIN)).toBe(5); // minutes 25..29
  expect(c.count(60 * MIN)).toBe(0);
});

test('distinct counts each value once, remembers the last sighting, and is capped', () => {
  const d = new SlidingDistinct({ windowMs: 60 * MIN, maxDistinct: 5 });
  d.add(0, 'anna');
  d.add(1000, 'anna');
  d.add(2000, 'boris');
  expect(d.count(2000)).toBe(2);
  d.add(50 * MIN, 'anna'); // anna seen again: stays after boris leaves
  expect(d.count(61 * MIN + 1)).toBe(1);
  expect(d.has(61 * MIN + 1, 'anna')).toBe(true);
  for (let i = 0; i < 100; i++) d.add(62 * MIN, `u${i}`);
  expect(d.count(62 * MIN)).toBe(5);
});

test('a bank keys by the counter\'s `by`, skips events missing a key, and applies `where`', () => {
  const bank = new CounterBank([
    { name: 'user_fail', type: 'count', event: 'login.failed', by: ['portal', 'user'], windowMs: 15 * MIN },
    { name: 'unknown_fail', type: 'count', event: 'login.failed', by: ['portal', 'user'], windowMs: 15 * MIN, where: (s) => s['device.known'] !== true },
    { name: 'ip_users', type: 'distinct', distinct: 'user', event: 'login.failed', by: ['ip'], windowMs: 60 * MIN },
  ]);
  const anna = { portal: 'p', user: 'anna', ip: '203.0.113.5' };
  bank.record(0, { event: 'login.failed', keys: anna, signals: { 'device.known': false } });
  bank.record(0, { event: 'login.failed', keys: anna, signals: { 'device.known': true } });
  bank.record(0, { event: 'login.failed', keys: { portal: 'p', user: 'boris', ip: '203.0.113.5' } });
  bank.record(0, { event: 'login.failed', keys: { portal: 'p', ip: '203.0.113.5' } }); // no user: not counted by user
  bank.record(0, { event: 'login.success', keys: anna });
  expect(bank.readAll(0, anna)).toEqual({ 'counters.user_fail': 2, 'counters.unknown_fail': 1, 'counters.ip_users': 2 });
  expect(bank.read(16 * MIN, 'user_fail', anna)).toBe(0);
  expect(bank.read(16 * MIN, 'ip_users', anna)).toBe(2);
});

test('memory is bounded in keys per counter, and idle keys are swept', () => {
  const bank = new CounterBank([{ name: 'c', type: 'count', event: 'rest.call', by: ['ip'], windowMs: MIN }], { maxKeysPerCounter: 100 });
  for (let i = 0; i < 1000; i++) bank.record(0, { event: 'rest.call', keys: { ip: `10.0.${i >> 8}.${i & 255}` } });
  expect(bank.keyCount()).toBe(100);
  expect(bank.sweep(2 * MIN + 1)).toBe(100);
  expect(bank.keyCount()).toBe(0);
});
