/**
 * Roles of the admin plane against the real admin listener: every route × every role, allowed or
 * refused (403 PC_ERR_ADMIN_ROLE_REFUSED) as gateway/admin/roles.ts says; a metrics-only token scrapes
 * /metrics and cannot list blocks; the audit's actor is the token's name whatever the body claims;
 * every admin-plane event is one log line naming the token and never showing it; the console signs
 * in with the same tokens, offers only the role's operations, and a stranger's wrong guesses from one
 * address never lock out the right token.
 */
import fc from 'fast-check';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import { mayCall, ROLES, type Role } from '../../gateway/admin/roles';
import { ROUTES } from '../../gateway/admin/routes';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../helpers/stack';
import { http } from '../console/helpers';
import { api, importSeedDirectories } from './helpers';

const TOKENS: Record<Role, { name: string; token: string }> = {
  admin: { name: 'admin', token: ADMIN_TOKEN },
  operator: { name: 'ops-olga', token: 'operator-token-olga-0123456789' },
  support: { name: 'support-sam', token: 'support-token-sam-0123456789' },
  read: { name: 'viewer', token: 'read-token-viewer-0123456789' },
  metrics: { name: 'prom', token: 'metrics-token-prom-0123456789' },
};
const SECRETS = Object.values(TOKENS).map((t) => t.token);

test('the permission table: read reads, metrics scrapes, operator blocks and reloads, support runs the unblock flow and lifts', () => {
  const ops = (role: Role) => ROUTES.filter((r) => !r.open && mayCall(role, r.operationId)).map((r) => r.operationId).sort();
  expect(ops('metrics')).toEqual(['metrics']);
  expect(ops('read')).toEqual(['explainPolicies', 'getDirectory', 'getPolicies', 'getPosture', 'getUnblockRequest', 'getUser', 'listAudit', 'listBlocks', 'listUnblockRequests', 'listUsers', 'metrics']);
  expect(ops('operator')).toEqual([...ops('read'), 'createBlock', 'importDirectory', 'liftBlock', 'reloadPolicies'].sort());
  expect(ops('support')).toEqual([...ops('read'), 'approveUnblockRequest', 'fileUnblockRequest', 'liftBlock', 'rejectUnblockRequest', 'verifyIdentity'].sort());
  expect(ops('admin')).toEqual(ROUTES.filter((r) => !r.open).map((r) => r.operationId).sort());
});

describe('admin roles', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      config: {
        admin: {
          ...DEFAULT_CONFIG.admin,
          listen: { host: '127.0.0.1', port: 0 },
          token: ADMIN_TOKEN,
          tokens: (['operator', 'support', 'read', 'metrics'] as const).map((role) => ({ name: TOKENS[role].name, role, token: TOKENS[role].token })),
        },
      },
    });
    await importSeedDirectories(s);
  });
  afterAll(() => s?.close());

  // Each route called with an id that does not exist or a body that is not valid, so that an allowed
  // call changes nothing (404/422) and a refused one is told so by the role check, which comes first.
  const target = (path: string): string => path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'portal' ? 'localhost' : name === 'login' ? 'nobody' : 'no.such-id'));
  const cases = ROUTES.filter((r) => !r.open).flatMap((r) => ROLES.map((role) => [r.method, r.path, r.operationId, role] as const));

  test.each(cases)('%s %s (%s) with a %s token', async (method, path, operationId, role) => {
    const body = method === 'GET' || method === 'DELETE' ? undefined : operationId === 'reloadPolicies' ? undefined : { not_a_field: true };
    const r = await api(s, method, target(path), body, { token: TOKENS[role].token });
    if (mayCall(role, operationId)) {
      expect([401, 403]).not.toContain(r.status);
    } else {
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ error: 'forbidden', code: 'PC_ERR_ADMIN_ROLE_REFUSED', role });
      expect(r.body.allowed_roles).toContain('admin');
      expect(r.body.message).toContain(TOKENS[role].name);
    }
  });

  test('no token, or any near miss of a right one, is 401 on every token route; never a 2xx', async () => {
    const near = fc.oneof(
      fc.constantFrom(...SECRETS).map((t) => t.slice(0, -1)),
      fc.constantFrom(...SECRETS).map((t) => `${t}x`),
      fc.constantFrom(...SECRETS).map((t) => t.toUpperCase()),
      fc.constantFrom(...SECRETS).map((t) => ` ${t.slice(1)}`),
      fc.constantFrom('admin', 'ops-olga', 'prom', ''),
      fc.stringMatching(/^[\x21-\x7e]{0,40}$/).filter((t) => !SECRETS.includes(t)),
    );
    await fc.assert(
      fc.asyncProperty(near, fc.constantFrom(...ROUTES.filter((r) => !r.open)), async (token, route) => {
        const r = await api(s, route.method, target(route.path), undefined, { token });
        expect(r.status).toBe(401);
      }),
      { numRuns: 60 },
    );
    expect((await api(s, 'GET', '/v1/blocks', undefined, { token: null })).status).toBe(401);
  });

  test('the metrics token scrapes /metrics and can list, add or lift nothing', async () => {
    const m = await api(s, 'GET', '/metrics', undefined, { token: TOKENS.metrics.token });
    expect(m.status).toBe(200);
    expect(String(m.body)).toContain('portcullis_requests_total');
    for (const [method, path, body] of [
      ['GET', '/v1/blocks', undefined],
      ['GET', '/v1/audit', undefined],
      ['POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip: '198.51.100.1', reason: 'x' }],
      ['POST', '/v1/policies/reload', undefined],
    ] as const) {
      const r = await api(s, method, path, body, { token: TOKENS.metrics.token });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('PC_ERR_ADMIN_ROLE_REFUSED');
    }
    expect((await api(s, 'GET', '/v1/blocks?kind=ip', undefined, { token: ADMIN_TOKEN })).body.items).toEqual([]);
  });

  test('the audit records the token\u2019s name, not the name the body claims; each change is one log line naming the token', async () => {
    const made = await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'user', user: 'carol', reason: 'phishing report', operator: 'mallory' }, { token: TOKENS.operator.token });
    expect(made.status).toBe(201);
    expect(made.body.items[0].actor).toBe('operator:ops-olga');
    const lifted = await api(s, 'DELETE', `/v1/blocks/${made.body.items[0].id}?operator=mallory`, undefined, { token: TOKENS.support.token });
    expect(lifted.status).toBe(200);
    const audit = await api(s, 'GET', '/v1/audit?portal=localhost&user=carol', undefined, { token: TOKENS.read.token });
    const byType = (t: string) => audit.body.items.find((e: { type: string }) => e.type === t);
    expect(byType('user_blocked').actor).toBe('operator:ops-olga');
    expect(byType('block_lifted').actor).toBe('support:support-sam');
    expect(JSON.stringify(audit.body)).not.toContain('mallory');

    await eventually(() => s.logs.some((l) => l.event === 'audit' && l.type === 'block_lifted' && l.actor === 'support:support-sam'));
    const lines = s.logs.filter((l) => l.event === 'audit' || l.event === 'admin_call');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'audit', type: 'user_blocked', portal: 'localhost', actor: 'operator:ops-olga', user: 'carol' }),
        expect.objectContaining({ event: 'audit', type: 'reset_required', actor: 'support:support-sam', user: 'carol' }),
        expect.objectContaining({ event: 'admin_call', operation: 'createBlock', method: 'POST', status: 201, token_name: 'ops-olga', role: 'operator', via: 'bearer' }),
        expect.objectContaining({ event: 'admin_call', operation: 'liftBlock', method: 'DELETE', status: 200, token_name: 'support-sam', role: 'support' }),
        expect.objectContaining({ event: 'admin_call', operation: 'createBlock', status: 403, code: 'PC_ERR_ADMIN_ROLE_REFUSED', token_name: 'prom', role: 'metrics' }),
      ]),
    );
    const reload = await api(s, 'POST', '/v1/policies/reload', undefined, { token: TOKENS.operator.token });
    expect(reload.status).toBe(200);
    await eventually(() => s.logs.some((l) => l.event === 'admin_call' && l.operation === 'reloadPolicies' && l.token_name === 'ops-olga'));
    for (const secret of SECRETS) expect(s.rawLogs()).not.toContain(secret);
  });

  test('the support flow under a support token: filed, verified, approved and rejected in its name', async () => {
    const support = { token: TOKENS.support.token };
    // An operator blocks two employees; support restores one and refuses the other.
    for (const user of ['sales@acme.example', 'intern@acme.example']) {
      expect((await api(s, 'POST', '/v1/blocks', { portal: 'acme.bitrix24.local', kind: 'user', user, reason: 'support flow' }, { token: TOKENS.operator.token })).status).toBe(201);
    }
    const file = (user: string) => api(s, 'POST', '/v1/unblock-requests', { portal: 'acme.bitrix24.local', blocked_user: user, name: 'Someone', email: user, requested_by: 'owner@acme.example', channel: 'employee' }, support);
    const one = await file('sales@acme.example');
    expect(one.status).toBe(201);
    expect(one.body.history[0].actor).toBe('support:support-sam');
    const approved = await api(s, 'POST', `/v1/unblock-requests/${one.body.id}/approve`, { approved_by: 'mallory' }, support);
    expect(approved.status).toBe(200);
    expect(approved.body.decision.by).toBe('support-sam');
    const two = await file('intern@acme.example');
    expect(two.status).toBe(201);
    expect((await api(s, 'POST', `/v1/unblock-requests/${two.body.id}/reject`, { reason: 'not confirmed' }, { token: TOKENS.operator.token })).status).toBe(403);
    const rejected = await api(s, 'POST', `/v1/unblock-requests/${two.body.id}/reject`, { reason: 'not confirmed' }, support);
    expect(rejected.body.decision.by).toBe('support-sam');
    await eventually(() => ['unblock_request_filed', 'unblock_request_approved', 'unblock_request_rejected'].every((t) => s.logs.some((l) => l.event === 'audit' && l.type === t && l.actor === 'support:support-sam')));
  });

  test('the OpenAPI document says the roles of every token route, and its 403', async () => {
    const doc = (await api(s, 'GET', '/openapi.json', undefined, { token: null })).body;
    for (const r of ROUTES) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      if (r.open) expect(op['x-roles']).toBeUndefined();
      else {
        expect(op['x-roles']).toEqual(ROLES.filter((role) => mayCall(role, r.operationId)));
        expect(op.responses['403'].description).toContain('PC_ERR_ADMIN_ROLE_REFUSED');
      }
    }
  });
});

describe('the console with named tokens', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      config: { admin: { ...DEFAULT_CONFIG.admin, listen: { host: '127.0.0.1', port: 0 }, token: ADMIN_TOKEN, tokens: [{ name: 'viewer', role: 'read', token: TOKENS.read.token }] } },
    });
  });
  afterAll(() => s?.close());

  test('a read token signs in, is offered only reads, and the server refuses its changes', async () => {
    const base = s.gw.adminUrl;
    const r = await http(base, 'POST', '/console/session', { body: { token: TOKENS.read.token } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ token_name: 'viewer', operator: 'viewer', role: 'read' });
    expect(r.body.allowed).toContain('listBlocks');
    expect(r.body.allowed).not.toContain('createBlock');
    expect(r.body.allowed).not.toContain('approveUnblockRequest');
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    expect((await http(base, 'GET', '/console/api/v1/blocks', { cookie })).status).toBe(200);
    const refused = await http(base, 'POST', '/console/api/v1/blocks', { cookie, csrf: r.body.csrf, body: { portal: 'localhost', kind: 'ip', ip: '198.51.100.2', reason: 'x' } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('PC_ERR_ADMIN_ROLE_REFUSED');
    await eventually(() => s.logs.some((l) => l.event === 'admin_call' && l.via === 'console' && l.token_name === 'viewer' && l.status === 403));
    expect((await http(base, 'DELETE', '/console/session', { cookie, csrf: r.body.csrf })).status).toBe(200);
    await eventually(() => s.logs.some((l) => l.event === 'console_sign_in' && l.result === 'signed_out' && l.token_name === 'viewer'));
    expect(s.logs).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'console_sign_in', result: 'signed_in', token_name: 'viewer', role: 'read' })]));
  });

  test('ten wrong tokens from one address throttle that address; the right token still signs in, and a wrong one after it is still refused', async () => {
    const base = s.gw.adminUrl;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await http(base, 'POST', '/console/session', { body: { token: `wrong-${i}` } })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // The right token is never locked out: not the read token, not the admin token.
    const right = await http(base, 'POST', '/console/session', { body: { token: ADMIN_TOKEN } });
    expect(right.status).toBe(201);
    expect(right.body.role).toBe('admin');
    expect((await http(base, 'POST', '/console/session', { body: { token: TOKENS.read.token } })).status).toBe(201);
    expect((await http(base, 'POST', '/console/session', { body: { token: 'wrong-again' } })).status).toBe(429);
    // Guesses sent in parallel queue one delay apart; the right token sent after them does not queue.
    const order: string[] = [];
    const wrong = [1, 2, 3].map((i) => http(base, 'POST', '/console/session', { body: { token: `parallel-${i}` } }).then((x) => order.push(`wrong ${x.status}`)));
    const rightAgain = http(base, 'POST', '/console/session', { body: { token: ADMIN_TOKEN } }).then((x) => order.push(`right ${x.status}`));
    await Promise.all([...wrong, rightAgain]);
    expect(order).toEqual(['right 201', 'wrong 429', 'wrong 429', 'wrong 429']);
    expect(s.logs.filter((l) => l.event === 'console_sign_in' && l.result === 'refused').length).toBeGreaterThanOrEqual(10);
    expect(s.logs.some((l) => l.event === 'console_sign_in' && l.result === 'throttled')).toBe(true);
    for (const secret of [ADMIN_TOKEN, TOKENS.read.token]) expect(s.rawLogs()).not.toContain(secret);
  });
});
