/** Shared by the fault tests (not a test file itself). */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';

export const FORM = 'application/x-www-form-urlencoded';
export const ATTACKER_UA = 'python-requests/2.31';
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One HTTP call; never throws: status 0 means the connection failed, -1 that the response was cut. */
export async function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string; error?: string }> {
  let status = 0;
  try {
    const res = await request(url, {
      method: (opts.method ?? 'GET') as 'GET',
      headers: opts.headers ?? {},
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      headersTimeout: opts.timeoutMs ?? 10_000,
      bodyTimeout: opts.timeoutMs ?? 10_000,
    });
    status = res.statusCode;
    const body = await res.body.text();
    return { status, body };
  } catch (err) {
    return { status: status === 0 ? 0 : -1, body: '', error: (err as Error).message };
  }
}

export function restCall(base: string, ip?: string, host = 'localhost'): Promise<{ status: number; body: string; error?: string }> {
  return call(`${base}/rest/1/demoadminhook001/user.current.json`, { headers: { host, ...(ip ? { 'x-forwarded-for': ip } : {}) } });
}

export function loginCall(base: string, user: string, password: string, ip: string, ua = 'curl/8', host = 'localhost'): Promise<{ status: number; body: string; error?: string }> {
  return call(`${base}/auth/?login=yes`, {
    method: 'POST',
    headers: { host, 'content-type': FORM, 'user-agent': ua, 'x-forwarded-for': ip },
    body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }).toString(),
  });
}

export async function adminCall<T = any>(adminUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await request(`${adminUrl}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.statusCode, body: parsed as T };
}

/** Every item of a paged admin list (items + next_cursor). */
export async function adminListAll<T = any>(adminUrl: string, token: string, path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await adminCall<{ items: T[]; next_cursor?: string | null }>(adminUrl, token, 'GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.items);
    if (!r.body.next_cursor) break;
    cursor = r.body.next_cursor;
  }
  return out;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function rssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : -1;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function countBy<T>(items: T[], key: (t: T) => string | number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[String(key(i))] = (out[String(key(i))] ?? 0) + 1;
  return out;
}

/** Polls an async check until it holds; fails with `what` after timeoutMs. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = 'condition', everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** The store state a gateway's /metrics reports (`portcullis_store_state{state} 1`), or null when unreadable. */
export async function scrapedStoreState(adminUrl: string, token: string): Promise<string | null> {
  const r = await call(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 2000 });
  return /^portcullis_store_state\{state="([a-z]+)"\} 1$/m.exec(r.body)?.[1] ?? null;
}
