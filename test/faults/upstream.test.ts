/**
 * Upstream down or slow (issue 7, Faults): the portal refuses connections, hangs, or resets
 * mid-response. The client gets a clean 502/504 (or, once the portal's headers were already passed on,
 * a cut response, never a hang); over 300 such requests a compiled gateway's open file descriptors and
 * RSS stay within a small bound after warm-up; and it answers normally again when the portal does.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, startGatewayProcess, stopAll, tempDir } from '../helpers/processes';
import { call, countBy, fdCount, rssKiB, sleep } from './util';

afterAll(() => stopAll());

type Mode = 'ok' | 'refuse' | 'hang' | 'reset-headers' | 'reset-body';

/** A raw TCP "portal" whose behaviour the test switches; 'refuse' closes its listener. */
class FakePortal {
  mode: Mode = 'ok';
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number) {}

  async listen(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        if (!buffered.includes('\r\n\r\n')) return;
        buffered = '';
        if (this.mode === 'ok') {
          const body = '{"result":{"ID":"1"}}';
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        } else if (this.mode === 'hang') {
          // say nothing
        } else if (this.mode === 'reset-headers') {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/ht');
          setTimeout(() => socket.resetAndDestroy(), 5);
        } else if (this.mode === 'reset-body') {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html><body>partial');
          setTimeout(() => socket.resetAndDestroy(), 5);
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  set(mode: Mode): Promise<void> {
    this.mode = mode;
    return mode === 'refuse' ? this.close() : this.listen();
  }
}

test('refused, hanging and reset portals: clean 502/504, no fd or memory growth over 300 requests, recovery', async () => {
  const portal = new FakePortal(await freePort());
  await portal.listen();
  const dir = tempDir('pc-fault-upstream-');
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, 'limits:\n  upstreamHeadersTimeoutMs: 400\n  upstreamBodyTimeoutMs: 400\n');
  const gw = await startGatewayProcess({ upstream: `http://127.0.0.1:${portal.port}`, logLevel: 'warn', env: { PORTCULLIS_CONFIG: configFile } });

  const paths = ['/rest/1/demoadminhook001/user.current.json', '/crm/deal/', '/'];
  const one = async (i: number): Promise<{ status: number; ms: number; error?: string }> => {
    const t0 = Date.now();
    const r = await call(`${gw.url}${paths[i % paths.length]}`, { headers: { host: 'localhost' }, timeoutMs: 5000 });
    return { status: r.status, ms: Date.now() - t0, ...(r.error ? { error: r.error } : {}) };
  };
  const round = async (mode: Mode, n: number, concurrency = 20): Promise<Array<{ status: number; ms: number; error?: string }>> => {
    await portal.set(mode);
    const out: Array<{ status: number; ms: number; error?: string }> = [];
    for (let i = 0; i < n; i += concurrency) out.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => one(i + j)))));
    return out;
  };

  expect((await round('ok', 10)).map((r) => r.status)).toEqual(Array(10).fill(200));

  // Warm-up: every failure path once in a while.
  for (const mode of ['refuse', 'hang', 'reset-headers', 'reset-body'] as Mode[]) await round(mode, 20);
  await round('ok', 20);
  await sleep(500);
  const fdBefore = fdCount(gw.pid);
  const rssBefore = rssKiB(gw.pid);

  const results: Record<string, Array<{ status: number; ms: number; error?: string }>> = {};
  for (const mode of ['refuse', 'hang', 'reset-headers', 'reset-body'] as Mode[]) results[mode] = await round(mode, 75);
  const total = Object.values(results).reduce((n, r) => n + r.length, 0);

  // Recovery: the portal answers again, so does the gateway.
  const recovered = await round('ok', 20);
  await sleep(800);
  const fdAfter = fdCount(gw.pid);
  const rssAfter = rssKiB(gw.pid);
  process.stdout.write(
    `upstream faults over ${total} requests: ${Object.entries(results).map(([m, r]) => `${m} ${JSON.stringify(countBy(r, (x) => x.status))} (max ${Math.max(...r.map((x) => x.ms))} ms)`).join('; ')}; ` +
      `fds ${fdBefore} → ${fdAfter}, RSS ${(rssBefore / 1024).toFixed(1)} → ${(rssAfter / 1024).toFixed(1)} MiB; recovered ${JSON.stringify(countBy(recovered, (x) => x.status))}\n`,
  );

  expect(results.refuse!.filter((r) => r.status !== 502)).toEqual([]);
  expect(results.hang!.filter((r) => r.status !== 504)).toEqual([]);
  expect(results.hang!.every((r) => r.ms < 3000)).toBe(true);
  expect(results['reset-headers']!.filter((r) => r.status !== 502)).toEqual([]);
  // Headers already passed on: the client's response is cut (-1), or a 502 if the gateway held it; never a hang.
  expect(results['reset-body']!.filter((r) => r.status !== 502 && r.status !== -1)).toEqual([]);
  expect(results['reset-body']!.every((r) => r.ms < 3000)).toBe(true);
  expect(recovered.map((r) => r.status)).toEqual(Array(20).fill(200));
  // Keep-alive sockets to the portal come and go; a leak of one per request would be ~300.
  expect(fdAfter - fdBefore).toBeLessThanOrEqual(24);
  expect(rssAfter - rssBefore).toBeLessThan(40 * 1024);
  expect(gw.isRunning()).toBe(true);
  await portal.close();
}, 60_000);
