/**
 * The console's sign-in, sessions and CSRF over plain HTTP against the real admin listener: wrong
 * sign-in, an expired session and a CSRF-less state change each get a clear refusal; the cookie's
 * attributes; the bearer token keeps working; the session never opens the bare /v1 routes.
 */
import { ConsoleSessions } from '../../gateway/admin/console/sessions';
import { loadConfig } from '../../gateway/config/load';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { http, requireBuiltConsole, signInHttp } from './helpers';

describe('console sessions and CSRF', () => {
  let s: Stack;
  let base: string;
  beforeAll(async () => {
    requireBuiltConsole();
    s = await startStack();
    base = s.gw.adminUrl;
  });
  afterAll(() => s.close());

  test('the page is served with a strict CSP; /console redirects to /console/', async () => {
    const page = await http(base, 'GET', '/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(String(page.body)).toContain('/console/app.js');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await http(base, 'GET', '/console/app.js')).status).toBe(200);
    expect((await http(base, 'GET', '/console')).status).toBe(302);
    expect((await http(base, 'GET', '/console/../package.json')).status).not.toBe(200);
    expect((await http(base, 'GET', '/console/nothing.js')).status).toBe(404);
  });

  test('a wrong token is refused with 401 and a message; no cookie is set', async () => {
    const r = await http(base, 'POST', '/console/session', { body: { token: 'not-the-token', operator: 'sam' } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'unauthorized', code: 'PC_ERR_ADMIN_UNAUTHORIZED' });
    expect(r.body.message).toMatch(/wrong admin token/);
    expect(r.headers['set-cookie']).toBeUndefined();
    const noName = await http(base, 'POST', '/console/session', { body: { token: ADMIN_TOKEN, operator: 'a:b' } });
    expect(noName.status).toBe(422);
    expect(noName.body.field).toBe('operator');
    const form = await http(base, 'POST', '/console/session', { body: undefined });
    expect(form.status).toBe(415);
  });

  test('sign-in sets an httpOnly, SameSite=Strict, Path=/console cookie and returns a CSRF token; the token is in no URL', async () => {
    const { setCookie, csrf, cookie } = await signInHttp(base, ADMIN_TOKEN, 'sam');
    expect(setCookie).toMatch(/^portcullis_console=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/console;/);
    expect(setCookie).not.toContain(ADMIN_TOKEN);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await http(base, 'GET', '/console/session', { cookie });
    expect(again.body).toMatchObject({ operator: 'admin', token_name: 'admin', role: 'admin', csrf });
    // Reads through the session; the bare /v1 routes still need the bearer token, which still works.
    expect((await http(base, 'GET', '/console/api/v1/blocks', { cookie })).status).toBe(200);
    expect((await http(base, 'GET', '/console/api/metrics', { cookie })).status).toBe(200);
    expect((await http(base, 'GET', '/v1/blocks', { cookie })).status).toBe(401);
    expect((await http(base, 'GET', '/v1/blocks', { bearer: ADMIN_TOKEN })).status).toBe(200);
    expect((await http(base, 'GET', '/console/api/healthz', { cookie })).status).toBe(404);
  });

  test('a state change with a valid cookie but no CSRF token is refused (403) and changes nothing', async () => {
    const { cookie, csrf } = await signInHttp(base, ADMIN_TOKEN, 'sam');
    const block = { portal: 'acme.bitrix24.local', kind: 'ip', ip: '198.51.100.9', reason: 'csrf test', operator: 'sam' };
    const forged = await http(base, 'POST', '/console/api/v1/blocks', { cookie, body: block });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ error: 'forbidden', code: 'PC_ERR_ADMIN_FORBIDDEN' });
    expect(forged.body.message).toMatch(/CSRF token/);
    const wrong = await http(base, 'POST', '/console/api/v1/blocks', { cookie, csrf: 'x'.repeat(43), body: block });
    expect(wrong.status).toBe(403);
    const crossSite = await http(base, 'POST', '/console/api/v1/blocks', { cookie, csrf, origin: 'http://evil.example', body: block });
    expect(crossSite.status).toBe(403);
    expect((await http(base, 'GET', '/v1/blocks?kind=ip', { bearer: ADMIN_TOKEN })).body.items).toEqual([]);
    const ok = await http(base, 'POST', '/console/api/v1/blocks', { cookie, csrf, body: block });
    expect(ok.status).toBe(201);
    expect((await http(base, 'DELETE', `/console/api/v1/blocks/${ok.body.items[0].id}?operator=sam`, { cookie })).status).toBe(403);
    expect((await http(base, 'DELETE', `/console/api/v1/blocks/${ok.body.items[0].id}?operator=sam`, { cookie, csrf })).status).toBe(200);
    // Sign-out needs the CSRF token too.
    expect((await http(base, 'DELETE', '/console/session', { cookie })).status).toBe(403);
  });

  test('sign-out ends the session server-side: the old cookie is refused', async () => {
    const { cookie, csrf } = await signInHttp(base, ADMIN_TOKEN, 'sam');
    const out = await http(base, 'DELETE', '/console/session', { cookie, csrf });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    const after = await http(base, 'GET', '/console/api/v1/blocks', { cookie });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/not signed in/);
  });

  test('session lifetimes: idle and absolute expiry (fake clock)', () => {
    let t = 0;
    const sessions = new ConsoleSessions({ idleMs: 1000, maxMs: 5000, maxSessions: 2 }, () => t);
    const a = sessions.create({ name: 'sam', role: 'support' });
    t = 900;
    expect(sessions.lookup(a.id).ok).toBe(true);
    t = 1800; // 900 ms after the last request: still idle-valid
    expect(sessions.lookup(a.id).ok).toBe(true);
    t = 2900;
    expect(sessions.lookup(a.id)).toEqual({ ok: false, why: 'expired' });
    const b = sessions.create({ name: 'sam', role: 'support' });
    for (t = 3000; t < 8000; t += 800) expect(sessions.lookup(b.id).ok).toBe(true);
    t = 8100;
    expect(sessions.lookup(b.id)).toEqual({ ok: false, why: 'expired' });
    sessions.create({ name: 'a', role: 'read' });
    sessions.create({ name: 'b', role: 'read' });
    sessions.create({ name: 'c', role: 'read' });
    expect(sessions.size).toBe(2);
  });
});

describe('an expired console session (admin.console.sessionIdleMs, PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS)', () => {
  let s: Stack;
  beforeAll(async () => {
    requireBuiltConsole();
    // The variable is read into the validated configuration, as serve reads it.
    const { admin } = loadConfig({ env: { PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS: '1', PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect(admin.console.sessionIdleMs).toBe(1000);
    s = await startStack({ config: { admin: { ...admin, listen: { host: '127.0.0.1', port: 0 } } } });
  });
  afterAll(() => s.close());

  test('is refused with 401 and a message saying it expired', async () => {
    const { cookie, csrf } = await signInHttp(s.gw.adminUrl, ADMIN_TOKEN, 'sam');
    expect((await http(s.gw.adminUrl, 'GET', '/console/api/v1/blocks', { cookie })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1300));
    const r = await http(s.gw.adminUrl, 'POST', '/console/api/v1/policies/reload', { cookie, csrf });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'unauthorized', code: 'PC_ERR_ADMIN_UNAUTHORIZED' });
    expect(r.body.message).toMatch(/session expired; sign in again/);
  });
});
