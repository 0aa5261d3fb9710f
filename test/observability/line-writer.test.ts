/**
 * The request-line writer against real file descriptors: every line arrives whole and in order, a
 * lone line is written within flushMs, and a consumer that stops reading costs dropped lines, not
 * memory or a blocked event loop.
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LineWriter } from '../../gateway/observability/line-writer';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

test('100 000 lines of varied length (some longer than a block, some not ASCII) arrive whole and in order', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pc-lines-')), 'out.log');
  const fd = openSync(file, 'w');
  const writer = new LineWriter({ fd });
  const expected: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const pad = i % 997 === 0 ? 'x'.repeat(6000) : i % 13 === 0 ? 'ü€'.repeat(i % 50) : '';
    const line = `{"n":${i},"pad":"${pad}"}\n`;
    expected.push(line);
    writer.write(line);
    if (i % 5000 === 0) await sleep(1); // let the pool write while lines keep coming
  }
  await until(() => readFileSync(file, 'utf8').length >= expected.join('').length, 10_000, 'every line written');
  writer.close();
  closeSync(fd);
  expect(readFileSync(file, 'utf8')).toBe(expected.join(''));
});

test('a single line on a quiet writer is written within flushMs', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pc-lines-')), 'out.log');
  const fd = openSync(file, 'w');
  const writer = new LineWriter({ fd, flushMs: 50 });
  writer.write('{"quiet":true}\n');
  expect(readFileSync(file, 'utf8')).toBe('');
  await until(() => readFileSync(file, 'utf8') === '{"quiet":true}\n', 2000, 'the lone line');
  writer.close();
  closeSync(fd);
});

test('a consumer that stops reading: lines are dropped and counted, the event loop stays free', async () => {
  // A child that never reads its stdin: our end of the pipe fills (64 KiB) and writes stall.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd; // non-blocking: a full pipe answers EAGAIN
  const drops: number[] = [];
  const writer = new LineWriter({ fd, maxQueuedBytes: 256 * 1024, onDrop: (n) => drops.push(n) });
  try {
    const line = `${JSON.stringify({ pad: 'y'.repeat(300) })}\n`;
    // A blocking write on the full pipe would never return: reaching the assertions is the proof that
    // nothing blocked. What is held for the stalled consumer stays within the cap.
    let maxHeld = 0;
    for (let i = 0; i < 5000; i++) {
      writer.write(line);
      maxHeld = Math.max(maxHeld, (writer as unknown as { waitingBytes: number }).waitingBytes);
      if (i % 500 === 0) await sleep(5);
    }
    expect(maxHeld).toBeGreaterThan(0); // the pipe did fill: lines were held
    expect(maxHeld).toBeLessThanOrEqual(256 * 1024 + 64 * 1024); // the cap, plus at most one block
    expect(writer.dropped).toBeGreaterThan(0);
    expect(drops).toEqual([drops[0]]); // told once for the burst
  } finally {
    child.kill('SIGKILL');
  }
});
