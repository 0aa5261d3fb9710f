/**
 * Helpers of the admin tests: calls to the real admin listener over HTTP, the portal directories from
 * the simulator's seed (never its passwords), and a real attack that gets a user blocked, as
 * test/gateway/lockout.test.ts does.
 */
import path from 'node:path';
import { request } from 'undici';
import { loadSeed } from '../../portal-sim/server';
import { userId } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { ADMIN_TOKEN, eventually, type Stack } from '../helpers/stack';

export interface ApiReply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

export async function api<T = any>(s: Stack, method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<ApiReply<T>> {
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  const res = await request(`${s.gw.adminUrl}${path}`, {
    method: method as 'GET',
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.raw !== undefined ? { body: opts.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // metrics and other text answers
  }
  return { status: res.statusCode, body: parsed as T, headers: res.headers };
}

/** The seed's users as a portal directory would list them (login, email, name, flags; no password). */
export function seedDirectory(host: string): Record<string, unknown>[] {
  const portal = loadSeed(path.join(__dirname, '../../portal-sim/seed.yaml')).portals.find((p) => p.host === host)!;
  return portal.users.map((u) => ({ login: u.login, email: u.email, name: u.name, admin: u.admin === true, owner: u.owner === true, active: u.active !== false }));
}

export async function importSeedDirectories(s: Stack): Promise<void> {
  for (const host of ['localhost', 'acme.bitrix24.local', 'solo.bitrix24.local']) {
    const r = await api(s, 'PUT', `/v1/portals/${host}/directory`, seedDirectory(host));
    if (r.status !== 200) throw new Error(`directory import of ${host}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

const FORM = 'application/x-www-form-urlencoded';
export const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ATTACKER = 'python-requests/2.31';

export async function login(s: Stack, host: string, user: string, password: string, ip: string, ua = LAPTOP): Promise<{ status: number; body: string }> {
  const res = await request(`${s.gw.url}/auth/?login=yes`, {
    method: 'POST',
    headers: { host, 'content-type': FORM, 'user-agent': ua, 'x-forwarded-for': ip },
    body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }).toString(),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

export async function changePassword(s: Stack, host: string, user: string, newPassword: string): Promise<string> {
  const form = async (path: string, fields: Record<string, string>): Promise<string> => {
    const res = await request(`${s.gw.url}${path}`, { method: 'POST', headers: { host, 'content-type': FORM, 'user-agent': LAPTOP }, body: new URLSearchParams(fields).toString() });
    return res.body.text();
  };
  await form('/auth/?forgot_password=yes', { AUTH_FORM: 'Y', TYPE: 'SEND_PWD', USER_LOGIN: user });
  const checkword = s.sim.mailbox(host, user)!;
  return form('/auth/?change_password=yes', { AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: user, USER_CHECKWORD: checkword, USER_PASSWORD: newPassword, USER_CONFIRM_PASSWORD: newPassword });
}

/** Guesses from an attacker's address until the default policies block the user (and the portal's REST). */
export async function attackUntilBlocked(s: Stack, host: string, user: string, attackerIp: string): Promise<void> {
  const uid = userId(TEST_SECRET, host, user);
  for (let i = 0; i < 60 && !s.gw.blocks.find(host, 'user', uid); i++) await login(s, host, user, `guess-${i}`, attackerIp, ATTACKER);
  await eventually(() => s.gw.blocks.find(host, 'user', uid) !== undefined);
}

export async function rest(s: Stack, host: string, path: string): Promise<number> {
  const res = await request(`${s.gw.url}${path}`, { headers: { host } });
  await res.body.dump();
  return res.statusCode;
}
