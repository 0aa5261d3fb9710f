/**
 * The data plane end to end: a real simulator, the real gateway in front of it, real HTTP clients.
 * Nothing is scored or blocked yet (later issues); what is checked here is that the gateway forwards
 * faithfully, classifies, limits, survives bad input and logs one clean line per request.
 */
import http from 'node:http';
import net from 'node:net';
import { request } from 'undici';
import WebSocket from 'ws';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../helpers/stack';

const FORM = 'application/x-www-form-urlencoded';

function loginBody(login: string, password: string): string {
  return new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: login, USER_PASSWORD: password, backurl: '/crm/' }).toString();
}

function rawExchange(port: number, text: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      sock.destroy();
      resolve(out);
    };
    sock.setTimeout(timeoutMs, done);
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('end', done);
    sock.on('error', done);
    sock.write(text);
  });
}

describe('the gateway in front of the simulator', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(() => s.sim.clearReceived());

  test('a login with the right password gets the portal\'s 302 and its session cookies', async () => {
    const res = await request(`${s.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': FORM },
      body: loginBody('bob', 'Demo-Bob-2024!'),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/crm/');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join('\n');
    expect(cookies).toMatch(/PHPSESSID=/);
    expect(cookies).toMatch(/BITRIX_SM_LOGIN=bob/);
    // The portal got the body exactly as sent (the gateway buffered it to classify, then forwarded it).
    const got = s.sim.received.find((r) => r.url.startsWith('/auth/'));
    expect(got?.body).toBe(loginBody('bob', 'Demo-Bob-2024!'));
    await eventually(() => s.logs.some((l) => l.msg === 'request' && l.kind === 'login' && l.status === 302));
    const line = s.logs.find((l) => l.msg === 'request' && l.kind === 'login')!;
    expect(line).toMatchObject({ portal: 'localhost', method: 'POST', path: '/auth/', login: 'bob', answer: 'forwarded' });
  });

  test('a wrong password gets the portal\'s own failure page', async () => {
    const res = await request(`${s.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': FORM },
      body: loginBody('bob', 'wrong'),
    });
    const html = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(html).toContain('Incorrect login or password');
    expect(html).toContain('name="USER_LOGIN"');
  });

  test('REST through a seeded webhook works, GET and POST', async () => {
    const get = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
    const body = (await get.body.json()) as { result: { ID: string } ; time: unknown };
    expect(get.statusCode).toBe(200);
    expect(body.result.ID).toBe('1');
    expect(body.time).toBeDefined();
    const post = await request(`${s.gw.url}/rest/1/demoadminhook001/crm.deal.list`, {
      method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json' }, body: JSON.stringify({ select: ['ID'] }),
    });
    const list = (await post.body.json()) as { total: number };
    expect(post.statusCode).toBe(200);
    expect(list.total).toBeGreaterThan(0);
    // And the portal's own error envelope passes through untouched.
    const bad = await request(`${s.gw.url}/rest/1/wrongcode0000000/user.current.json`, { headers: { host: 'localhost' } });
    expect(bad.statusCode).toBe(401);
    expect(await bad.body.json()).toMatchObject({ error: 'INVALID_CREDENTIALS' });
  });

  test('a WebSocket echo works through the gateway', async () => {
    const ws = new WebSocket(`${s.gw.url.replace('http', 'ws')}/bitrix/subws/?CHANNEL_ID=abc`, { headers: { host: 'localhost' } });
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping through the gateway'));
      ws.on('message', (d) => resolve(d.toString()));
      ws.on('error', reject);
    });
    ws.close();
    expect(echoed).toBe('ping through the gateway');
  });

  test('an "upgrade" that carries a login is refused, not relayed past the pipeline', async () => {
    s.sim.clearReceived();
    const q = new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: 'Demo-Bob-2024!' });
    const out = await rawExchange(
      s.gw.listen.port,
      `GET /auth/?${q} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(s.sim.received).toHaveLength(0);
    await eventually(() => s.logs.some((l) => l.answer === 'upgrade_refused'));
    expect(s.logs.find((l) => l.answer === 'upgrade_refused')).toMatchObject({ kind: 'login' });
  });

  test('the portal sees the client address the gateway resolved; planted forwarding headers are dropped', async () => {
    const res = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost', 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', 'x-forwarded-host': 'evil.example' } });
    await res.body.dump();
    const got = s.sim.received.find((r) => r.url === '/crm/')!;
    expect(got.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(got.headers['x-real-ip']).toBe('127.0.0.1');
    expect(got.headers['x-forwarded-host']).toBeUndefined();
    expect(got.headers['host']).toBe('localhost');
  });

  test('HEAD and a static file pass through as other', async () => {
    const res = await request(`${s.gw.url}/bitrix/js/main/core.js`, { method: 'HEAD', headers: { host: 'localhost' } });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    await eventually(() => s.logs.some((l) => l.path === '/bitrix/js/main/core.js'));
    expect(s.logs.find((l) => l.path === '/bitrix/js/main/core.js')).toMatchObject({ kind: 'other', method: 'HEAD' });
  });

  test('a login hidden at the end of a form body over the 64 KiB cap is aborted before the portal sees it', async () => {
    const filler = 'x'.repeat(100 * 1024);
    const body = `note=${filler}&${loginBody('bob', 'Demo-Bob-2024!')}`;
    const res = await request(`${s.gw.url}/crm/`, { method: 'POST', headers: { host: 'localhost', 'content-type': FORM }, body });
    const text = await res.body.text();
    expect(res.statusCode).toBe(413);
    expect(text).toMatch(/Payload Too Large/);
    await new Promise((r) => setTimeout(r, 100));
    // At most an aborted, incomplete request reached the portal, and never the login fields.
    const reached = s.sim.received.filter((r) => r.url === '/crm/' && r.method === 'POST');
    expect(reached.filter((r) => !r.aborted)).toHaveLength(0);
    for (const r of reached) expect(r.body).not.toContain('AUTH_FORM');
  });

  test('a large form body without a login streams through untouched', async () => {
    const boundary = '----pcboundary';
    const file = Buffer.alloc(300 * 1024, 0x61);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nreport\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await request(`${s.gw.url}/upload/docs/`, { method: 'POST', headers: { host: 'localhost', 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const got = s.sim.received.find((r) => r.url === '/upload/docs/' && r.method === 'POST');
    expect(Buffer.byteLength(got!.body, 'latin1')).toBeGreaterThanOrEqual(body.length - 16);
  });

  test('a login by GET on any page is classified as a login', async () => {
    const q = new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: 'nope' });
    const res = await request(`${s.gw.url}/crm/deal/?${q}`, { headers: { host: 'localhost' } });
    await res.body.dump();
    await eventually(() => s.logs.some((l) => l.path === '/crm/deal/'));
    const line = s.logs.find((l) => l.path === '/crm/deal/')!;
    expect(line).toMatchObject({ kind: 'login', login: 'bob' });
  });

  test('an absolute-form request target is classified and forwarded under its own authority', async () => {
    const out = await rawExchange(s.gw.listen.port, 'GET http://localhost/rest/1/demoadminhook001/user.current.json HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain('"result"');
    const got = s.sim.received.find((r) => r.url.includes('user.current'))!;
    expect(got.headers['host']).toBe('localhost');
  });

  test('malformed HTTP gets a 400 and the gateway keeps serving', async () => {
    const bad = await rawExchange(s.gw.listen.port, 'GARBAGE\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    const smuggle = await rawExchange(
      s.gw.listen.port,
      'POST /crm/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(smuggle).toMatch(/^HTTP\/1\.1 400/);
    const huge = await rawExchange(s.gw.listen.port, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431/);
    const nul = await rawExchange(s.gw.listen.port, 'GET /a\u0000b HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(nul).toMatch(/^HTTP\/1\.1 400/);
    const ok = await request(`${s.gw.url}/`, { headers: { host: 'localhost' } });
    await ok.body.dump();
    expect(ok.statusCode).toBe(200);
  });

  test('one log line per request with the fixed fields, and no secret in any of them', async () => {
    await eventually(() => s.logs.filter((l) => l.msg === 'request').length >= 8);
    const lines = s.logs.filter((l) => l.msg === 'request');
    for (const l of lines) {
      for (const field of ['req_id', 'ip', 'portal', 'method', 'path', 'kind', 'status', 'answer', 'duration_ms']) expect(l).toHaveProperty(field);
    }
    const text = s.rawLogs();
    for (const secret of ['Demo-Bob-2024!', 'demoadminhook001', 'nope']) expect(text).not.toContain(secret);
    expect(lines.some((l) => String(l.path).startsWith('/rest/1/{code}/'))).toBe(true);
  });

  test('the admin listener: health is open, metrics need the token', async () => {
    const health = await request(`${s.gw.adminUrl}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const anon = await request(`${s.gw.adminUrl}/metrics`);
    expect(anon.statusCode).toBe(401);
    await anon.body.dump();
    const wrong = await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    // A wrong token and a missing one get the same answer: no hint of which.
    const anonAgain = await request(`${s.gw.adminUrl}/metrics`);
    expect(await wrong.body.text()).toBe(await anonAgain.body.text());
    const ok = await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await ok.body.text();
    expect(ok.statusCode).toBe(200);
    expect(text).toMatch(/^portcullis_requests_total\{kind="rest",status="2xx",answer="forwarded"\} \d+/m);
  });
});

describe('when the portal fails', () => {
  test('a portal that refuses connections gets a clean 502, and the gateway recovers', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const s = await startStack({ upstream: `http://127.0.0.1:${port}` });
    try {
      const res = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(502);
      await res.body.dump();
      await eventually(() => s.logs.some((l) => l.error_code === 'PC_ERR_UPSTREAM_UNAVAILABLE'));
      // The portal comes up on that port: the next request goes through.
      const srv = http.createServer((_q, r) => r.end('back')).listen(port, '127.0.0.1');
      try {
        const again = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost' } });
        expect(again.statusCode).toBe(200);
        expect(await again.body.text()).toBe('back');
      } finally {
        await new Promise((r) => srv.close(r));
      }
    } finally {
      await s.close();
    }
  });

  test('a portal that hangs gets a 504 after the configured timeout', async () => {
    const hung = http.createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const s = await startStack({ upstream: `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`, config: { limits: { upstreamHeadersTimeoutMs: 300 } } });
    try {
      const res = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(504);
      await res.body.dump();
    } finally {
      await s.close();
      hung.closeAllConnections();
      await new Promise((r) => hung.close(r));
    }
  });

  test('a portal that resets mid-answer breaks the client response instead of truncating it silently', async () => {
    const rude = http.createServer((_q, r) => {
      r.writeHead(200, { 'content-length': '1000' });
      r.write('partial');
      setTimeout(() => r.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    const s = await startStack({ upstream: `http://127.0.0.1:${(rude.address() as net.AddressInfo).port}` });
    try {
      const res = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(200);
      await expect(res.body.text()).rejects.toThrow();
    } finally {
      await s.close();
      await new Promise((r) => rude.close(r));
    }
  });
});

describe('trusted proxies', () => {
  test('X-Forwarded-For from a trusted proxy names the client', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
    try {
      const res = await request(`${s.gw.url}/crm/`, { headers: { host: 'localhost', 'x-forwarded-for': '198.51.100.7' } });
      await res.body.dump();
      const got = s.sim.received.find((r) => r.url === '/crm/')!;
      expect(got.headers['x-real-ip']).toBe('198.51.100.7');
      expect(got.headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
      await eventually(() => s.logs.some((l) => l.msg === 'request'));
      expect(s.logs.find((l) => l.msg === 'request')).toMatchObject({ ip: '198.51.100.7' });
    } finally {
      await s.close();
    }
  });
});
