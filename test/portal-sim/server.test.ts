import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import WebSocket from 'ws';
import { loadSeed, startPortalSim, type PortalSim } from '../../portal-sim/server';
import { call, form } from './helpers';

let sim: PortalSim;

beforeEach(async () => {
  sim = await startPortalSim({ hashCostMs: 0, longPollTimeoutMs: 300 });
});
afterEach(async () => {
  await sim.close();
});

describe('portals by Host', () => {
  test.each(['localhost', 'LOCALHOST:8080', '127.0.0.1', '[::1]:80', 'localhost.'])('%s is the demo portal', async (host) => {
    const r = await call(sim.url, '/rest/1/demoadminhook001/profile', { host });
    expect(r.status).toBe(200);
  });

  test('each portal has its own users', async () => {
    const f = form({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'solo@solo.example', USER_PASSWORD: 'Solo-Owner-Demo-1' });
    expect((await call(sim.url, '/auth/', { method: 'POST', ...f, host: 'solo.bitrix24.local' })).status).toBe(302);
    expect((await call(sim.url, '/auth/', { method: 'POST', ...f, host: 'localhost' })).status).toBe(200);
  });

  test('an unknown Host: 404 "Portal not found"', async () => {
    const r = await call(sim.url, '/', { host: 'nope.example' });
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('Portal not found');
  });
});

describe('other traffic', () => {
  test('static files get a small body with a fitting type; other pages are HTML', async () => {
    const js = await call(sim.url, '/bitrix/js/main/core/core.min.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('application/javascript');
    const png = await call(sim.url, '/upload/main/abc/photo.png');
    expect(png.headers['content-type']).toBe('image/png');
    const css = await call(sim.url, '/bitrix/css/main/bootstrap.css?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=admin&USER_PASSWORD=x');
    expect(css.headers['content-type']).toContain('text/css');
    const page = await call(sim.url, '/company/personal/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=UTF-8');
  });

  test('health and mailbox endpoints, not recorded', async () => {
    const h = await call(sim.url, '/__sim/healthz');
    expect(h.status).toBe(200);
    expect(h.body).toBe('ok');
    const m = await call(sim.url, '/__sim/mailbox?portal=localhost&login=bob');
    expect(m.status).toBe(404);
    expect(sim.received).toHaveLength(0);
  });

  test('bodies over 10 MB: 413, and the simulator keeps serving', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 10, 0x61);
    const r = await call(sim.url, '/auth/', { method: 'POST', body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(413);
    // Without a Content-Length (chunked), the cap applies while reading.
    const { Readable } = await import('node:stream');
    const { request } = await import('undici');
    const chunked = await request(sim.url + '/auth/', {
      method: 'POST',
      body: Readable.from((function* () { for (let i = 0; i < 11; i++) yield Buffer.alloc(1024 * 1024, 0x62); })()),
    }).catch((e: Error) => e);
    if (!(chunked instanceof Error)) expect(chunked.statusCode).toBe(413);
    expect((await call(sim.url, '/__sim/healthz')).status).toBe(200);
  });

  test('malformed bodies never crash it', async () => {
    const bad = [
      { body: 'AUTH_FORM=Y&%%%=&a[b=1&[]=x&__proto__[x]=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { body: '--nope\r\ngarbage', headers: { 'content-type': 'multipart/form-data; boundary=nope' } },
      { body: 'x', headers: { 'content-type': 'multipart/form-data' } },
      { body: '{"cmd":', headers: { 'content-type': 'application/json' } },
    ];
    for (const b of bad) {
      expect((await call(sim.url, '/auth/?login=yes', { method: 'POST', ...b })).status).toBe(200);
      expect((await call(sim.url, '/rest/1/demoadminhook001/batch', { method: 'POST', ...b })).status).toBe(200);
    }
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('recording', () => {
  test('every request, in order, with method, url, headers and raw body', async () => {
    await call(sim.url, '/a?x=1');
    await call(sim.url, '/auth/?login=yes', { method: 'POST', ...form({ USER_LOGIN: 'bob', USER_PASSWORD: 'p' }) });
    expect(sim.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /a?x=1', 'POST /auth/?login=yes']);
    expect(sim.received[1]!.body).toBe('USER_LOGIN=bob&USER_PASSWORD=p');
    expect(sim.received[1]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(typeof sim.received[0]!.at).toBe('number');
    const ref = sim.received;
    sim.clearReceived();
    expect(ref).toHaveLength(0);
  });
});

describe('push & pull', () => {
  test('WebSocket echo at /bitrix/subws/', async () => {
    const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/bitrix/subws/?CHANNEL_ID=abc`);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello portal'));
      ws.on('message', (data) => resolve(data.toString()));
      ws.on('error', reject);
    });
    expect(echoed).toBe('hello portal');
    ws.close();
    expect(sim.received.some((r) => r.url.startsWith('/bitrix/subws/'))).toBe(true);
  });

  test('a WebSocket elsewhere is refused', async () => {
    const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/not-here/`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });

  test('long polling: a waiting GET /bitrix/sub/ gets what POST /bitrix/pub/ publishes', async () => {
    const waiting = call(sim.url, '/bitrix/sub/?CHANNEL_ID=chan1');
    await new Promise((r) => setTimeout(r, 50));
    const pub = await call(sim.url, '/bitrix/pub/?CHANNEL_ID=chan1', { method: 'POST', body: '{"event":"ping"}' });
    expect(pub.status).toBe(200);
    expect(JSON.parse(pub.body)).toMatchObject({ subscribers: 1 });
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(got.body).toBe('{"event":"ping"}');
  });

  test('long polling: a message published first is kept; a wait with nothing ends with 304', async () => {
    await call(sim.url, '/bitrix/pub/?CHANNEL_ID=chan2', { method: 'POST', body: 'early' });
    expect((await call(sim.url, '/bitrix/sub/?CHANNEL_ID=chan2')).body).toBe('early');
    const t0 = Date.now();
    const empty = await call(sim.url, '/bitrix/sub/?CHANNEL_ID=chan2');
    expect(empty.status).toBe(304);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

describe('seed files', () => {
  test('the bundled seed loads: three portals', () => {
    const seed = loadSeed(path.resolve(__dirname, '../../portal-sim/seed.yaml'));
    expect(seed.portals.map((p) => p.host)).toEqual(['localhost', 'acme.bitrix24.local', 'solo.bitrix24.local']);
    expect(seed.portals[2]!.users).toHaveLength(1);
  });

  test('a bad seed names the file and the key', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seed-')), 'bad.yaml');
    fs.writeFileSync(file, 'portals:\n  - host: x\n    users:\n      - { id: 1, login: a, email: a@x, name: A, pasword: p }\n');
    expect(() => loadSeed(file)).toThrow(`${file} portals[0].users[0].pasword: unknown key`);
    fs.writeFileSync(file, 'portals:\n  - host: x\n    users:\n      - { id: 1, login: a, email: a@x, name: A, password: p }\n    webhooks:\n      - { user_id: 2, code: c }\n');
    expect(() => loadSeed(file)).toThrow(/portals\[0\]\.webhooks\[0\]\.user_id: no user with id 2/);
  });

  test('an in-memory seed', async () => {
    const own = await startPortalSim({
      hashCostMs: 0,
      seed: { portals: [{ host: 'mem.local', users: [{ id: 1, login: 'm', email: 'm@x', name: 'M', password: 'pw-123456', admin: true, owner: true, active: true }] }] },
    });
    try {
      const r = await call(own.url, '/', { method: 'POST', host: 'mem.local', ...form({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'm', USER_PASSWORD: 'pw-123456' }) });
      expect(r.status).toBe(302);
    } finally {
      await own.close();
    }
  });
});
