/**
 * The admin API's contract over real HTTP: authentication, the error shape and codes (malformed JSON,
 * unknown and missing fields, unknown routes and methods), manual blocks through Lockout, paging,
 * users, posture, audit, explain, the OpenAPI document and its generated reference.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../../gateway/admin/routes';
import { userId } from '../../gateway/lockout/subjects';
import type { UserRecord } from '../../gateway/pipeline/sense/user-record';
import { adminApiMarkdown } from '../../scripts/gen-admin-api';
import { TEST_SECRET } from '../helpers/processes';
import { startStack, type Stack } from '../helpers/stack';
import { api, importSeedDirectories, login, rest } from './helpers';

const HOOK = '/rest/1/demoadminhook001/user.current.json';

describe('the admin API contract', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { restLimit: false } });
    await importSeedDirectories(s);
  });
  afterAll(() => s.close());

  describe('authentication', () => {
    test('a missing and a wrong token get the same 401, with a code and no hint of which', async () => {
      const missing = await api(s, 'GET', '/v1/blocks', undefined, { token: null });
      const wrong = await api(s, 'GET', '/v1/blocks', undefined, { token: 'nope' });
      const almost = await api(s, 'GET', '/v1/blocks', undefined, { token: 'test-admin-token-0123456789abcdeX' });
      for (const r of [missing, wrong, almost]) {
        expect(r.status).toBe(401);
        expect(r.body).toEqual({ error: 'unauthorized', code: 'PC_ERR_ADMIN_UNAUTHORIZED', message: 'a valid bearer token is required' });
        expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      // Unknown routes are 401 too without the token: the route table is not probeable.
      expect((await api(s, 'GET', '/v1/nothing-here', undefined, { token: null })).status).toBe(401);
      expect((await api(s, 'POST', '/v1/unblock-requests', {}, { token: 'nope' })).status).toBe(401);
    });
    test('health routes and the OpenAPI document are open', async () => {
      expect((await api(s, 'GET', '/healthz', undefined, { token: null })).body).toEqual({ status: 'ok' });
      expect((await api(s, 'GET', '/readyz', undefined, { token: null })).body).toEqual({ status: 'ready' });
      expect((await api(s, 'GET', '/openapi.json', undefined, { token: null })).status).toBe(200);
    });
  });

  describe('errors: status and code', () => {
    test('malformed JSON is 400 PC_ERR_ADMIN_MALFORMED_JSON', async () => {
      for (const raw of ['{"portal": ', 'not json', '{"a":1}}']) {
        const r = await api(s, 'POST', '/v1/unblock-requests', undefined, { raw });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error: 'malformed_request', code: 'PC_ERR_ADMIN_MALFORMED_JSON' });
      }
    });
    test('an unknown body field is 422 PC_ERR_ADMIN_UNKNOWN_FIELD naming it', async () => {
      const r = await api(s, 'POST', '/v1/unblock-requests', { portal: 'localhost', blocked_user: 'bob', name: 'Bob', email: 'bob@demo.example', requested_by: 'admin', channel: 'employee', urgency: 'high' });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ error: 'invalid_request', code: 'PC_ERR_ADMIN_UNKNOWN_FIELD', field: 'urgency' });
    });
    test('a directory import with a password is refused: passwords are never accepted', async () => {
      const r = await api(s, 'PUT', '/v1/portals/localhost/directory', [{ login: 'bob', password: 'Demo-Bob-2024!' }]);
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: 'PC_ERR_ADMIN_UNKNOWN_FIELD', field: '[0].password' });
      expect(JSON.stringify(r.body)).not.toContain('Demo-Bob-2024!');
    });
    test('a missing field is 422 PC_ERR_ADMIN_REQUIRED_FIELD, a wrong value PC_ERR_ADMIN_INVALID_FIELD with the allowed values', async () => {
      const missing = await api(s, 'POST', '/v1/unblock-requests', { portal: 'localhost', blocked_user: 'bob', name: 'Bob', email: 'bob@demo.example', channel: 'employee' });
      expect(missing.status).toBe(422);
      expect(missing.body).toMatchObject({ code: 'PC_ERR_ADMIN_REQUIRED_FIELD', field: 'requested_by' });
      const bad = await api(s, 'POST', '/v1/unblock-requests', { portal: 'localhost', blocked_user: 'bob', name: 'Bob', email: 'bob@demo.example', requested_by: 'admin', channel: 'phone' });
      expect(bad.status).toBe(422);
      expect(bad.body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'channel' });
      expect(bad.body.message).toMatch(/allowed: employee, sales_email/);
      const empty = await api(s, 'POST', '/v1/blocks');
      expect(empty.status).toBe(422);
      expect(empty.body.code).toBe('PC_ERR_ADMIN_REQUIRED_FIELD');
    });
    test('query parameters are checked the same way', async () => {
      expect((await api(s, 'GET', '/v1/blocks?colour=red')).body).toMatchObject({ code: 'PC_ERR_ADMIN_UNKNOWN_FIELD', field: 'colour' });
      expect((await api(s, 'GET', '/v1/blocks?limit=0')).body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'limit' });
      expect((await api(s, 'GET', '/v1/blocks?kind=everything')).body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'kind' });
      expect((await api(s, 'GET', '/v1/blocks?cursor=garbage')).body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'cursor' });
      expect((await api(s, 'GET', '/v1/users')).body).toMatchObject({ code: 'PC_ERR_ADMIN_REQUIRED_FIELD', field: 'portal' });
    });
    test('unknown routes are 404, wrong methods 405 with Allow, unknown ids 404', async () => {
      const none = await api(s, 'GET', '/v1/nothing-here');
      expect(none.status).toBe(404);
      expect(none.body.code).toBe('PC_ERR_ADMIN_NOT_FOUND');
      const method = await api(s, 'PATCH', '/v1/blocks');
      expect(method.status).toBe(405);
      expect(method.body.code).toBe('PC_ERR_ADMIN_METHOD_NOT_ALLOWED');
      expect(method.headers.allow).toBe('GET, POST');
      expect((await api(s, 'DELETE', '/v1/blocks/bm9wZQ.bm9wZQ')).body.code).toBe('PC_ERR_ADMIN_NOT_FOUND');
      expect((await api(s, 'GET', '/v1/unblock-requests/%%%')).status).toBe(404);
      expect((await api(s, 'POST', '/v1/unblock-requests/bG9jYWxob3N0.eA/approve', { approved_by: 'sam' })).body.code).toBe('PC_ERR_ADMIN_NOT_FOUND');
      expect((await api(s, 'GET', '/v1/users/localhost/nobody-at-all')).status).toBe(404);
    });
  });

  describe('blocks', () => {
    test("an operator's user block is enforced at once; DELETE lifts it with the portal's REST and leaves the user in reset", async () => {
      const r = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'user', user: 'carol', with_portal_rest: true, reason: 'phishing report', duration: '2h', operator: 'olga' });
      expect(r.status).toBe(201);
      expect(r.body.items).toHaveLength(2);
      const [user, restBlock] = r.body.items;
      expect(user).toMatchObject({ portal: 'localhost', kind: 'user', user: 'carol', actor: 'operator:admin', reason: 'phishing report' });
      expect(restBlock).toMatchObject({ kind: 'portal_rest', actor: 'operator:admin' });
      expect(Date.parse(user.ends_at) - Date.parse(user.created_at)).toBe(2 * 3600 * 1000);
      expect(user.id).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(s.gw.blocks.find('localhost', 'user', userId(TEST_SECRET, 'localhost', 'carol'))).toBeDefined();
      expect(await rest(s, 'localhost', HOOK)).toBe(403);

      const listed = await api(s, 'GET', '/v1/blocks?portal=localhost&user=carol');
      expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([user.id]);

      const lifted = await api(s, 'DELETE', `/v1/blocks/${user.id}?operator=olga`);
      expect(lifted.status).toBe(200);
      expect(lifted.body.lifted.map((b: { kind: string }) => b.kind).sort()).toEqual(['portal_rest', 'user']);
      expect(lifted.body.reset_required).toMatchObject({ kind: 'reset_required', user: 'carol' });
      expect(await rest(s, 'localhost', HOOK)).toBe(200);
      expect((await api(s, 'GET', '/v1/users/localhost/carol')).body.state).toBe('reset_required');
      // The reset record itself can be deleted (the user changed the password elsewhere).
      const reset = await api(s, 'DELETE', `/v1/blocks/${lifted.body.reset_required.id}`);
      expect(reset.status).toBe(200);
      expect((await api(s, 'GET', '/v1/users/localhost/carol')).body.state).toBe('active');
      expect((await api(s, 'DELETE', `/v1/blocks/${user.id}`)).status).toBe(404);
    });

    test('REST, address and prefix blocks; a prefix of another length is refused', async () => {
      const restBlock = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'portal_rest', reason: 'integration leak', operator: 'olga' });
      expect(restBlock.status).toBe(201);
      expect(await rest(s, 'localhost', HOOK)).toBe(403);
      expect((await api(s, 'DELETE', `/v1/blocks/${restBlock.body.items[0].id}`)).body.lifted).toHaveLength(1);
      expect(await rest(s, 'localhost', HOOK)).toBe(200);

      const ip = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip: '198.51.100.7', reason: 'scanner', operator: 'olga', duration: '30m' });
      expect(ip.status).toBe(201);
      expect(ip.body.items[0]).toMatchObject({ kind: 'ip', subject: '198.51.100.7' });
      const blockedLogin = await login(s, 'localhost', 'admin', 'Demo-Owner-2024!', '198.51.100.7');
      expect(blockedLogin.body).toContain('Incorrect login or password');
      const prefix = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip_prefix', ip: '198.51.100.0/24', reason: 'scanner net', operator: 'olga' });
      expect(prefix.body.items[0]).toMatchObject({ kind: 'ip_prefix', subject: '198.51.100.0/24' });
      const wrongLength = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip_prefix', ip: '198.51.0.0/16', reason: 'x', operator: 'olga' });
      expect(wrongLength.status).toBe(422);
      expect(wrongLength.body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'ip' });
      const noUser = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'user', reason: 'x', operator: 'olga' });
      expect(noUser.body).toMatchObject({ code: 'PC_ERR_ADMIN_REQUIRED_FIELD', field: 'user' });
      const badDuration = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'portal_rest', reason: 'x', operator: 'olga', duration: 'forever' });
      expect(badDuration.body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'duration' });
      for (const b of [...ip.body.items, ...prefix.body.items]) expect((await api(s, 'DELETE', `/v1/blocks/${b.id}`)).status).toBe(200);
    });

    test('paging: limit and cursor walk every block exactly once; the same block id on two portals differs', async () => {
      for (const portal of ['localhost', 'acme.bitrix24.local']) {
        for (const u of ['p1', 'p2', 'p3']) expect((await api(s, 'POST', '/v1/blocks', { portal, kind: 'user', user: u, reason: 'paging', operator: 'olga' })).status).toBe(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string; user: string }[]; next_cursor: string | null } } = await api(s, 'GET', `/v1/blocks?kind=user&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((b) => b.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      const all = (await api(s, 'GET', '/v1/blocks?kind=user&limit=500')).body.items.map((b: { id: string }) => b.id);
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(seen.length);
      const p1 = (await api(s, 'GET', '/v1/blocks?user=p1')).body.items as { id: string; portal: string }[];
      expect(p1).toHaveLength(2);
      expect(p1[0]!.id).not.toBe(p1[1]!.id);
      for (const id of seen) await api(s, 'DELETE', `/v1/blocks/${id}`);
    });
  });

  describe('users, posture, audit, policies', () => {
    test('users: state, devices, last success, second factor; never device ids or hashes', async () => {
      expect((await login(s, 'localhost', 'admin', 'Demo-Owner-2024!', '192.0.2.50')).status).toBe(302);
      const one = await api(s, 'GET', '/v1/users/localhost/admin');
      expect(one.body).toMatchObject({ login: 'admin', admin: true, owner: true, state: 'active', seen_logging_in: true, known_devices: 1, second_factor_seen: false, in_directory: true, name: 'Alice Owner' });
      expect(Date.parse(one.body.last_success?.at ?? 'x') || one.body.last_success === null).toBeTruthy();
      const byEmail = await api(s, 'GET', '/v1/users/localhost/admin%40demo.example');
      expect(byEmail.body.login).toBe('admin');
      const list = await api(s, 'GET', '/v1/users?portal=localhost&limit=2');
      expect(list.body.items).toHaveLength(2);
      expect(list.body.next_cursor).toEqual(expect.any(String));
      const text = JSON.stringify((await api(s, 'GET', '/v1/users?portal=localhost&limit=500')).body);
      expect(text).not.toMatch(/knownDeviceIds|fingerprint|[0-9a-f]{32}/i);
      // The admin flag from the directory reached the record the sense stage reads.
      const record = await s.gw.store.get<UserRecord>('users', 'localhost', userId(TEST_SECRET, 'localhost', 'admin'));
      expect(record).toMatchObject({ admin: true, owner: true, known: true });
    });

    test('posture: no second factor observed and weak passwords seen, by count and login; blocks of the last 30 days', async () => {
      const r = await api(s, 'GET', '/v1/portals/localhost/posture');
      expect(r.status).toBe(200);
      expect(r.body.no_second_factor.users).toContain('admin');
      expect(r.body.admins_without_second_factor.users).toContain('admin');
      expect(r.body.no_second_factor.count).toBe(r.body.no_second_factor.users.length);
      expect(r.body.blocks_last_30_days.total).toBeGreaterThan(0);
      expect(r.body.blocks_last_30_days.by_actor['operator:admin']).toBeGreaterThan(0);
      expect(r.body.advice.join(' ')).toMatch(/two-step authentication/);
    });

    test('audit: newest first, filtered, paged by cursor without repeats', async () => {
      const first = await api(s, 'GET', '/v1/audit?portal=localhost&limit=3');
      expect(first.body.items).toHaveLength(3);
      const times = first.body.items.map((e: { at: string }) => Date.parse(e.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const all = (await api(s, 'GET', '/v1/audit?portal=localhost&limit=500')).body.items;
      const walked: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: unknown[]; next_cursor: string | null } } = await api(s, 'GET', `/v1/audit?portal=localhost&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        walked.push(...page.body.items);
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(walked).toEqual(all);
      const lifted = await api(s, 'GET', '/v1/audit?type=block_lifted&user=carol');
      expect(lifted.body.items.length).toBeGreaterThan(0);
      expect(lifted.body.items.every((e: { type: string; user: string; actor: string }) => e.type === 'block_lifted' && e.user === 'carol')).toBe(true);
      expect((await api(s, 'GET', '/v1/audit?since=2999-01-01T00:00:00Z')).body.items).toEqual([]);
      expect((await api(s, 'GET', '/v1/audit?since=yesterday')).body.field).toBe('since');
    });

    test('policies: the set, explain with the policy explain request file, reload', async () => {
      const set = await api(s, 'GET', '/v1/policies');
      expect(set.body.version).toEqual(expect.any(String));
      const e = await api(s, 'POST', '/v1/policies/explain', { kind: 'login', signals: { 'device.known': false, user: { login: 'anna', second_factor: false } }, counters: { device_failures_unknown_15m: 12 } });
      expect(e.status).toBe(200);
      expect(e.body.verdict.kind).toBe('login');
      expect(e.body.text).toMatch(/^request: login, phase attempt/);
      const bad = await api(s, 'POST', '/v1/policies/explain', { kind: 'teleport' });
      expect(bad.status).toBe(422);
      expect(bad.body).toMatchObject({ code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'kind' });
      const reload = await api(s, 'POST', '/v1/policies/reload');
      expect(reload.body.ok).toBe(true);
    });
  });

  describe('the OpenAPI document', () => {
    test('is JSON, OpenAPI 3.1, lists every route with its method, and every $ref resolves', async () => {
      const r = await api(s, 'GET', '/openapi.json', undefined, { token: null });
      const doc = r.body as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
      expect(doc.openapi).toBe('3.1.0');
      const listed = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
      expect(listed.sort()).toEqual(ROUTES.map((x) => `${x.method} ${x.path}`).sort());
      for (const route of ['GET /v1/blocks', 'POST /v1/blocks', 'DELETE /v1/blocks/{id}', 'POST /v1/unblock-requests', 'GET /v1/unblock-requests', 'GET /v1/unblock-requests/{id}', 'POST /v1/unblock-requests/{id}/verify-identity', 'POST /v1/unblock-requests/{id}/approve', 'POST /v1/unblock-requests/{id}/reject', 'GET /v1/users', 'GET /v1/users/{portal}/{login}', 'GET /v1/portals/{portal}/posture', 'GET /v1/audit', 'GET /v1/policies', 'POST /v1/policies/reload', 'POST /v1/policies/explain', 'GET /healthz', 'GET /readyz', 'GET /metrics']) {
        expect(listed).toContain(route);
      }
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThan(10);
      for (const name of refs) expect(doc.components.schemas[name]).toBeDefined();
    });
    test('docs/admin-api.md is generated from it and up to date (node dist/scripts/gen-admin-api.js)', () => {
      const committed = readFileSync(path.resolve(__dirname, '../../docs/admin-api.md'), 'utf8');
      expect(committed).toBe(adminApiMarkdown());
      for (const x of ROUTES) expect(committed).toContain(`### ${x.method} ${x.path}`);
    });
  });
});
