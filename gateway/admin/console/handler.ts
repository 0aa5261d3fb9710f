/**
 * The support console on the admin listener (issue 9): everything under /console.
 *
 *   GET    /console/             the page (index.html, app.js, app.css from dist/console, built by
 *                                scripts/build-console.js)
 *   POST   /console/session      sign-in: { token } → session cookie + { csrf, token, role, allowed }
 *                                (the token's name and role, and the operations the role may call:
 *                                the page shows only those; the server refuses the others anyway)
 *   GET    /console/session      the live session (the page reloads without signing in again)
 *   DELETE /console/session      sign-out (needs the CSRF header): the session ends server-side
 *   *      /console/api/<route>  the admin API's own routes (/v1/…, /metrics) with the session
 *                                instead of the bearer token; the route table answers as it does
 *                                for the bearer token — there is no second source of truth.
 *
 * The cookie is httpOnly, SameSite=Strict and Path=/console, so it reaches only these paths: a bare
 * /v1/… request still needs the bearer token. Every method other than GET and HEAD under
 * /console/api needs the session's CSRF token in `X-CSRF-Token` (403 without it).
 *
 * Sign-in failures are counted per client address: past MAX_FAILURES in a window, that address's
 * wrong tokens are answered 429, one delay apart (in parallel or not). A right token is always let in
 * at once, from any address: a stranger's guesses must never lock the operator out.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import type { TokenSet } from '../bearer';
import { logSignIn, type EventLogger } from '../events';
import { sendJson } from '../http-io';
import { mayCall, type Principal } from '../roles';
import { ROUTES } from '../routes';
import { ConsoleSessions, DEFAULT_LIMITS, sameSecret, type SessionInfo, type SessionLimits } from './sessions';

export const COOKIE = 'portcullis_console';
export const CSRF_HEADER = 'x-csrf-token';
const API_PREFIX = '/console/api/';
const SIGN_IN_BODY_MAX = 4096;
const OPERATOR = /^[^\s:][^:]{0,99}$/;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Wrong sign-ins per address and window before that address is throttled. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** The longest a throttled address's wrong answer is held. */
const MAX_HOLD_MS = 30_000;

export interface ConsoleOptions {
  readonly tokens: TokenSet;
  readonly log: EventLogger;
  /** How long a throttled address waits for each wrong token's answer (default 1 s). */
  readonly throttleDelayMs?: number;
  /** From the validated configuration (admin.console); the rest from DEFAULT_LIMITS. */
  readonly limits?: Partial<SessionLimits>;
  readonly now?: () => number;
  /** Where the built page is; found beside the compiled module or in <repo>/dist/console by default. */
  readonly assetsDir?: string | null;
}

export interface ConsoleUi {
  /** Answers /console requests. Returns false when the admin route table must answer (for /console/api/…, with req.url rewritten). */
  intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The session's token when intercept() admitted this request with a live session (and its CSRF token for a state change). */
  principalOf(req: IncomingMessage): Principal | null;
  readonly sessions: ConsoleSessions;
}

/**
 * The folder of the built page: from dist/gateway/admin/console, dist/console (beside the compiled
 * server); from sources (tests through @swc/jest), <repo>/dist/console. null when it was not built.
 */
export function findAssetsDir(from = __dirname): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) === 'dist' && existsSync(path.join(dir, 'console', 'index.html'))) return path.join(dir, 'console');
    if (existsSync(path.join(dir, 'package.json'))) {
      const built = path.join(dir, 'dist', 'console');
      return existsSync(path.join(built, 'index.html')) ? built : null;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

function cookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

function isTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

function setCookie(req: IncomingMessage, value: string, maxAgeSec: number): string {
  return `${COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${isTls(req) ? '; Secure' : ''}`;
}

/** Refusals in the admin API's error shape. The 401s have no Bearer challenge: the page signs in with a form. */
function refuse(res: ServerResponse, status: 401 | 403 | 404 | 405 | 413 | 415 | 429, message: string, extra: Record<string, string> = {}): void {
  const error = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 413: 'body_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests' }[status];
  const code =
    status === 404 ? 'PC_ERR_ADMIN_NOT_FOUND'
    : status === 405 ? 'PC_ERR_ADMIN_METHOD_NOT_ALLOWED'
    : status === 413 ? 'PC_ERR_ADMIN_BODY_TOO_LARGE'
    : status === 415 ? 'PC_ERR_ADMIN_MALFORMED_JSON'
    : status === 403 ? 'PC_ERR_ADMIN_FORBIDDEN'
    : status === 429 ? 'PC_ERR_ADMIN_RATE_LIMITED'
    : 'PC_ERR_ADMIN_UNAUTHORIZED';
  sendJson(res, status, { error, code, message }, { ...SECURITY_HEADERS, ...extra });
}

async function readSmallJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SIGN_IN_BODY_MAX) throw new RangeError('too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** A cross-site page cannot post here: its Origin (sent by browsers on POST/DELETE) must be this listener. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function createConsole(opts: ConsoleOptions): ConsoleUi {
  const limits: SessionLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const sessions = new ConsoleSessions(limits, opts.now ?? Date.now);
  const operations = ROUTES.filter((r) => !r.open).map((r) => r.operationId);
  /** The session as the page reads it: who, the role, and the operations the role may call (the page hides the rest). */
  const describe = (s: SessionInfo): Record<string, unknown> => ({
    token_name: s.who.name,
    operator: s.who.name,
    role: s.who.role,
    allowed: operations.filter((op) => mayCall(s.who.role, op)),
    csrf: s.csrf,
    expires_at: s.expiresAt,
  });
  const admitted = new WeakMap<IncomingMessage, Principal>();
  const assetsDir = opts.assetsDir === undefined ? findAssetsDir() : opts.assetsDir;
  const cache = new Map<string, Buffer>();
  const now = opts.now ?? Date.now;
  const delayMs = opts.throttleDelayMs ?? 1000;
  // Wrong sign-ins per client address in the current window; bounded, so a scan of many addresses cannot grow it.
  // `answerAt`: when this address's next wrong answer may go out; answers queue one delay apart, so
  // guesses sent in parallel are slowed as much as guesses sent one after another.
  const failures = new LRUCache<string, { windowStart: number; count: number; answerAt: number }>({ max: 10_000 });

  function asset(res: ServerResponse, name: string, method: string): void {
    if (!assetsDir) {
      sendJson(res, 503, { error: 'unavailable', code: 'PC_ERR_ADMIN_NOT_FOUND', message: 'the console is not built: run `npm run build` (scripts/build-console.js writes dist/console)' }, SECURITY_HEADERS);
      return;
    }
    const ext = path.extname(name);
    if (!/^[a-z0-9-]+\.[a-z]+$/.test(name) || !TYPES[ext]) return refuse(res, 404, `no console file ${name}`);
    let body = cache.get(name);
    if (!body) {
      const file = path.join(assetsDir, name);
      if (!existsSync(file)) return refuse(res, 404, `no console file ${name}`);
      body = readFileSync(file);
      cache.set(name, body);
    }
    res.writeHead(200, { 'content-type': TYPES[ext]!, 'content-length': body.length, ...SECURITY_HEADERS });
    res.end(method === 'HEAD' ? undefined : body);
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameOrigin(req)) return refuse(res, 403, 'sign-in from another origin is refused');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return refuse(res, 415, 'sign in with a JSON body { token }');
    let body: unknown;
    try {
      body = await readSmallJson(req);
    } catch (err) {
      return err instanceof RangeError ? refuse(res, 413, 'the sign-in body is too large') : refuse(res, 415, 'the sign-in body is not JSON');
    }
    const { token, operator } = (body ?? {}) as { token?: unknown; operator?: unknown };
    // `operator` (a typed name) is accepted from old pages and ignored: the token's name is who acts.
    if (operator !== undefined && (typeof operator !== 'string' || !OPERATOR.test(operator.trim()))) {
      sendJson(res, 422, { error: 'invalid_request', code: 'PC_ERR_ADMIN_INVALID_FIELD', field: 'operator', message: 'operator: optional, and without a colon (the token\'s name is what the audit records)' }, SECURITY_HEADERS);
      return;
    }
    const ip = req.socket.remoteAddress ?? '';
    const who = typeof token === 'string' ? opts.tokens.identify(token) : null;
    if (who) {
      // The address's failures stay counted: a right token gets in, the guesses beside it stay slow.
      const { id, info } = sessions.create(who);
      logSignIn(opts.log, 'signed_in', who, ip);
      sendJson(res, 201, { ...describe(info), idle_seconds: limits.idleMs / 1000 }, { ...SECURITY_HEADERS, 'set-cookie': setCookie(req, id, Math.ceil(limits.maxMs / 1000)) });
      return;
    }
    const t = now();
    let f = failures.get(ip);
    if (!f || t - f.windowStart > FAILURE_WINDOW_MS) f = { windowStart: t, count: 0, answerAt: t };
    f.count++;
    failures.set(ip, f);
    if (f.count > MAX_FAILURES) {
      logSignIn(opts.log, 'throttled', null, ip);
      f.answerAt = Math.max(f.answerAt, t) + delayMs;
      // Held at most MAX_HOLD_MS: a flood from one address queues on its own sockets, not forever.
      await new Promise((r) => setTimeout(r, Math.min(f!.answerAt - t, MAX_HOLD_MS)));
      const retryAfter = Math.max(1, Math.ceil((f.windowStart + FAILURE_WINDOW_MS - t) / 1000));
      return refuse(res, 429, `too many wrong tokens from this address; wait ${retryAfter} s (a right token still signs in)`, { 'retry-after': String(retryAfter) });
    }
    logSignIn(opts.log, 'refused', null, ip);
    return refuse(res, 401, 'wrong admin token: the console did not sign you in');
  }

  /** The session of this request, or a refusal written; for a state change, the CSRF token is checked too. */
  function sessionOf(req: IncomingMessage, res: ServerResponse, stateChange: boolean): (SessionInfo & { id: string }) | null {
    const id = cookieOf(req);
    const found = sessions.lookup(id);
    if (!found.ok) {
      refuse(res, 401, found.why === 'expired' ? 'your console session expired; sign in again' : 'not signed in to the console (or the session ended); sign in again', found.why === 'expired' ? { 'set-cookie': setCookie(req, '', 0) } : {});
      return null;
    }
    if (stateChange) {
      const given = req.headers[CSRF_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, found.session.csrf)) {
        refuse(res, 403, `a console state change needs the session's CSRF token in the ${CSRF_HEADER} header; reload the console`);
        return null;
      }
      if (!sameOrigin(req)) {
        refuse(res, 403, 'a console state change from another origin is refused');
        return null;
      }
    }
    return { id: id!, ...found.session };
  }

  return {
    sessions,
    principalOf: (req) => admitted.get(req) ?? null,
    async intercept(req, res) {
      const url = new URL(req.url ?? '/', 'http://admin');
      const p = url.pathname;
      if (p !== '/console' && !p.startsWith('/console/')) return false;
      const method = (req.method ?? 'GET').toUpperCase();
      const reading = method === 'GET' || method === 'HEAD';

      if (p.startsWith(API_PREFIX)) {
        const rest = p.slice(API_PREFIX.length - 1);
        if (!rest.startsWith('/v1/') && rest !== '/metrics') {
          refuse(res, 404, `the console reaches /v1/… and /metrics only, not ${rest}`);
          return true;
        }
        const s = sessionOf(req, res, !reading);
        if (!s) return true;
        admitted.set(req, s.who);
        req.url = rest + url.search;
        return false;
      }
      if (p === '/console/session') {
        if (method === 'POST') await signIn(req, res);
        else if (reading) {
          const s = sessionOf(req, res, false);
          if (s) sendJson(res, 200, describe(s), SECURITY_HEADERS);
        } else if (method === 'DELETE') {
          const s = sessionOf(req, res, true);
          if (s) {
            sessions.end(s.id);
            logSignIn(opts.log, 'signed_out', s.who, req.socket.remoteAddress ?? '');
            sendJson(res, 200, { signed_out: true }, { ...SECURITY_HEADERS, 'set-cookie': setCookie(req, '', 0) });
          }
        } else refuse(res, 405, `${method} is not allowed on /console/session; allowed: GET, POST, DELETE`, { allow: 'GET, POST, DELETE' });
        return true;
      }
      if (!reading) {
        refuse(res, 405, `${method} is not allowed on ${p}`, { allow: 'GET' });
        return true;
      }
      if (p === '/console') {
        res.writeHead(302, { location: '/console/', ...SECURITY_HEADERS });
        res.end();
        return true;
      }
      asset(res, p === '/console/' ? 'index.html' : p.slice('/console/'.length), method);
      return true;
    },
  };
}
