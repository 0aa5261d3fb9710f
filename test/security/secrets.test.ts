/**
 * Secrets (issue 7, DESIGN §5): passwords, webhook codes, OAuth tokens and cookie values are never
 * stored or logged. A full attack (bob blocked by real failed logins), REST calls with webhook codes
 * and OAuth tokens in the query, the body and a Bearer header, a lift by support and a password
 * change; then every log line, the /metrics text, every audit event, every record of every store
 * collection and every file of the state folder (journal, events.jsonl) is searched for every
 * secret used. Zero hits.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { GEN_SECRETS, requests } from './php-requests';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../helpers/stack';
import { startRedisServer, stopAll, type RedisServer } from '../helpers/processes';
import { ADMIN_HOOK, APP_TOKEN, BOB_HOOK, BOB_PASSWORD, bobId, buildRaw, multipartBody, rawExchange, type RawRequest } from './helpers';
import { adminAnswers, gatewayOutputs, redisContents, searchSecrets } from './secret-search';

const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const REFRESH_TOKEN = 'demorefreshtoken00000000000000000000000000000001';
const CLIENT_SECRET = 'DemoAppSecret0000000000000000000000000000000001';
const NEW_PASSWORD = 'Zq8-Fresh-Start-2026!bob';
const GUESSES = Array.from({ length: 35 }, (_, i) => `Gx7-guess-${i}-wrongpass`);

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
    const { places, files, audit } = await gatewayOutputs(s);
    expect(audit).toBeGreaterThan(3);
    expect(places.some(([where]) => where.endsWith('events.jsonl'))).toBe(true);
    // The search itself can fail: a canary with an encoded password is found.
    expect(searchSecrets(secrets, [['canary', `{"x":"${encodeURIComponent(BOB_PASSWORD)}"}`]])).not.toEqual([]);
    const hits = searchSecrets(secrets, places);
    process.stdout.write(`secrets: ${secrets.size} secret values searched in ${places.length} places (${files} state files, ${audit} audit events); ${hits.length} hits${hits.length ? `:\n  ${hits.join('\n  ')}` : ''}\n`);
    expect(hits).toEqual([]);
  });
});

/**
 * Issue 15 §3: the generator's secrets (test/security/php-requests.ts: a password, an OTP code, a check
 * word, a webhook code, an OAuth token) in every place it can put them (query, url-encoded, multipart
 * and JSON bodies, cookies, Basic, Bearer, every REST path form, look-alikes of REST entry points),
 * then the same generated requests at random, through the real gateway on the embedded store and on a
 * real redis-server. Every output, the admin API's answers and the Redis server's whole contents are
 * searched: zero hits. Runs: PORTCULLIS_SECRETS_RUNS generated requests (default 150).
 */
const RUNS = Math.max(1, Number(process.env.PORTCULLIS_SECRETS_RUNS ?? 150));
const SEED = process.env.PORTCULLIS_SECRETS_SEED !== undefined ? Number(process.env.PORTCULLIS_SECRETS_SEED) : Date.now() % 2 ** 31;
const S = GEN_SECRETS;
const GEN_SECRET_KINDS: readonly [string, string][] = [[S.password, 'password'], [S.otp, 'OTP code'], [S.checkword, 'check word'], [S.webhookCode, 'webhook code'], [S.oauthToken, 'OAuth token']];
/** A session cookie value is a secret too. */
const SESSION_ID = 'Sess-5e1d0c9b8a7f6e';

/** Path forms a webhook code can take, and look-alikes a portal might route to REST. */
const CODE_PATHS = [
  `/rest/1/${S.webhookCode}/user.current.json`, `/rest/1/${S.webhookCode}/`, `/rest/1/${S.webhookCode}`, `/rest/01/${S.webhookCode}/crm.deal.list`,
  `/rest/1/${S.webhookCode}/crm.deal.add/extra`, `/rest//1//${S.webhookCode}//user.current`, `/REST/1/${S.webhookCode}/user.current.xml`,
  `/rest/api/1/${S.webhookCode}/user.current`, `/local/rest/1/${S.webhookCode}/user.current`, `/rest/1/${S.webhookCode}/index.php`,
  `/bitrix/services/rest/index.php/1/${S.webhookCode}/user.current`, `/bitrix/services/rest/index.php/${S.webhookCode}/x`,
  `/bitrix/services/rest/${S.webhookCode}`, `/bitrix/modules/rest/x/index.php/1/${S.webhookCode}/m`,
  `/rest./1/${S.webhookCode}/user.current`, `/rest;x/1/${S.webhookCode}/user.current`, `/rest.php/1/${S.webhookCode}/m`, `/rest%20/1/${S.webhookCode}/m`,
  `/local/rest./1/${S.webhookCode}/m`, `/rest%2F1%2F${S.webhookCode}%2Fuser.current`, `/%72est/1/${S.webhookCode}/user.current`,
  `/rest/1/${encodeURIComponent(S.webhookCode).replace(/^./, (c) => `%${c.charCodeAt(0).toString(16)}`)}/user.current`,
];

/** Each secret in each place, one request each. */
function placedRequests(): RawRequest[] {
  const out: RawRequest[] = [];
  const login = { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: S.password };
  const forms: Record<string, string>[] = [
    login,
    { AUTH_FORM: 'Y', TYPE: 'OTP', USER_LOGIN: 'bob', USER_OTP: S.otp },
    { AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: 'bob', USER_CHECKWORD: S.checkword, USER_PASSWORD: S.password, USER_CONFIRM_PASSWORD: S.password, USER_CURRENT_PASSWORD: S.password },
    { auth: S.oauthToken },
    { access_token: S.oauthToken },
    { aplogin: '1', ap: S.webhookCode, method: 'user.current' },
    { grant_type: 'refresh_token', client_id: 'local.x', client_secret: S.oauthToken, refresh_token: S.oauthToken, code: S.oauthToken },
  ];
  const pagePaths = ['/auth/', '/crm/', '/rest/user.current.json', '/bitrix/services/rest/index.php', '/oauth/token/', '/rest./', ...CODE_PATHS.slice(0, 3)];
  for (const p of pagePaths) {
    for (const f of forms) {
      const qs = new URLSearchParams(f).toString();
      out.push({ method: 'GET', target: `${p}?${qs}` });
      out.push({ method: 'POST', target: p, headers: [['Content-Type', FORM]], body: qs });
      const mp = multipartBody(Object.entries(f));
      out.push({ method: 'POST', target: p, headers: [['Content-Type', mp.contentType]], body: mp.body });
      out.push({ method: 'POST', target: p, headers: [['Content-Type', 'application/json']], body: JSON.stringify(f) });
      out.push({ method: 'GET', target: p, headers: [['Cookie', Object.entries(f).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')]] });
    }
  }
  for (const p of CODE_PATHS) for (const method of ['GET', 'POST']) out.push({ method, target: p, ...(method === 'POST' ? { headers: [['Content-Type', FORM]], body: 'fields[TITLE]=x' } : {}) });
  const basic = (u: string, pw: string): string => `Basic ${Buffer.from(`${u}:${pw}`).toString('base64')}`;
  for (const p of ['/crm/', '/auth/', '/rest/user.current.json', CODE_PATHS[0]!]) {
    out.push({ target: p, headers: [['Authorization', basic('bob', S.password)]] });
    out.push({ target: p, headers: [['Authorization', `Digest username="bob", realm="portal", nonce="abc", uri="/", response="${S.password}"`]] });
    out.push({ target: p, headers: [['Authorization', `Bearer ${S.oauthToken}`]] });
    out.push({ target: p, headers: [['Cookie', `PHPSESSID=${SESSION_ID}; BITRIX_SM_UIDH=${S.password}`]] });
  }
  return out;
}

describe.each(['embedded', 'redis'] as const)('secrets in every place the generator can put them (%s store)', (store) => {
  let s: Stack;
  let redis: RedisServer | undefined;
  const secrets = new Map<string, string>([...GEN_SECRET_KINDS, [SESSION_ID, 'session id']]);

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    s = await startStack({
      config: { trustedProxies: ['127.0.0.1/32'], ...(redis ? { store: { kind: 'redis' as const, url: redis.url } } : {}) },
      sim: { restLimit: false },
    });
  });
  afterAll(async () => {
    await s.close();
    await stopAll();
  });

  test(`each secret in each place, then ${RUNS} generated requests (seed ${SEED}): zero hits in every output`, async () => {
    const port = Number(new URL(s.gw.url).port);
    const send = async (r: RawRequest): Promise<number> => (await rawExchange(port, buildRaw({ host: 'localhost', ...r }), { timeoutMs: 5000 })).status;
    const placed = placedRequests();
    // Enough failed logins for bob to be blocked, so blocks, audit events and notifications exist too.
    for (let i = 0; i < 35; i++) {
      const pw = `${S.password}-${i}`;
      secrets.set(pw, 'guessed password');
      await send({ method: 'POST', target: '/auth/?login=yes', headers: [['Content-Type', FORM], ['X-Forwarded-For', '203.0.113.66']], body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: pw }).toString() });
    }
    const statuses = new Map<number, number>();
    const generated = fc.sample(requests, { numRuns: RUNS, seed: SEED }).map((g) => ({
      ...g.req,
      host: 'localhost',
      target: g.req.target.replace(/^http:\/\/acme\.test/i, 'http://localhost'),
    }));
    for (const r of [...placed, ...generated]) {
      const status = await send(r);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    await eventually(() => s.gw.blocks.find('localhost', 'user', bobId()) !== undefined);
    await new Promise((r) => setTimeout(r, 300)); // journal, event log and Redis write-behind flushes

    const { places, files, audit } = await gatewayOutputs(s);
    const admin = await adminAnswers(s, ['localhost', 'acme.test'], ['bob']);
    expect(admin.filter(([where]) => where.endsWith('(200)')).length).toBeGreaterThanOrEqual(admin.length - 1); // bob is unknown on acme.test
    places.push(...admin);
    if (redis) {
      const dump = await redisContents(redis.url);
      expect(dump).toContain('localhost'); // the dump holds the gateway's data: the search can find things in it
      places.push(['redis-server contents', dump]);
    }
    expect(audit).toBeGreaterThan(0);
    // The search can fail: each secret, once encoded, is found.
    for (const [v] of secrets) expect(searchSecrets(secrets, [['canary', `x=${encodeURIComponent(v)}`]])).not.toEqual([]);
    const hits = searchSecrets(secrets, places);
    process.stdout.write(
      `secrets (${store} store): ${placed.length} placed + ${generated.length} generated requests (seed ${SEED}), statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `${secrets.size} secret values searched in ${places.length} places (${files} state files, ${audit} audit events, admin answers ${admin.map(([w]) => w.replace(/^admin GET /, '')).join(' ')}); ${hits.length} hits${hits.length ? `:\n  ${hits.join('\n  ')}` : ''}\n`,
    );
    expect(hits).toEqual([]);
  });
});
