/**
 * Secrets (issue 7, DESIGN §5): passwords, webhook codes, OAuth tokens and cookie values are never
 * stored or logged. A full attack (bob blocked by real failed logins), REST calls with webhook codes
 * and OAuth tokens in the query, the body and a Bearer header, a lift by support and a password
 * change; then every log line, the /metrics text, every audit event, every record of every store
 * collection and every file of the state folder (journal, events.jsonl) is searched for every
 * secret used. Zero hits.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import type { Collection } from '../../gateway/store/port';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../helpers/stack';
import { ADMIN_HOOK, APP_TOKEN, BOB_HOOK, BOB_PASSWORD, bobId } from './helpers';

const COLLECTIONS: readonly Collection[] = ['blocks', 'unblock_requests', 'users', 'devices', 'portal_facts'];
const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const REFRESH_TOKEN = 'demorefreshtoken00000000000000000000000000000001';
const CLIENT_SECRET = 'DemoAppSecret0000000000000000000000000000000001';
const NEW_PASSWORD = 'Zq8-Fresh-Start-2026!bob';
const GUESSES = Array.from({ length: 35 }, (_, i) => `Gx7-guess-${i}-wrongpass`);

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('no secret is logged, counted, audited or stored', () => {
  let s: Stack;
  const secrets = new Map<string, string>(); // value → what it is
  const keep = (value: string | undefined, what: string): void => {
    if (value && value.length >= 6) secrets.set(value, what);
  };

  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { restLimit: false } });
  });
  afterAll(() => s.close());

  const cookieValues = (setCookie: string | string[] | undefined): void => {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const [name, ...rest] = c.split(';')[0]!.split('=');
      const value = decodeURIComponent(rest.join('='));
      if (value !== 'deleted' && !/^BITRIX_SM_(LOGIN|UIDL)$/.test(name!)) keep(value, `cookie ${name}`);
    }
  };

  async function post(p: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const res = await request(`${s.gw.url}${p}`, { method: 'POST', headers: { host: 'localhost', 'content-type': FORM, 'user-agent': LAPTOP, ...headers }, body: new URLSearchParams(fields).toString() });
    cookieValues(res.headers['set-cookie']);
    return { status: res.statusCode, body: await res.body.text() };
  }
  async function get(p: string, headers: Record<string, string> = {}): Promise<number> {
    const res = await request(`${s.gw.url}${p}`, { headers: { host: 'localhost', ...headers } });
    cookieValues(res.headers['set-cookie']);
    await res.body.dump();
    return res.statusCode;
  }
  const login = (user: string, password: string, headers: Record<string, string> = {}) => post('/auth/?login=yes', { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password, USER_REMEMBER: 'Y' }, headers);

  test('a full attack, REST with every kind of credential, the support flow, a password change', async () => {
    for (const [v, w] of [[BOB_PASSWORD, 'password'], [NEW_PASSWORD, 'new password'], [ADMIN_HOOK, 'webhook code'], [BOB_HOOK, 'webhook code'], [APP_TOKEN, 'OAuth token'], [REFRESH_TOKEN, 'refresh token'], [CLIENT_SECRET, 'client secret'], ['Demo-Owner-2024!', 'password'], [ADMIN_TOKEN, 'admin token']] as const) keep(v, w);
    for (const g of GUESSES) keep(g, 'guessed password');

    // Bob works normally: a login (remember me), REST with his webhook, the app with its token.
    expect((await login('bob', BOB_PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(302);
    expect(await get(`/rest/2/${BOB_HOOK}/user.current.json`)).toBe(200);
    expect(await get(`/rest/user.current.json?auth=${APP_TOKEN}`)).toBe(200);
    expect((await post('/rest/crm.deal.list.json', { auth: APP_TOKEN })).status).toBe(200);
    // The simulator reads tokens from auth= only; a Bearer header still carries the token through the gateway.
    expect(await get('/rest/user.current.json', { authorization: `Bearer ${APP_TOKEN}` })).toBeLessThan(500);
    expect((await post('/oauth/token/', { grant_type: 'refresh_token', client_id: 'local.demo0000000001.00000001', client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN })).status).toBeLessThan(500);
    expect(await get('/crm/', { authorization: `Basic ${Buffer.from(`bob:${BOB_PASSWORD}`).toString('base64')}` })).toBe(200);

    // The attack: 35 guesses from elsewhere block bob and the portal's REST.
    for (const g of GUESSES) await login('bob', g, { 'x-forwarded-for': '203.0.113.66', 'user-agent': 'python-requests/2.31' });
    await eventually(() => s.gw.blocks.find('localhost', 'user', bobId()) !== undefined);
    expect(s.gw.blocks.find('localhost', 'portal_rest', '')).toBeDefined();
    // While blocked: his right password (decoy), REST by webhook (query and JSON body) and token (403).
    expect((await login('bob', BOB_PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).body).toContain('Incorrect login or password');
    expect(await get(`/rest/1/${ADMIN_HOOK}/user.current.json`)).toBe(403);
    const jsonPost = await request(`${s.gw.url}/rest/1/${ADMIN_HOOK}/crm.deal.list`, { method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json' }, body: JSON.stringify({ auth: APP_TOKEN }) });
    await jsonPost.body.dump();
    expect(jsonPost.statusCode).toBe(403);
    expect((await post('/bitrix/services/rest/index.php', { method: 'user.current', auth: APP_TOKEN })).status).toBe(403);

    // Support lifts; the old password still fails; recovery and the change; the new password works.
    s.gw.lockout.liftUser('localhost', bobId(), 'support:secrets-test');
    expect((await login('bob', BOB_PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).body).toContain('Incorrect login or password');
    await post('/auth/?forgot_password=yes', { AUTH_FORM: 'Y', TYPE: 'SEND_PWD', USER_LOGIN: 'bob' });
    const checkword = s.sim.mailbox('localhost', 'bob')!;
    keep(checkword, 'check word');
    const changed = await post('/auth/?change_password=yes', { AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: 'bob', USER_CHECKWORD: checkword, USER_PASSWORD: NEW_PASSWORD, USER_CONFIRM_PASSWORD: NEW_PASSWORD });
    expect(changed.body).toContain('Password has been changed');
    await eventually(() => s.gw.blocks.find('localhost', 'reset_required', bobId()) === undefined);
    expect((await login('bob', NEW_PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(302);
    await new Promise((r) => setTimeout(r, 300)); // journal and event log flushes
  });

  test('zero hits in logs, metrics, audit, store records and the state folder', async () => {
    expect(secrets.size).toBeGreaterThan(40);
    const places: [string, string][] = [];
    places.push(['log lines', s.rawLogs()]);
    const metrics = await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const metricsText = await metrics.body.text();
    expect(metrics.statusCode).toBe(200);
    places.push(['/metrics', metricsText]);
    const audit = await s.gw.store.queryAudit({ limit: 10_000 });
    expect(audit.length).toBeGreaterThan(3);
    places.push(['audit events', JSON.stringify(audit)]);
    for (const c of COLLECTIONS) places.push([`store ${c}`, JSON.stringify(await s.gw.store.list(c, '*'))]);
    const files = filesUnder(s.gw.config.stateDir);
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['events.jsonl']));
    for (const f of files) places.push([`state file ${path.relative(s.gw.config.stateDir, f)}`, readFileSync(f).toString('latin1')]);

    const search = (where: [string, string][]): string[] => {
      const found: string[] = [];
      for (const [place, text] of where) {
        const lower = text.toLowerCase();
        for (const [value, what] of secrets) {
          const forms = new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')]);
          for (const f of forms) if (f.length >= 6 && (text.includes(f) || lower.includes(f.toLowerCase()))) found.push(`${place}: ${what} (${value.slice(0, 4)}…)`);
        }
      }
      return found;
    };
    // The search itself can fail: a canary with an encoded password is found.
    expect(search([['canary', `{"x":"${encodeURIComponent(BOB_PASSWORD)}"}`]])).not.toEqual([]);
    const hits = search(places);
    process.stdout.write(`secrets: ${secrets.size} secret values searched in ${places.length} places (${files.length} state files, ${audit.length} audit events); ${hits.length} hits${hits.length ? `:\n  ${[...new Set(hits)].join('\n  ')}` : ''}\n`);
    expect([...new Set(hits)]).toEqual([]);
  });
});
