/**
 * The Bitrix24-like portal simulator: several portals on one listener, chosen by Host. The gateway is
 * developed and tested against it, so it follows the wire notes (docs/portal-wire.md) and the
 * portal's core where the notes are silent. The gateway never imports this folder.
 *
 * One request's way: read the body (10 MB cap, 413 above) → record it → simulator endpoints
 * (/__sim/…) → portal by Host (404 "Portal not found") → push & pull → OAuth token endpoint → REST
 * entry points → static files (served "by nginx", no PHP) → every other path runs the portal's
 * prolog (login handler) and renders a page.
 */
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import { systemClock, type Clock } from '../gateway/lib/clock';
import type { SimRequest, SimSettings } from './context';
import { handlePage } from './login';
import { handleTokenEndpoint } from './oauth';
import { captchaImage, pageHeaders, portalNotFoundPage, staticFile, tooLargePage, type SimResponse } from './pages';
import { parseCookies, parsePhpPost, parsePhpQuery, phpRequest, str } from './php-request';
import { Portal } from './portal';
import { PushPull } from './pushpull';
import { handleRest, restTail } from './rest';
import { defaultSeedFile, loadSeed, validateSeed, type Seed } from './seed';

export type { Seed, SeedApp, SeedDeal, SeedPortal, SeedUser, SeedWebhook } from './seed';
export { loadSeed, SeedError } from './seed';
export { stripVolatile } from './volatile';

export interface PortalSimOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default: the bundled portal-sim/seed.yaml. */
  seedFile?: string;
  /** An in-memory seed instead of a file (checked like a file). */
  seed?: Seed;
  /** Mean simulated password-hash cost per password check, default 25; 0 disables. */
  hashCostMs?: number;
  /** The portal's REST leaky bucket, default {burst: 50, drainPerSecond: 2}; false = no limit. */
  restLimit?: { burst: number; drainPerSecond: number } | false;
  /** Keep received requests (a bounded ring of 10_000), default true. */
  record?: boolean;
  /** Called with every request that reaches the portal, recorded or not (a day's generator counts
   * what reached the portal without a bounded ring). */
  onReceived?: (r: RecordedRequest) => void;
  /** Default: the system clock. Drives token expiry, the REST bucket and the REST `time` block. */
  clock?: Clock;
  /** The portal's own failures per user before its form asks for a CAPTCHA, default 3; 0 = never. */
  captchaAfterFailures?: number;
  /** When set, a login that needs a CAPTCHA must send this captcha_word (case-insensitive).
   * Default: unset, the CAPTCHA is shown but not verified. */
  captchaWord?: string;
  /** How long a long poll under /bitrix/sub/ waits for a message, default 20_000 ms. */
  longPollTimeoutMs?: number;
}

export interface RecordedRequest {
  /** The client went away before the body was complete: the portal did not process it. */
  aborted: boolean;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export interface PortalSim {
  url: string;
  port: number;
  /** What reached the portal, in order (the simulator's own /__sim/ endpoints excluded). */
  received: RecordedRequest[];
  clearReceived(): void;
  /** The last check word "sent" by SEND_PWD for that user of that portal (host or alias). */
  mailbox(portal: string, login: string): string | undefined;
  /** A portal's live state by host or alias (tests change it: dismiss a user, add one). */
  portal(host: string): Portal | undefined;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const RECORD_LIMIT = 10_000;
const STATIC_PREFIXES = ['/bitrix/js/', '/bitrix/css/', '/bitrix/images/', '/bitrix/templates/', '/upload/'];

export async function startPortalSim(opts: PortalSimOptions = {}): Promise<PortalSim> {
  const seed = opts.seed ? validateSeed(opts.seed) : loadSeed(opts.seedFile ?? defaultSeedFile());
  const clock = opts.clock ?? systemClock;
  const settings: SimSettings = {
    clock,
    hashCostMs: opts.hashCostMs ?? 25,
    captchaAfterFailures: opts.captchaAfterFailures ?? 3,
    captchaWord: opts.captchaWord,
    longPollTimeoutMs: opts.longPollTimeoutMs ?? 20_000,
  };
  const restLimit = opts.restLimit === undefined ? { burst: 50, drainPerSecond: 2 } : opts.restLimit;
  const record = opts.record ?? true;

  const portals = new Map<string, Portal>();
  for (const p of seed.portals) {
    const portal = new Portal(p, clock, restLimit);
    for (const h of [portal.host, ...portal.aliases]) portals.set(hostKey(h), portal);
  }
  const pushpull = new PushPull(settings.longPollTimeoutMs);
  const received: RecordedRequest[] = [];
  const remember = (req: http.IncomingMessage, body: Buffer, aborted: boolean): void => {
    if (!record && !opts.onReceived) return;
    const r: RecordedRequest = {
      aborted,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      body: body.length === 0 ? '' : isUtf8(body) ? body.toString('utf8') : body.toString('latin1'),
      at: clock.now(),
    };
    opts.onReceived?.(r);
    if (!record) return;
    received.push(r);
    if (received.length > RECORD_LIMIT) received.splice(0, received.length - RECORD_LIMIT);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { body, tooLarge, aborted } = await readBody(req, MAX_BODY_BYTES);
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    if (rawPath.startsWith('/__sim/')) return send(res, simEndpoint(rawPath, rawQuery, portals));
    remember(req, body, aborted);
    if (aborted) return;
    if (tooLarge) {
      res.setHeader('connection', 'close');
      return send(res, { status: 413, headers: { 'content-type': 'text/html; charset=UTF-8' }, body: tooLargePage() });
    }
    const portal = portals.get(hostKey(req.headers.host));
    if (!portal) return send(res, { status: 404, headers: { 'content-type': 'text/html; charset=UTF-8' }, body: portalNotFoundPage() });

    const method = (req.method ?? 'GET').toUpperCase();
    const get = parsePhpQuery(rawQuery);
    const post = await parsePhpPost(method, req.headers, body);
    const sim: SimRequest = {
      method,
      rawUrl: req.url ?? '/',
      path: normalisePath(rawPath),
      rawPath,
      rawQuery,
      headers: req.headers,
      body,
      get,
      post,
      request: phpRequest(get, post),
      cookies: parseCookies(req.headers.cookie),
    };
    const path = sim.path;

    if (path === '/bitrix/sub/' || path.startsWith('/bitrix/sub/')) {
      const key = `${portal.host}|${str(sim.get['CHANNEL_ID'])}`;
      const answer = await pushpull.subscribe(key, (cancel) => res.on('close', cancel));
      return send(res, answer);
    }
    if (path === '/bitrix/pub/' || path.startsWith('/bitrix/pub/')) {
      return send(res, pushpull.publish(`${portal.host}|${str(sim.get['CHANNEL_ID'])}`, body.toString('utf8')));
    }
    if (path === '/oauth/token/' || path === '/oauth/token') return send(res, handleTokenEndpoint(portal, sim.request));
    const tail = restTail(path);
    if (tail !== undefined) return send(res, handleRest(portal, sim, settings, tail));
    if (path === '/bitrix/tools/captcha.php') return send(res, captchaImage());
    if (STATIC_PREFIXES.some((p) => path.startsWith(p)) || path === '/favicon.ico') return send(res, staticFile(path));
    return send(res, await handlePage(portal, sim, settings));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // Never crash on bad input: a failure here is the simulator's bug, answered as PHP's fatal error.
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, headers: pageHeaders(), body: '' });
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    remember(req, Buffer.alloc(0), false);
    const path = normalisePath(splitTarget(req.url ?? '/').rawPath);
    const portal = portals.get(hostKey(req.headers.host));
    const isWs = path === '/bitrix/subws' || path.startsWith('/bitrix/subws/');
    if (!portal || !isWs || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    pushpull.upgrade(req, socket, head);
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    received,
    clearReceived() {
      received.length = 0;
    },
    mailbox(portalName, login) {
      const portal = portals.get(hostKey(portalName));
      const user = portal?.userByLogin(login);
      return user ? portal!.mailbox.get(user.login) : undefined;
    },
    portal(host) {
      return portals.get(hostKey(host));
    },
    close() {
      pushpull.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The /__sim/ endpoints: readiness for scripts and the mailbox for the demo's curl users. */
function simEndpoint(rawPath: string, rawQuery: string, portals: Map<string, Portal>): SimResponse {
  const json = (status: number, v: unknown): SimResponse => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(v),
  });
  if (rawPath === '/__sim/healthz') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'ok' };
  if (rawPath === '/__sim/mailbox') {
    const q = new URLSearchParams(rawQuery);
    const portalName = q.get('portal') ?? '';
    const login = q.get('login') ?? '';
    const portal = portals.get(hostKey(portalName));
    if (!portal) return json(404, { error: 'portal_not_found', portal: portalName });
    const user = portal.userByLogin(login);
    const checkword = user ? portal.mailbox.get(user.login) : undefined;
    if (!user || checkword === undefined) return json(404, { error: 'no_mail', portal: portal.host, login });
    return json(200, { portal: portal.host, login: user.login, checkword });
  }
  return json(404, { error: 'not_found' });
}

/** Host header → portal key: lowercase, port stripped (IPv6 literals keep their brackets), trailing dot stripped. */
export function hostKey(host: string | undefined): string {
  let s = (host ?? '').trim().toLowerCase();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end !== -1) s = s.slice(0, end + 1);
  } else {
    const colon = s.indexOf(':');
    if (colon !== -1) s = s.slice(0, colon);
  }
  return s.replace(/\.+$/, '');
}

/** Splits a request target (origin-form or absolute-form) into its raw path and raw query. */
function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  let t = target;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  const hash = t.indexOf('#');
  if (hash !== -1) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q === -1 ? { rawPath: t, rawQuery: '' } : { rawPath: t.slice(0, q), rawQuery: t.slice(q + 1) };
}

/**
 * The path as nginx hands it to the portal: percent-decoded (a broken escape stays literal), `//`
 * merged, `.` and `..` resolved (never above the root), the trailing slash kept.
 */
export function normalisePath(rawPath: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(rawPath, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const hex = c === 0x25 && i + 2 < src.length ? String.fromCharCode(src[i + 1]!, src[i + 2]!) : '';
    if (hex && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(c);
  }
  const decoded = Buffer.from(bytes).toString('utf8');
  const out: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const trailing = /\/(\.{1,2})?$/.test(decoded) && out.length > 0;
  return '/' + out.join('/') + (trailing ? '/' : '');
}

/**
 * `aborted`: the client went away before the body was complete. A real portal never runs a script for
 * such a request (nginx in front reads the whole body before passing it on), so neither do we; it is
 * recorded, marked, and dropped.
 */
function readBody(req: http.IncomingMessage, cap: number): Promise<{ body: Buffer; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      req.resume(); // discard; the answer closes the connection
      resolve({ body: Buffer.alloc(0), tooLarge: true, aborted: false });
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (tooLarge: boolean, aborted = false): void => {
      if (done) return;
      done = true;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks, total), tooLarge, aborted });
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > cap) {
        chunks.length = 0;
        finish(true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(false, true));
    req.on('aborted', () => finish(false, true));
  });
}

function send(res: http.ServerResponse, r: SimResponse): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.end(r.body);
}
