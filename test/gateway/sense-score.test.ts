/**
 * Sensing and scoring on the real data plane: the real simulator behind the real gateway, the default
 * policies (or small probe policies that expose one signal each), and the verdicts the gateway logs.
 * Enforcement is not here yet: these tests read the verdict values, which the act stage will obey.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { startStack, eventually, type Stack } from '../helpers/stack';
import { tempDir } from '../helpers/processes';

const FORM = 'application/x-www-form-urlencoded';
const UA_LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const UA_ATTACKER = 'python-requests/2.31';

async function login(s: Stack, user: string, password: string, headers: Record<string, string> = {}): Promise<{ status: number; setCookie: string[]; line: Record<string, unknown> }> {
  const before = s.logs.filter((l) => l.msg === 'request').length;
  const res = await request(`${s.gw.url}/auth/?login=yes`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': FORM, 'user-agent': UA_LAPTOP, ...headers },
    body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }).toString(),
  });
  await res.body.dump();
  await eventually(() => s.logs.filter((l) => l.msg === 'request').length > before);
  const line = s.logs.filter((l) => l.msg === 'request')[before]!;
  return { status: res.statusCode, setCookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []), line };
}

function deviceCookie(setCookie: string[]): string {
  const c = setCookie.find((x) => x.startsWith('pc_device='));
  if (!c) throw new Error(`no device cookie in ${JSON.stringify(setCookie)}`);
  return c.split(';')[0]!;
}

function probePolicies(rules: string): string {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'probe.yaml'),
    `version: portcullis/v1
name: probe
on: [login]
counters:
  user_failures_15m: { count: login.failed, by: [portal, user], window: 15m }
  same_password_failures_15m: { distinct: password, of: login.failed, by: [portal, user, device], window: 15m }
rules:
${rules}
actions:
  - at: 1000
    do: deny_attempt
`,
  );
  return dir;
}

describe('with the default policies', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
  });
  afterAll(() => s.close());

  test('a success teaches the device: a signed device cookie comes back with the portal\'s answer', async () => {
    const r = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.10' });
    expect(r.status).toBe(302);
    expect(deviceCookie(r.setCookie)).toMatch(/^pc_device=[\w.-]+$/);
    expect(r.setCookie.join('\n')).toMatch(/pc_device=.*HttpOnly/i);
    expect(r.line).toMatchObject({ kind: 'login', outcome: 'success', action: 'none' });
  });

  test('five typos on my own laptop are scored as nothing', async () => {
    const first = await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '192.0.2.20' });
    const cookie = deviceCookie(first.setCookie);
    for (let i = 0; i < 5; i++) {
      const r = await login(s, 'admin', `typo-${i}`, { 'x-forwarded-for': '192.0.2.20', cookie });
      expect(r.line).toMatchObject({ outcome: 'failure', action: 'none', rules: [] });
    }
    const ok = await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '192.0.2.20', cookie });
    expect(ok.line).toMatchObject({ outcome: 'success', action: 'none' });
  });

  test('an unfamiliar device hammering one user is scored deny_attempt from its 11th attempt', async () => {
    const lines: Record<string, unknown>[] = [];
    for (let i = 0; i < 11; i++) lines.push((await login(s, 'carol', `guess-${i}`, { 'x-forwarded-for': '203.0.113.50', 'user-agent': UA_ATTACKER })).line);
    expect(lines[9]).toMatchObject({ action: 'none' });
    expect(lines[10]).toMatchObject({ action: 'deny_attempt', rules: ['unknown-device-burst'] });
  });

  test('REST calls are sensed only as far as REST policies read', async () => {
    const res = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
    await res.body.dump();
    await eventually(() => s.logs.some((l) => l.msg === 'request' && l.kind === 'rest'));
    expect(s.logs.find((l) => l.msg === 'request' && l.kind === 'rest')).toMatchObject({ action: 'none', score: 0 });
  });
});

describe('signals, through probe policies', () => {
  test('device.known: unknown before the first success, known after it (by cookie), even from another IP', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], policiesDir: probePolicies('  - { id: known-device, when: device.known, score: 1 }\n  - { id: by-cookie, when: device.known_by == "cookie", score: 1 }') } });
    try {
      expect((await login(s, 'bob', 'nope', { 'x-forwarded-for': '198.51.100.1' })).line).toMatchObject({ rules: [] });
      const ok = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '198.51.100.1' });
      const cookie = deviceCookie(ok.setCookie);
      const again = await login(s, 'bob', 'nope', { 'x-forwarded-for': '203.0.113.99', cookie, 'user-agent': 'a different browser/1.0' });
      expect(again.line).toMatchObject({ rules: ['known-device', 'by-cookie'] });
      // A forged cookie is not a known device.
      const forged = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
      const f = await login(s, 'bob', 'nope', { 'x-forwarded-for': '203.0.113.99', cookie: forged, 'user-agent': 'a different browser/1.0' });
      expect(f.line).toMatchObject({ rules: [] });
    } finally {
      await s.close();
    }
  });

  test('counters: failures per user counted; the same wrong password from one client counted once', async () => {
    const s = await startStack({
      config: {
        policiesDir: probePolicies('  - { id: three-failures, when: counters.user_failures_15m >= 3, score: 1 }\n  - { id: two-distinct-passwords, when: counters.same_password_failures_15m >= 2, score: 1 }'),
      },
    });
    try {
      const a = await login(s, 'bob', 'same-wrong');
      const b = await login(s, 'bob', 'same-wrong');
      expect(b.line).toMatchObject({ rules: [] }); // attempt phase reads before this failure is counted
      const c = await login(s, 'bob', 'same-wrong');
      // Three failures of the same password: the count rule sees 2 at the attempt phase of the third.
      expect([a.line.rules, c.line.rules]).toEqual([[], []]);
      const d = await login(s, 'bob', 'other-wrong');
      expect(d.line.rules).toEqual(['three-failures']); // 3 failures counted, but only 1 distinct password so far
      const e = await login(s, 'bob', 'third-wrong');
      expect(e.line.rules).toEqual(['three-failures', 'two-distinct-passwords']);
    } finally {
      await s.close();
    }
  });

  test('user.active_employees_on_portal counts the users seen succeeding, less the blocked ones', async () => {
    const s = await startStack({ config: { policiesDir: probePolicies('  - { id: two-colleagues, when: user.active_employees_on_portal >= 2, score: 1 }') } });
    try {
      expect((await login(s, 'bob', 'Demo-Bob-2024!')).line.rules).toEqual([]);
      await login(s, 'admin', 'Demo-Owner-2024!');
      // The count is cached for a minute per portal: a fresh gateway on the same state reads it anew.
      const s2 = await startStack({ config: { stateDir: s.gw.config.stateDir, policiesDir: s.gw.config.policiesDir } });
      try {
        expect((await login(s2, 'carol', 'nope')).line.rules).toEqual(['two-colleagues']);
      } finally {
        await s2.close();
      }
    } finally {
      await s.close();
    }
  });

  test('password signals are computed from the attempt and never logged', async () => {
    const s = await startStack({ config: { policiesDir: probePolicies('  - { id: common-password, when: password.common, score: 1 }\n  - { id: contains-login, when: password.contains_login, score: 1 }') } });
    try {
      expect((await login(s, 'bob', 'qwerty123')).line.rules).toEqual(['common-password']);
      expect((await login(s, 'bob', 'bobby-Xk29!zq')).line.rules).toEqual(['contains-login']);
      expect((await login(s, 'bob', 'Zr8#kq2!Lw')).line.rules).toEqual([]);
      expect(s.rawLogs()).not.toMatch(/qwerty123|bobby-Xk29|Zr8#kq2/);
    } finally {
      await s.close();
    }
  });

  test('geo: impossible travel between two successes from far-apart public addresses', async () => {
    const s = await startStack({
      config: {
        trustedProxies: ['127.0.0.1/32'],
        policiesDir: probePolicies('  - { id: travel, phase: outcome, when: outcome.success && geo.travel_kmh > 1000.0, score: 1 }\n  - { id: new-country, phase: outcome, when: outcome.success && geo.new_country, score: 1 }'),
      },
    });
    try {
      const home = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '8.8.8.8' }); // US
      expect(home.line).toMatchObject({ outcome: 'success', outcome_rules: [] });
      const far = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '1.1.1.1', 'user-agent': 'other/1' });
      const farAgain = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '203.208.60.1', 'user-agent': 'other/2' });
      const rules = [far.line.outcome_rules, farAgain.line.outcome_rules].flat() as string[];
      expect(rules).toContain('travel');
      expect(rules).toContain('new-country');
    } finally {
      await s.close();
    }
  });
});
