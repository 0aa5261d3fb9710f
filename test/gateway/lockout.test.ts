/**
 * The seed article, end to end through the real simulator and gateway with the default policies: an
 * attack blocks the user; the right password then gets the portal's own failure; the portal's REST is
 * 403 at every entry point; support lifts the block; the old password still fails; a password change
 * through the gateway succeeds and the new password works at once.
 */
import { request } from 'undici';
import { stripVolatile } from '../../portal-sim/server';
import { userId } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { eventually, startStack, type Stack } from '../helpers/stack';

const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ATTACKER = 'python-requests/2.31';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

async function post(s: Stack, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(`${s.gw.url}${path}`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': FORM, 'user-agent': LAPTOP, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

const login = (s: Stack, user: string, password: string, headers: Record<string, string> = {}): Promise<Reply> =>
  post(s, '/auth/?login=yes', { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }, headers);

async function rest(s: Stack, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await request(`${s.gw.url}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: { host: 'localhost', ...init.headers }, ...(init.body ? { body: init.body } : {}) });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

const REST_ENTRY_POINTS = [
  '/rest/1/demoadminhook001/user.current.json',
  '/rest/1/demoadminhook001/user.current.xml',
  '/REST/1/demoadminhook001/user.current',
  '//rest/./1/demoadminhook001/user.current',
  '/rest/api/1/demoadminhook001/user.current',
  '/bitrix/services/rest/index.php?method=user.current&auth=demoaccesstoken000000000000000000000000000000001',
  '/local/rest/1/demoadminhook001/user.current.json',
  '/rest/user.current.json?auth=demoaccesstoken000000000000000000000000000000001',
  '/%72est/1/demoadminhook001/user.current.json',
];

describe('the lockout lifecycle of the seed article', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { restLimit: false } });
  });
  afterAll(() => s.close());

  test('an attack from one address blocks the user and the portal\'s REST; the right password then gets the portal\'s own failure', async () => {
    // Bob logs in from his laptop once: that device is his.
    const first = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.10' });
    expect(first.status).toBe(302);
    const device = String(([] as string[]).concat(first.headers['set-cookie'] ?? []).find((c) => c.startsWith('pc_device='))).split(';')[0]!;
    // Before the attack, REST works.
    expect((await rest(s, REST_ENTRY_POINTS[0]!)).status).toBe(200);

    for (let i = 0; i < 35; i++) await login(s, 'bob', `guess-${i}`, { 'x-forwarded-for': '203.0.113.66', 'user-agent': ATTACKER });
    await eventually(() => s.gw.blocks.find('localhost', 'user', userId(TEST_SECRET, 'localhost', 'bob')) !== undefined);
    expect(s.gw.blocks.find('localhost', 'portal_rest', '')).toBeDefined();

    // Bob, on his own laptop, with the right password: the portal's own failure page.
    s.sim.clearReceived();
    const blocked = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.10', cookie: device });
    expect(blocked.status).toBe(200);
    expect(blocked.body).toContain('Incorrect login or password');
    // His password never reached the portal, nor his login: the portal was asked about nobody.
    const sent = s.sim.received.map((r) => `${r.url} ${r.body}`).join('\n');
    expect(sent).not.toContain('Demo-Bob-2024');
    expect(sent).not.toMatch(/USER_LOGIN=bob\b/);
  });

  test('the decoy is byte for byte the portal\'s own wrong-password answer, once the per-request tokens are removed', async () => {
    const real = await login(s, 'carol', 'wrong-password-1', { 'x-forwarded-for': '192.0.2.30' });
    const decoy = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.31' });
    expect(decoy.status).toBe(real.status);
    expect(stripVolatile(decoy.body)).toBe(stripVolatile(real.body));
    const names = (r: Reply): string[] => Object.keys(r.headers).filter((h) => h !== 'date').sort();
    expect(names(decoy)).toEqual(names(real));
    const cookieNames = (r: Reply): string[] => ([] as string[]).concat(r.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]!).sort();
    expect(cookieNames(decoy)).toEqual(cookieNames(real));
  });

  test.each(REST_ENTRY_POINTS)('REST is 403 in the portal\'s envelope at %s', async (path) => {
    s.sim.clearReceived();
    const r = await rest(s, path);
    expect(r.status).toBe(403);
    if (path.includes('.xml')) {
      expect(r.body).toContain('<error>ACCESS_DENIED</error>');
    } else {
      const body = JSON.parse(r.body) as { error: string; error_description: string };
      expect(body.error).toBe('ACCESS_DENIED');
      expect(body.error_description).toMatch(/contact support/);
    }
    expect(s.sim.received).toHaveLength(0);
  });

  test('REST by POST with a JSON body, and an OAuth token in the body, are 403 too', async () => {
    expect((await rest(s, '/rest/1/demoadminhook001/crm.deal.add', { method: 'POST', body: '{"fields":{"TITLE":"x"}}', headers: { 'content-type': 'application/json' } })).status).toBe(403);
    expect((await rest(s, '/rest/crm.deal.list.json', { method: 'POST', body: 'auth=demoaccesstoken000000000000000000000000000000001', headers: { 'content-type': FORM } })).status).toBe(403);
  });

  test('every other login entry of the blocked user is refused too, and none reaches the portal with his name', async () => {
    s.sim.clearReceived();
    const q = new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: 'Demo-Bob-2024!' });
    const viaGet = await rest(s, `/crm/?${q}`);
    expect(viaGet.body).not.toContain('BITRIX_SM_LOGIN=bob');
    const basic = `Basic ${Buffer.from('bob:Demo-Bob-2024!').toString('base64')}`;
    const viaBasic = await rest(s, '/crm/', { headers: { authorization: basic } });
    expect(viaBasic.headers['set-cookie'] ?? '').not.toMatch(/BITRIX_SM_LOGIN=bob/);
    // Basic for an unblocked colleague and the form for bob in one request: both are tried by the
    // portal's prolog, so the request is refused.
    const both = await post(s, '/auth/?login=yes', { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: 'Demo-Bob-2024!' }, { authorization: `Basic ${Buffer.from('admin:Demo-Owner-2024!').toString('base64')}` });
    expect(both.headers['set-cookie'] ?? '').not.toMatch(/BITRIX_SM_LOGIN=(bob|admin)/);
    const sent = s.sim.received.map((r) => `${r.url} ${r.body} ${String(r.headers.authorization ?? '')}`).join('\n');
    expect(sent).not.toContain('Demo-Bob-2024');
    expect(sent).not.toMatch(/USER_LOGIN=bob\b/);
    expect(sent).not.toContain(Buffer.from('bob:Demo-Bob-2024!').toString('base64'));
  });

  test('other users keep logging in; pages keep working', async () => {
    expect((await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '192.0.2.40' })).status).toBe(302);
    expect((await rest(s, '/crm/')).status).toBe(200);
  });

  test('support lifts the block: REST is back, the old password still fails, a password change makes the new one work', async () => {
    const uid = userId(TEST_SECRET, 'localhost', 'bob');
    s.gw.lockout.liftUser('localhost', uid, 'support:test');
    expect((await rest(s, REST_ENTRY_POINTS[0]!)).status).toBe(200);
    // reset_required: the old (right) password gets the decoy.
    const old = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.10' });
    expect(old.status).toBe(200);
    expect(old.body).toContain('Incorrect login or password');
    // Recovery by email, then the change, through the gateway.
    const sent = await post(s, '/auth/?forgot_password=yes', { AUTH_FORM: 'Y', TYPE: 'SEND_PWD', USER_LOGIN: 'bob' });
    expect(sent.status).toBe(200);
    const checkword = s.sim.mailbox('localhost', 'bob')!;
    expect(checkword).toBeTruthy();
    const newPassword = 'Fresh-Start-2026!bob';
    const changed = await post(s, '/auth/?change_password=yes', {
      AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: 'bob', USER_CHECKWORD: checkword, USER_PASSWORD: newPassword, USER_CONFIRM_PASSWORD: newPassword,
    });
    expect(changed.body).toContain('Password has been changed successfully');
    await eventually(() => s.gw.blocks.find('localhost', 'reset_required', uid) === undefined);
    expect((await login(s, 'bob', newPassword, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(302);
    const audit = await s.gw.store.queryAudit({ portal: 'localhost', limit: 50 });
    expect(audit.map((e) => e.type)).toEqual(expect.arrayContaining(['user_blocked', 'rest_blocked', 'block_lifted', 'reset_required', 'reset_done']));
    expect(JSON.stringify(audit)).not.toMatch(/Demo-Bob|Fresh-Start|guess-/);
  });
});
