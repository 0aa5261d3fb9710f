/**
 * Shared tools of the security-proof tests (issue 7): raw HTTP over a socket (for requests no client
 * library will send), the demo secrets, and the one check every bypass and fuzz test makes on what
 * reached the portal: nothing that carries the blocked user's login or password, and no complete REST
 * call while the portal's REST is blocked.
 *
 * The "what reached the portal" check reads each recorded request the way PHP would ($_GET, $_POST,
 * $_REQUEST, the Basic header), using the simulator's own PHP reader, AND greps the raw bytes for the
 * password in every encoding a layer could decode: either finding is a leak.
 */
import net from 'node:net';
import { request } from 'undici';
import { userId } from '../../gateway/lockout/subjects';
import { normalisePath, type RecordedRequest } from '../../portal-sim/server';
import { parsePhpPost, parsePhpQuery, phpRequest, str } from '../../portal-sim/php-request';
import { TEST_SECRET } from '../helpers/processes';
import type { Stack } from '../helpers/stack';

export const BOB_PASSWORD = 'Demo-Bob-2024!';
export const BOB_BASIC = Buffer.from(`bob:${BOB_PASSWORD}`).toString('base64');
export const ADMIN_HOOK = 'demoadminhook001';
export const BOB_HOOK = 'demobobhook00002';
export const APP_TOKEN = 'demoaccesstoken000000000000000000000000000000001';
export const FAILURE_TEXT = 'Incorrect login or password';

export const bobId = (portal = 'localhost'): string => userId(TEST_SECRET, portal, 'bob');

/** Blocks bob and the portal's REST, as an operator would, and waits until the store has them. */
export async function blockBobAndRest(s: Stack): Promise<void> {
  const a = s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: bobId(), login: 'bob', actor: 'operator:security-test', reason: 'bypass table' });
  const b = s.gw.lockout.block({ portal: 'localhost', kind: 'portal_rest', subject: '', actor: 'operator:security-test', reason: 'bypass table' });
  await Promise.all([a.durable, b.durable]);
}

// ---------------------------------------------------------------------------------------------------
// Raw HTTP

export interface RawReply {
  /** 0 when nothing parseable came back (connection closed or timed out). */
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  /** Everything the socket received, latin1. */
  raw: string;
  /** The socket was still open, with no complete answer, when the timeout struck. */
  timedOut: boolean;
  ms: number;
}

export interface RawRequest {
  method?: string;
  target: string;
  version?: '1.0' | '1.1';
  /** In order; a Host header is added (localhost) unless one is given (use null to send none). */
  headers?: [string, string][];
  host?: string | null;
  body?: string | Buffer;
  /** Add Content-Length for the body (default true when there is a body and no Transfer-Encoding). */
  contentLength?: boolean;
}

export function buildRaw(r: RawRequest): Buffer {
  const method = r.method ?? 'GET';
  const lines = [`${method} ${r.target} HTTP/${r.version ?? '1.1'}`];
  const headers = [...(r.headers ?? [])];
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  if (r.host !== null && !has('host')) headers.unshift(['Host', r.host ?? 'localhost']);
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  if (body !== undefined && (r.contentLength ?? !has('transfer-encoding')) && !has('content-length')) headers.push(['Content-Length', String(body.length)]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

/** Sends bytes, reads until the server closes (or the answer is complete), parses the first answer. */
export function rawExchange(port: number, bytes: Buffer | string, opts: { timeoutMs?: number; head?: boolean } = {}): Promise<RawReply> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const all = Buffer.concat(chunks);
      resolve({ ...parseResponse(all, opts.head === true), raw: all.toString('latin1'), timedOut, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish(true), opts.timeoutMs ?? 10_000);
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks), opts.head === true)) finish(false);
    });
    sock.on('end', () => finish(false));
    sock.on('close', () => finish(false));
    sock.on('error', () => finish(false));
    sock.write(bytes);
  });
}

export function raw(port: number, r: RawRequest, opts: { timeoutMs?: number } = {}): Promise<RawReply> {
  return rawExchange(port, buildRaw(r), { ...opts, head: (r.method ?? 'GET').toUpperCase() === 'HEAD' });
}

function headerEnd(buf: Buffer): number {
  return buf.indexOf('\r\n\r\n');
}

function parseHead(text: string): { status: number; headers: Record<string, string[]> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const k = line.slice(0, colon).trim().toLowerCase();
    (headers[k] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status: m ? Number(m[1]) : 0, headers };
}

function dechunk(buf: Buffer): { body: Buffer; done: boolean } {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return { body: Buffer.concat(out), done: false };
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(out), done: true };
    if (size === 0) return { body: Buffer.concat(out), done: true };
    if (eol + 2 + size > buf.length) {
      out.push(buf.subarray(eol + 2));
      return { body: Buffer.concat(out), done: false };
    }
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

function complete(buf: Buffer, head: boolean): boolean {
  const end = headerEnd(buf);
  if (end < 0) return false;
  const { status, headers } = parseHead(buf.subarray(0, end).toString('latin1'));
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  const rest = buf.subarray(end + 4);
  if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) return dechunk(rest).done;
  const cl = headers['content-length']?.[0];
  if (cl !== undefined) return rest.length >= Number(cl);
  return false; // read to close
}

function parseResponse(buf: Buffer, head: boolean): { status: number; headers: Record<string, string[]>; body: Buffer } {
  const end = headerEnd(buf);
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0) };
  const { status, headers } = parseHead(buf.subarray(0, end).toString('latin1'));
  const rest = buf.subarray(end + 4);
  if (head) return { status, headers, body: Buffer.alloc(0) };
  if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) return { status, headers, body: dechunk(rest).body };
  const cl = headers['content-length']?.[0];
  return { status, headers, body: cl !== undefined ? rest.subarray(0, Number(cl)) : rest };
}

// ---------------------------------------------------------------------------------------------------
// What reached the portal

/** Percent-decodes (and `+` → space) until stable, bounded. */
export function decodeAll(s: string): string {
  let cur = s;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur.replace(/\+/g, ' '));
    } catch {
      next = cur.replace(/\+/g, ' ').replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

/** The REST entry points a layer in front of PHP could route to, after any decoding. */
const REST_ENTRY = /^\/(?:rest|local\/rest|bitrix\/(?:services|modules)\/rest)(?:[/.;\s]|$)/i;

function pathOf(url: string): string {
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  const t = abs ? url.slice(abs[0].length) || '/' : url;
  const q = t.search(/[?#]/);
  return q < 0 ? t : t.slice(0, q);
}

/** Is this recorded request a REST call the portal would have run (any layer's reading of the path)? */
export function reachesRest(r: RecordedRequest): boolean {
  if (r.aborted) return false;
  const raw = pathOf(r.url);
  const candidates = [normalisePath(raw), normalisePath(decodeAll(raw).replace(/\\/g, '/').replace(/\0/g, ''))];
  return candidates.some((p) => REST_ENTRY.test(p.replace(/\/+/g, '/')));
}

const PASSWORD_FORMS = [BOB_PASSWORD, encodeURIComponent(BOB_PASSWORD), BOB_PASSWORD.replace('!', '%21'), BOB_BASIC, 'Demo-Bob-2024'];

/**
 * What in these recorded requests carries bob's credentials or a REST call (when restBlocked).
 * Returns one line per problem; [] means nothing leaked.
 */
export async function leaks(
  received: readonly RecordedRequest[],
  opts: { restBlocked?: boolean; user?: string; password?: string; /** false: only what the portal's login handler would read (AUTH_FORM set, or Basic) counts. Default true: any trace of the password. */ strict?: boolean } = {},
): Promise<string[]> {
  const strict = opts.strict ?? true;
  const user = (opts.user ?? 'bob').toLowerCase();
  const password = opts.password ?? BOB_PASSWORD;
  const forms = opts.password === undefined ? PASSWORD_FORMS : [password, encodeURIComponent(password)];
  const problems: string[] = [];
  for (const r of received) {
    const label = `${r.method} ${r.url.slice(0, 120)}${r.aborted ? ' (aborted)' : ''}`;
    const auth = Array.isArray(r.headers.authorization) ? r.headers.authorization.join(',') : String(r.headers.authorization ?? '');
    const rawText = `${r.url}\n${r.body}\n${auth}\n${String(r.headers.cookie ?? '')}`;
    const decoded = decodeAll(rawText);
    const q = r.url.indexOf('?');
    const get = parsePhpQuery(q < 0 ? '' : r.url.slice(q + 1));
    const post = r.aborted ? parsePhpQuery('') : await parsePhpPost(r.method.toUpperCase(), r.headers, Buffer.from(r.body, isBinary(r.body) ? 'latin1' : 'utf8'));
    const R = phpRequest(get, post);
    // The prolog reads a password only for a non-empty AUTH_FORM, and never for a recovery (SEND_PWD,
    // let through by design) or a CHANGE_PWD by anything but POST (every core ignores it).
    const type = str(R['TYPE']);
    const loginHandlerRuns = R['AUTH_FORM'] !== undefined && R['AUTH_FORM'] !== '' && type !== 'SEND_PWD' && !(type === 'CHANGE_PWD' && r.method.toUpperCase() !== 'POST');
    if (strict || loginHandlerRuns) {
      for (const f of forms) {
        if (rawText.includes(f) || decoded.includes(password)) {
          problems.push(`${label}: carries the password (${f === BOB_BASIC ? 'Basic' : 'text'})`);
          break;
        }
      }
    }
    // Basic credentials, decoded as the portal would.
    const b = /^\s*basic\s+(\S+)/i.exec(auth);
    if (b) {
      const pair = Buffer.from(b[1]!, 'base64').toString('utf8');
      if (pair.split(':')[0]!.trim().toLowerCase() === user) problems.push(`${label}: Basic login ${user}`);
    }
    if (r.aborted) continue;
    // $_REQUEST as PHP reads it: is it a login of the user?
    if (!strict && !loginHandlerRuns) {
      if (opts.restBlocked && reachesRest(r)) problems.push(`${label}: a REST call reached the portal`);
      continue;
    }
    // Recovery (TYPE=SEND_PWD) is always let through by design: the portal mails the real owner.
    const recovery = str(R['TYPE']) === 'SEND_PWD';
    for (const key of recovery ? [] : ['USER_LOGIN', 'USER_EMAIL']) {
      const v = str(R[key]).trim().toLowerCase();
      if (v === user || (key === 'USER_EMAIL' && v === `${user}@demo.example`)) problems.push(`${label}: ${key}=${user} reached the portal`);
    }
    if (opts.restBlocked && reachesRest(r)) problems.push(`${label}: a REST call reached the portal`);
  }
  return problems;
}

function isBinary(s: string): boolean {
  // The recorder keeps non-UTF-8 bodies as latin1; a rough test is enough to re-read them as bytes.
  return /[\u0080-\u00ff]/.test(s) && !/[\u0100-\uffff]/.test(s);
}

/** Does this set of cookies (name=value) give a session of the named user at the portal itself? */
export async function sessionOf(simUrl: string, setCookies: readonly string[], host = 'localhost'): Promise<string | null> {
  const cookie = setCookies.map((c) => c.split(';')[0]!).filter((c) => !/=deleted$/.test(c)).join('; ');
  if (cookie === '') return null;
  const res = await request(`${simUrl}/crm/`, { headers: { host, cookie } });
  const html = await res.body.text();
  const m = /<span class="user-name">([^<]*)<\/span>/.exec(html);
  return m ? m[1]! : null;
}

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(a.length / 2);
  return a.length % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

export function multipartBody(fields: [string, string][], boundary = '----pcsec7b0undary', opts: { quote?: boolean; file?: boolean } = {}): { contentType: string; body: string } {
  const q = opts.quote === false ? '' : '"';
  let body = '';
  for (const [k, v] of fields) body += `--${boundary}\r\nContent-Disposition: form-data; name=${q}${k}${q}\r\n\r\n${v}\r\n`;
  if (opts.file) body += `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;
  body += `--${boundary}--\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}
