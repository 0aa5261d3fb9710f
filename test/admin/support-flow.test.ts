/**
 * The seed article's support flows, end to end: real attacks through the real gateway in front of the
 * simulator block users (and the portal's REST); unblock requests go through the admin API over HTTP
 * by the article's rules; approval restores REST and leaves the user in reset until a password change.
 */
import { userId } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { startStack, type Stack } from '../helpers/stack';
import { api, attackUntilBlocked, changePassword, importSeedDirectories, login, rest } from './helpers';

const LOCAL = 'localhost';
const ACME = 'acme.bitrix24.local';
const SOLO = 'solo.bitrix24.local';
const HOOK = '/rest/1/demoadminhook001/user.current.json';
const ACME_HOOK = '/rest/8/acmesaleshook008/crm.deal.list.json';

describe('the seed article, through the admin API', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { restLimit: false } });
    await importSeedDirectories(s);
  });
  afterAll(() => s.close());

  test('employee blocked by an attack, restored through a colleague; approval lifts REST too and leaves the user in reset until a password change', async () => {
    expect((await login(s, LOCAL, 'bob', 'Demo-Bob-2024!', '192.0.2.10')).status).toBe(302);
    await attackUntilBlocked(s, LOCAL, 'bob', '203.0.113.66');
    expect(await rest(s, LOCAL, HOOK)).toBe(403);
    expect((await api(s, 'GET', '/v1/users/localhost/bob')).body.state).toBe('blocked');

    // Bob cannot restore access himself.
    const self = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'bob', name: 'Bob Employee', email: 'bob@demo.example', requested_by: 'bob', channel: 'employee' });
    expect(self.status).toBe(422);
    expect(self.body).toMatchObject({ code: 'PC_ERR_ADMIN_REQUESTER_REFUSED', field: 'requested_by' });

    // Carol, an active colleague, files it with the portal, Bob's name and email (by email this time).
    const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'bob@demo.example', name: 'Bob Employee', email: 'bob@demo.example', requested_by: 'carol', channel: 'employee' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ portal: LOCAL, blocked_login: 'bob', role: 'employee', state: 'open', identity_required: false, channel: 'employee', directory_match: { name: true, email: true } });
    const id = filed.body.id as string;
    expect(id).toMatch(/^[A-Za-z0-9_.-]+$/);

    // A second request for the same user while one is open: 409.
    const again = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'bob', name: 'Bob', email: 'bob@demo.example', requested_by: 'admin', channel: 'employee' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('PC_ERR_ADMIN_REQUEST_OPEN');

    const listed = await api(s, 'GET', '/v1/unblock-requests?state=open&portal=localhost');
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(id);

    const approved = await api(s, 'POST', `/v1/unblock-requests/${id}/approve`, { approved_by: 'sam' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', reset_required: true });
    expect(approved.body.lifted).toEqual(expect.arrayContaining(['user', 'portal_rest']));

    // REST is back; Bob is in reset: his old (right) password still gets the portal's failure.
    expect(await rest(s, LOCAL, HOOK)).toBe(200);
    expect((await api(s, 'GET', '/v1/users/localhost/bob')).body.state).toBe('reset_required');
    const old = await login(s, LOCAL, 'bob', 'Demo-Bob-2024!', '192.0.2.10');
    expect(old.status).toBe(200);
    expect(old.body).toContain('Incorrect login or password');

    // A password change through the gateway ends the reset.
    expect(await changePassword(s, LOCAL, 'bob', 'Fresh-Start-2026!bob')).toContain('Password has been changed');
    for (let i = 0; i < 100 && (await api(s, 'GET', '/v1/users/localhost/bob')).body.state !== 'active'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await api(s, 'GET', '/v1/users/localhost/bob')).body.state).toBe('active');
    expect((await login(s, LOCAL, 'bob', 'Fresh-Start-2026!bob', '192.0.2.10')).status).toBe(302);

    // Out of order: a decided request cannot be approved, rejected or verified again.
    for (const [path, body] of [['approve', { approved_by: 'sam' }], ['reject', { rejected_by: 'sam', reason: 'late' }], ['verify-identity', { verified_by: 'sam', method: 'call' }]] as const) {
      const r = await api(s, 'POST', `/v1/unblock-requests/${id}/${path}`, body);
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('PC_ERR_ADMIN_STATE_CONFLICT');
    }
    const got = await api(s, 'GET', `/v1/unblock-requests/${id}`);
    expect(got.body.history.map((h: { state: string }) => h.state)).toEqual(['open', 'approved']);

    const audit = await api(s, 'GET', '/v1/audit?portal=localhost&user=bob&limit=100');
    expect(audit.body.items.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['user_blocked', 'unblock_request_filed', 'unblock_request_approved', 'block_lifted', 'reset_required', 'reset_done']));
  });

  test('an owner blocked by an attack: approval needs identity verification first', async () => {
    await attackUntilBlocked(s, ACME, 'owner@acme.example', '203.0.113.77');
    expect(await rest(s, ACME, ACME_HOOK)).toBe(403);
    const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: ACME, blocked_user: 'owner@acme.example', name: 'Olga Acme', email: 'owner@acme.example', requested_by: 'sales@acme.example', channel: 'employee' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ role: 'owner', identity_required: true, next: ['verify-identity', 'reject'] });
    const id = filed.body.id as string;

    const early = await api(s, 'POST', `/v1/unblock-requests/${id}/approve`, { approved_by: 'sam' });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('PC_ERR_ADMIN_IDENTITY_REQUIRED');
    expect(await rest(s, ACME, ACME_HOOK)).toBe(403);

    const verified = await api(s, 'POST', `/v1/unblock-requests/${id}/verify-identity`, { verified_by: 'sam', method: 'video call with ID document' });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ state: 'identity_verified', identity: { by: 'admin', method: 'video call with ID document' } });
    const twice = await api(s, 'POST', `/v1/unblock-requests/${id}/verify-identity`, { verified_by: 'sam', method: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('PC_ERR_ADMIN_STATE_CONFLICT');

    const approved = await api(s, 'POST', `/v1/unblock-requests/${id}/approve`, { approved_by: 'sam' });
    expect(approved.status).toBe(200);
    expect(await rest(s, ACME, ACME_HOOK)).toBe(200);
    expect((await api(s, 'GET', `/v1/users/${ACME}/owner@acme.example`)).body.state).toBe('reset_required');
  });

  test('an administrator blocked, restored through the sales_email channel after identity verification', async () => {
    await attackUntilBlocked(s, ACME, 'admin2@acme.example', '203.0.113.88');
    expect(await rest(s, ACME, ACME_HOOK)).toBe(403);
    // The admin cannot reach support, so the request comes from the mail they sent to the vendor.
    const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: ACME, blocked_user: 'admin2@acme.example', name: 'Arun Admin', email: 'admin2@acme.example', requested_by: 'admin2@acme.example', channel: 'sales_email' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ channel: 'sales_email', role: 'admin', identity_required: true });
    const id = filed.body.id as string;
    expect((await api(s, 'POST', `/v1/unblock-requests/${id}/approve`, { approved_by: 'sam' })).body.code).toBe('PC_ERR_ADMIN_IDENTITY_REQUIRED');
    expect((await api(s, 'POST', `/v1/unblock-requests/${id}/verify-identity`, { verified_by: 'sam', method: 'callback to the number on file' })).status).toBe(200);
    const approved = await api(s, 'POST', `/v1/unblock-requests/${id}/approve`, { approved_by: 'sam', note: 'verified by phone' });
    expect(approved.status).toBe(200);
    expect(await rest(s, ACME, ACME_HOOK)).toBe(200);
  });

  test('sales_email is refused for an employee: their admin or a colleague files it', async () => {
    await s.gw.lockout.block({ portal: ACME, kind: 'user', subject: userId(TEST_SECRET, ACME, 'intern@acme.example'), login: 'intern@acme.example', actor: 'operator:test', reason: 'test' }).durable;
    const r = await api(s, 'POST', '/v1/unblock-requests', { portal: ACME, blocked_user: 'intern@acme.example', name: 'Ivan Intern', email: 'intern@acme.example', requested_by: 'intern@acme.example', channel: 'sales_email' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'PC_ERR_ADMIN_CHANNEL_REFUSED', field: 'channel' });
  });

  test('a blocked requester is refused (422 with the reason), and so are an inactive and an unknown one', async () => {
    // Sales is blocked by an operator; the intern (blocked above) asks Sales to vouch.
    const blockSales = await api(s, 'POST', '/v1/blocks', { portal: ACME, kind: 'user', user: 'sales@acme.example', reason: 'suspected phishing', operator: 'olga' });
    expect(blockSales.status).toBe(201);
    const blocked = await api(s, 'POST', '/v1/unblock-requests', { portal: ACME, blocked_user: 'intern@acme.example', name: 'Ivan Intern', email: 'intern@acme.example', requested_by: 'sales@acme.example', channel: 'employee' });
    expect(blocked.status).toBe(422);
    expect(blocked.body).toMatchObject({ error: 'invalid_request', code: 'PC_ERR_ADMIN_REQUESTER_REFUSED', field: 'requested_by' });
    expect(blocked.body.message).toMatch(/blocked on acme\.bitrix24\.local too/);

    // Dave was dismissed (the directory says inactive).
    await s.gw.lockout.block({ portal: LOCAL, kind: 'user', subject: userId(TEST_SECRET, LOCAL, 'carol'), login: 'carol', actor: 'operator:test', reason: 'test' }).durable;
    const inactive = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'carol', name: 'Carol Twostep', email: 'carol@demo.example', requested_by: 'dave', channel: 'employee' });
    expect(inactive.status).toBe(422);
    expect(inactive.body.message).toMatch(/not an active employee/);
    const unknown = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'carol', name: 'Carol Twostep', email: 'carol@demo.example', requested_by: 'mallory@evil.example', channel: 'employee' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toMatch(/not a known user/);

    // A request for someone with no block: 409.
    const notBlocked = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'admin', name: 'Alice Owner', email: 'admin@demo.example', requested_by: 'bob', channel: 'employee' });
    expect(notBlocked.status).toBe(409);
    expect(notBlocked.body.code).toBe('PC_ERR_ADMIN_NOT_BLOCKED');

    // A valid request, rejected with a reason: the block stays.
    const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: LOCAL, blocked_user: 'carol', name: 'Carol Twostep', email: 'carol@demo.example', requested_by: 'admin', channel: 'employee' });
    expect(filed.status).toBe(201);
    const rejected = await api(s, 'POST', `/v1/unblock-requests/${filed.body.id}/reject`, { rejected_by: 'sam', reason: 'the requester could not confirm the email address' });
    expect(rejected.body).toMatchObject({ state: 'rejected', decision: { by: 'admin', reason: 'the requester could not confirm the email address' } });
    expect((await api(s, 'GET', '/v1/users/localhost/carol')).body.state).toBe('blocked');
    const late = await api(s, 'POST', `/v1/unblock-requests/${filed.body.id}/approve`, { approved_by: 'sam' });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('PC_ERR_ADMIN_STATE_CONFLICT');
  });

  test('the sole user of a portal is refused with the advice to register a new account', async () => {
    await attackUntilBlocked(s, SOLO, 'solo@solo.example', '203.0.113.99');
    for (const channel of ['employee', 'sales_email']) {
      const r = await api(s, 'POST', '/v1/unblock-requests', { portal: SOLO, blocked_user: 'solo@solo.example', name: 'Sol Only', email: 'solo@solo.example', requested_by: 'solo@solo.example', channel });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ error: 'conflict', code: 'PC_ERR_ADMIN_SOLE_USER' });
      expect(r.body.message).toMatch(/only active user/);
      expect(r.body.advice).toMatch(/registering a new account/);
    }
    expect((await api(s, 'GET', '/v1/unblock-requests?portal=solo.bitrix24.local')).body.items).toEqual([]);
  });

  test('no password, webhook code or token in any answer, log line or audit event', async () => {
    const answers = JSON.stringify([
      (await api(s, 'GET', '/v1/unblock-requests?limit=500')).body,
      (await api(s, 'GET', '/v1/blocks?limit=500')).body,
      (await api(s, 'GET', '/v1/users?portal=localhost')).body,
      (await api(s, 'GET', '/v1/audit?limit=500')).body,
      (await api(s, 'GET', `/v1/portals/localhost/posture`)).body,
    ]);
    const audit = JSON.stringify(await s.gw.store.queryAudit({ limit: 10_000 }));
    for (const secret of ['Demo-Bob-2024!', 'Fresh-Start-2026', 'guess-1', 'Acme-Owner-Demo-1', 'demoadminhook001', 'acmesaleshook008', 'test-admin-token', 'oldPasswordHash']) {
      expect(answers).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(s.rawLogs()).not.toContain(secret);
    }
  });
});
