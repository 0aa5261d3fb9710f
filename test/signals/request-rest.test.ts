import { ManualClock } from '../../gateway/lib/clock';
import type { Classified, RequestHead } from '../../gateway/pipeline/request';
import {
  batchCommandsInJson,
  batchCommandsInQuery,
  keyedHash,
  rememberLoginSuccess,
  requestSignals,
  restSignals,
  UNKNOWN_USER,
  userSignals,
  type DeviceSense,
  type PasswordSignals,
} from '../../gateway/signals';

const SECRET = 'test-deployment-secret-0123456789';

function head(over: Partial<RequestHead> = {}): RequestHead {
  return { method: 'post', target: '/rest/7/abc123secretcode/crm.deal.list.json', headers: { 'user-agent': 'curl/8.5.0' }, ip: '::ffff:198.51.100.77', httpVersion: '1.1', secure: true, ...over };
}

const webhookCall: Classified = {
  portal: 'acme.example',
  kind: 'rest',
  path: '/rest/7/{code}/crm.deal.list.json', // the classifier masks the code
  principal: { restVia: 'webhook', webhookUserId: '7' },
  rest: { method: 'crm.deal.list', format: 'json', entry: 'rest' },
  reason: 'rest_path:/rest/',
};

describe('request.*', () => {
  it('reads the request as classified (code already masked), and takes time from the clock', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 17, 45));
    const s = requestSignals({ head: head(), classified: webhookCall, clock });
    expect(s).toEqual({
      portal: 'acme.example',
      kind: 'rest',
      method: 'POST',
      path: '/rest/7/{code}/crm.deal.list.json',
      ip: '198.51.100.77',
      ip_prefix: '198.51.100.0/24',
      user_agent: 'curl/8.5.0',
      hour_utc: 17,
      time_ms: Date.UTC(2026, 2, 1, 17, 45),
    });
    clock.advance(3600_000);
    expect(requestSignals({ head: head(), classified: webhookCall, clock }).hour_utc).toBe(18);
  });

  it('counts IPv6 by /64 and gives "" for a missing address or user agent', () => {
    const clock = new ManualClock();
    const v6 = requestSignals({ head: head({ ip: '2001:DB8:1:2:3:4:5:6' }), classified: webhookCall, clock });
    expect(v6.ip).toBe('2001:db8:1:2:3:4:5:6');
    expect(v6.ip_prefix).toBe('2001:db8:1:2::/64');
    const none = requestSignals({ head: head({ ip: '', headers: {} }), classified: webhookCall, clock });
    expect(none).toMatchObject({ ip: '', ip_prefix: '', user_agent: '' });
  });

  it('cuts an overlong user agent', () => {
    const s = requestSignals({ head: head({ headers: { 'user-agent': 'x'.repeat(100_000) } }), classified: webhookCall, clock: new ManualClock() });
    expect(s.user_agent.length).toBe(1024);
  });
});

describe('rest.*', () => {
  it('a webhook call: principal, user, method, batch size 1', () => {
    expect(restSignals({ classified: webhookCall, secret: SECRET })).toEqual({
      principal: 'webhook', webhook_user: '7', app: '', method: 'crm.deal.list', batch_size: 1,
    });
  });

  it('an OAuth call: the app is a keyed hash of the token, never the token', () => {
    const oauth: Classified = { ...webhookCall, path: '/rest/user.current', principal: { restVia: 'oauth' }, rest: { method: 'user.current', format: 'json', entry: 'rest' } };
    const s = restSignals({ classified: oauth, secret: SECRET, credentials: { oauthToken: 'tok-very-secret-123' } });
    expect(s.principal).toBe('oauth');
    expect(s.app).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(s.app).not.toContain('tok');
    expect(s.app).toBe(keyedHash(SECRET, 'rest_app', 'token', 'tok-very-secret-123'));
    expect(restSignals({ classified: oauth, secret: SECRET, credentials: { oauthToken: 'another' } }).app).not.toBe(s.app);
  });

  it('a batch: the counted commands, or 0 when nobody counted', () => {
    const batch: Classified = { ...webhookCall, rest: { method: 'batch', format: 'json', entry: 'rest' } };
    expect(restSignals({ classified: batch, secret: SECRET }).batch_size).toBe(0);
    const q = 'halt=0&cmd[a]=user.current&cmd[b]=crm.deal.list%3Fstart%3D0&cmd%5Bc%5D=x&cmd[a]=dup';
    expect(batchCommandsInQuery(q)).toBe(3);
    expect(restSignals({ classified: batch, secret: SECRET, batchCommands: batchCommandsInQuery(q) }).batch_size).toBe(3);
    expect(batchCommandsInJson({ halt: 0, cmd: { a: 'x', b: 'y' } })).toBe(2);
    expect(batchCommandsInJson({ cmd: ['x', 'y', 'z'] })).toBe(3);
    expect(batchCommandsInJson('nonsense')).toBe(0);
    expect(batchCommandsInQuery('cmd[%E0%A4%A]=1&%%%=2')).toBe(0);
  });

  it('not a REST call: the unknown values', () => {
    const login: Classified = { portal: 'acme.example', kind: 'login', path: '/auth/', principal: { login: 'bob', loginVia: 'form' }, reason: 'auth_form:post' };
    expect(restSignals({ classified: login, secret: SECRET })).toEqual({ principal: 'none', webhook_user: '', app: '', method: '', batch_size: 0 });
  });
});

describe('user.* and what a success teaches', () => {
  const login: Classified = { portal: 'acme.example', kind: 'login', path: '/auth/', principal: { login: 'bob', loginVia: 'form' }, reason: 'auth_form:post' };

  it('reads the facts, and the unknown values for an unknown user', () => {
    expect(userSignals(login, { ...UNKNOWN_USER, known: true, owner: true, secondFactorSeen: true }, { activeEmployees: 12 })).toEqual({
      login: 'bob', known: true, exists: true, password_changed_recently: false, admin: true, owner: true, second_factor: true, weak_password_seen: false, active_employees_on_portal: 12,
    });
    expect(userSignals({ principal: {} }, undefined, undefined)).toEqual({
      login: '', known: false, exists: false, password_changed_recently: false, admin: false, owner: false, second_factor: false, weak_password_seen: false, active_employees_on_portal: 0,
    });
    // Listed by the directory but never seen: it exists. A password changed 10 minutes ago is recent.
    expect(userSignals(login, { ...UNKNOWN_USER, passwordChangedAtMs: 1_000 }, undefined, { inDirectory: true, nowMs: 601_000 })).toMatchObject({ known: false, exists: true, password_changed_recently: true });
    expect(userSignals(login, { ...UNKNOWN_USER, passwordChangedAtMs: 1_000 }, undefined, { nowMs: 3_601_000 })).toMatchObject({ exists: false, password_changed_recently: false });
  });

  it('a success with a common password remembers a weak password, the device and the place', () => {
    const device = { deviceId: '', cookieIssuedAtMs: 0, signals: { fingerprint: 'fp' } } as unknown as DeviceSense;
    const password: PasswordSignals = { present: true, length: 8, classes: 1, strength: 0, common: true, contains_login: false };
    const m = rememberLoginSuccess({
      device, password, secondFactor: false, nowMs: 1000, mintDeviceId: () => 'new-id',
      geo: { known: true, country: 'FR', lat: 48.85, lon: 2.35, accuracyKm: 10 },
    });
    expect(m).toEqual({
      userKnown: true,
      device: { deviceId: 'new-id', fingerprint: 'fp', issueCookie: true },
      geo: { country: 'FR', lastSuccess: { atMs: 1000, lat: 48.85, lon: 2.35, country: 'FR', accuracyKm: 10 } },
      weakPasswordSeen: true,
      secondFactorSeen: false,
    });
    const strong = rememberLoginSuccess({ device, password: { ...password, common: false, strength: 4 }, secondFactor: true, nowMs: 1000, mintDeviceId: () => 'x', geo: { known: false, country: '', lat: 0, lon: 0, accuracyKm: 0 } });
    expect(strong.weakPasswordSeen).toBe(false);
    expect(strong.secondFactorSeen).toBe(true);
    expect(strong.geo).toBeUndefined();
  });
});
