/**
 * The memory store's durability: a restart replays everything, a SIGKILL mid-burst loses no
 * acknowledged record, a torn last line is skipped, compaction keeps everything, and the counter bound
 * holds however many keys an attack touches.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../gateway/lib/clock';
import { encodeLine } from '../../gateway/store/journal';
import { JOURNAL_FILE } from '../../gateway/store/memory/memory-store';
import type { StoredRecord } from '../../gateway/store/port';
import { REPO_ROOT, stopAll, tempDir } from '../helpers/processes';
import { countOp, distinctOp, openMemory, recordingLogger } from './helpers';

afterAll(stopAll);

const PORTAL = 'portal.example.com';

test('a restart replays every record, delete and audit event; expired records stay gone', async () => {
  const dir = tempDir('pc-journal-');
  const clock = new ManualClock();
  const first = await openMemory(clock, dir);
  await first.put('blocks', PORTAL, { id: 'user:alice', reason: 'rule:x' } as StoredRecord);
  await first.put('blocks', PORTAL, { id: 'user:bob' });
  await first.put('blocks', PORTAL, { id: 'ip:1.2.3.4', expiresAtMs: clock.now() + 60_000 });
  await first.delete('blocks', PORTAL, 'user:bob');
  await first.put('unblock_requests', PORTAL, { id: 'req-1', state: 'open' } as StoredRecord);
  await first.put('users', PORTAL, { id: 'alice', resetRequired: true } as StoredRecord);
  await first.appendAudit({ atMs: clock.now(), portal: PORTAL, type: 'user_blocked', actor: 'rule:x', user: 'alice' });
  await first.close();

  const second = await openMemory(clock, dir);
  expect(await second.get('blocks', PORTAL, 'user:alice')).toEqual({ id: 'user:alice', reason: 'rule:x' });
  expect(await second.get('blocks', PORTAL, 'user:bob')).toBeUndefined();
  expect(await second.get('unblock_requests', PORTAL, 'req-1')).toEqual({ id: 'req-1', state: 'open' });
  expect(await second.get('users', PORTAL, 'alice')).toEqual({ id: 'alice', resetRequired: true });
  expect(await second.queryAudit({ limit: 10 })).toHaveLength(1);
  expect(await second.get('blocks', PORTAL, 'ip:1.2.3.4')).toBeDefined();
  clock.advance(60_000);
  expect(await second.get('blocks', PORTAL, 'ip:1.2.3.4')).toBeUndefined();
  await second.close();
});

test('a torn last line (a crash mid-write) and a damaged line are skipped, not fatal', async () => {
  const dir = tempDir('pc-journal-');
  const clock = new ManualClock();
  const store = await openMemory(clock, dir);
  await store.put('blocks', PORTAL, { id: 'user:a' });
  await store.put('blocks', PORTAL, { id: 'user:b' });
  await store.close();
  const file = path.join(dir, JOURNAL_FILE);
  // A line whose checksum does not match (bit rot), then a write cut short by a crash: no newline.
  appendFileSync(file, encodeLine({ op: 'put', c: 'blocks', p: PORTAL, r: { id: 'user:c' } }).replace('user:c', 'user:X'));
  const torn = encodeLine({ op: 'put', c: 'blocks', p: PORTAL, r: { id: 'user:d' } });
  appendFileSync(file, torn.slice(0, torn.length - 10));

  const logger = recordingLogger();
  const reopened = await openMemory(clock, dir, { logger });
  expect((await reopened.list('blocks', PORTAL)).map((r) => r.id).sort()).toEqual(['user:a', 'user:b']);
  expect(logger.warnings).toContainEqual(expect.objectContaining({ code: 'PC_ERR_STORE_JOURNAL_LINE', skipped: 2 }));
  // The torn tail was cut off: the next write starts on a clean line and survives the next restart.
  await reopened.put('blocks', PORTAL, { id: 'user:e' });
  await reopened.close();
  expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  const third = await openMemory(clock, dir);
  expect((await third.list('blocks', PORTAL)).map((r) => r.id).sort()).toEqual(['user:a', 'user:b', 'user:e']);
  await third.close();
});

test('compaction rewrites the journal smaller and keeps every live record and audit event', async () => {
  const dir = tempDir('pc-journal-');
  const clock = new ManualClock();
  const logger = recordingLogger();
  const store = await openMemory(clock, dir, { compactAfterBytes: 64 * 1024, logger });
  const file = path.join(dir, JOURNAL_FILE);
  // Rewrite 20 records over and over: the journal grows, the live state does not.
  for (let round = 0; round < 100; round++) {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('devices', PORTAL, { id: `d${i}`, round } as StoredRecord)));
  }
  await store.appendAudit({ atMs: clock.now(), portal: PORTAL, type: 'user_blocked', actor: 'gateway' });
  await store.put('blocks', PORTAL, { id: 'gone-soon', expiresAtMs: clock.now() + 1000 });
  const size = statSync(file).size;
  expect(size).toBeLessThan(64 * 1024 * 2);
  expect(existsSync(`${file}.compact`)).toBe(false);
  await store.close();

  const reopened = await openMemory(clock, dir);
  const devices = await reopened.list<StoredRecord & { round: number }>('devices', PORTAL);
  expect(devices).toHaveLength(20);
  expect(devices.every((d) => d.round === 99)).toBe(true);
  expect(await reopened.queryAudit({ portal: PORTAL, limit: 10 })).toHaveLength(1);
  expect(await reopened.get('blocks', PORTAL, 'gone-soon')).toBeDefined();
  await reopened.close();
});

test('SIGKILL in the middle of a write burst loses no acknowledged record', async () => {
  const child = path.join(__dirname, 'fixtures/write-burst.js');
  const built = path.join(REPO_ROOT, 'dist/gateway/store/memory/memory-store.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it in pretest)');
  for (const compactAfterBytes of [1024 * 1024 * 1024, 64 * 1024]) {
    const dir = tempDir('pc-journal-kill-');
    const proc = spawn(process.execPath, [child, dir, String(compactAfterBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buffered = '';
    const enough = new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (acked.length >= 2000) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`child exited (${code}) early: ${stderr}`)));
    });
    await enough;
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));

    const store = await openMemory(new ManualClock(), dir);
    const ids = new Set((await store.list('blocks', PORTAL)).map((r) => r.id));
    const lost = acked.filter((id) => !ids.has(id));
    expect({ compactAfterBytes, acked: acked.length, lost }).toEqual({ compactAfterBytes, acked: acked.length, lost: [] });
    await store.close();
  }
});

test('the counter bound holds with 50k attacking keys (a million would too): least recently used go first', async () => {
  const clock = new ManualClock();
  const store = await openMemory(clock, null, { maxCounterKeys: 1000 });
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50_000; i++) {
    await store.counters([countOp(PORTAL, `ip:${i}`, 15 * 60_000), distinctOp(PORTAL, `ip:${i}`, 60 * 60_000, 'alice')], clock.now());
  }
  expect(store.counterKeys).toBe(1000);
  // The newest keys are kept; the oldest were forgotten (and read 0, as after their window).
  expect(await store.counters([countOp(PORTAL, 'ip:49999', 15 * 60_000, false)], clock.now())).toEqual({ ok: true, values: [1] });
  expect(await store.counters([countOp(PORTAL, 'ip:0', 15 * 60_000, false)], clock.now())).toEqual({ ok: true, values: [0] });
  // Reads of unknown keys create nothing.
  for (let i = 0; i < 5000; i++) await store.counters([countOp(PORTAL, `never:${i}`, 60_000, false)], clock.now());
  expect(store.counterKeys).toBe(1000);
  if (global.gc) global.gc();
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  await store.close();
});

test('writes before close are all durable, and a journal that is not valid JSON at all does not stop the start', async () => {
  const dir = tempDir('pc-journal-');
  writeFileSync(path.join(dir, JOURNAL_FILE), 'garbage\nmore garbage\n');
  const logger = recordingLogger();
  const store = await openMemory(new ManualClock(), dir, { logger });
  expect(await store.list('blocks', '*')).toEqual([]);
  expect(logger.warnings[0]).toMatchObject({ code: 'PC_ERR_STORE_JOURNAL_LINE', skipped: 2 });
  await store.close();
});
