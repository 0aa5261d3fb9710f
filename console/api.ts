/**
 * The console's only way to the gateway: the admin API's own routes under /console/api/… with the
 * session cookie (httpOnly: this script never sees it) and, on every state change, the CSRF token,
 * which lives in this module's memory only (never localStorage, never a URL).
 */
export interface ApiError {
  readonly status: number;
  readonly error: string;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly advice?: string;
  readonly problems?: unknown[];
  readonly body?: Record<string, unknown>;
}

export class ApiFailure extends Error {
  constructor(readonly info: ApiError) {
    super(info.message);
  }
}

export interface Session {
  /** The token's name: the actor of everything this session does. */
  readonly operator: string;
  readonly role: string;
  /** The admin operations the role may call. */
  readonly allowed: readonly string[];
  readonly csrf: string;
  readonly expires_at: string;
}

let csrf: string | null = null;
let onSignedOut: (why: string) => void = () => undefined;

export function whenSignedOut(fn: (why: string) => void): void {
  onSignedOut = fn;
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function failure(status: number, body: unknown): ApiFailure {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return new ApiFailure({
    status,
    error: String(b.error ?? 'error'),
    code: String(b.code ?? `HTTP_${status}`),
    message: typeof b.message === 'string' ? b.message : `the gateway answered ${status}`,
    ...(typeof b.field === 'string' ? { field: b.field } : {}),
    ...(typeof b.advice === 'string' ? { advice: b.advice } : {}),
    ...(Array.isArray(b.errors) ? { problems: b.errors as unknown[] } : {}),
    body: b,
  });
}

export async function call<T = any>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/console/api${path}`, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const parsed = await parse(res);
  if (res.status === 401) {
    csrf = null;
    const f = failure(401, parsed);
    onSignedOut(f.message);
    throw f;
  }
  if (!res.ok) throw failure(res.status, parsed);
  return parsed as T;
}

export async function metricsText(): Promise<string> {
  const res = await fetch('/console/api/metrics', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) {
    const f = failure(401, await parse(res));
    onSignedOut(f.message);
    throw f;
  }
  if (!res.ok) throw failure(res.status, await parse(res));
  return res.text();
}

export async function currentSession(): Promise<Session | null> {
  const res = await fetch('/console/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) return null;
  const s = (await res.json()) as Session;
  csrf = s.csrf;
  return s;
}

export async function signIn(token: string): Promise<Session> {
  const res = await fetch('/console/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const body = await parse(res);
  if (!res.ok) throw failure(res.status, body);
  const s = body as Session;
  csrf = s.csrf;
  return s;
}

export async function signOut(): Promise<void> {
  const res = await fetch('/console/session', { method: 'DELETE', credentials: 'same-origin', headers: csrf ? { 'x-csrf-token': csrf } : {} });
  csrf = null;
  if (!res.ok && res.status !== 401) throw failure(res.status, await parse(res));
}
