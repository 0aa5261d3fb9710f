/**
 * How PHP turns a request into $_GET, $_POST and $_REQUEST. The portal's login handler reads
 * $_REQUEST, so the simulator must read a request exactly as PHP would, quirks included: a gateway
 * that reads it differently can be bypassed.
 *
 * - Names: leading spaces dropped; `.` and space in the base name become `_`; `a[b][]` builds arrays;
 *   an unmatched first `[` becomes `_` (PHP 8).
 * - Values: urldecode (`+` is a space; a broken `%` escape stays as it is). Last one wins.
 * - $_POST is filled only for method POST with an urlencoded or multipart body (PHP's SAPI reads the
 *   body for POST only); files go to $_FILES, not $_POST.
 * - $_REQUEST = $_GET then $_POST (request_order "GP"): the body wins. Cookies are not in it.
 */
import busboy from 'busboy';
import { Readable } from 'node:stream';

export type PhpValue = string | PhpArray;
export interface PhpArray {
  [key: string]: PhpValue;
}

/** PHP's max_input_vars default: variables past it are dropped. */
const MAX_INPUT_VARS = 1000;
/** PHP's max_input_nesting_level default. */
const MAX_NESTING = 64;

/** A null-prototype object, so that a variable named `__proto__` is just a key, as in PHP. */
export function phpArray(): PhpArray {
  return Object.create(null) as PhpArray;
}

export function str(v: PhpValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** urldecode as PHP does it: `+` is a space, invalid `%` escapes are kept literally. */
export function phpUrlDecode(s: string): string {
  if (!/[%+]/.test(s)) return s;
  const bytes: number[] = [];
  const src = Buffer.from(s, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x2b) bytes.push(0x20);
    else if (c === 0x25 && i + 2 < src.length && isHex(src[i + 1]!) && isHex(src[i + 2]!)) {
      bytes.push(parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16));
      i += 2;
    } else bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Splits a raw variable name into PHP's base name and array index path. null = PHP ignores it. */
export function phpVarName(raw: string): { base: string; path: string[] } | null {
  const s = raw.replace(/^ +/, '');
  const open = s.indexOf('[');
  let base = (open === -1 ? s : s.slice(0, open)).replace(/[ .]/g, '_');
  const path: string[] = [];
  let rest = open === -1 ? '' : s.slice(open);
  while (rest.startsWith('[') && path.length < MAX_NESTING) {
    const close = rest.indexOf(']');
    if (close === -1) {
      // Not an index: PHP un-terminates the name and keeps the rest with `[`, `.` and space as `_`.
      if (path.length === 0) base = base + '_' + rest.slice(1).replace(/[ .[]/g, '_');
      break;
    }
    path.push(rest.slice(1, close));
    rest = rest.slice(close + 1); // PHP ignores anything after `]` that is not another `[`
  }
  if (base === '') return null;
  return { base, path };
}

/** Assigns one variable into a PHP array the way php_register_variable_ex does. */
export function phpAssign(target: PhpArray, rawName: string, value: string): void {
  const name = phpVarName(rawName);
  if (!name) return;
  const keys = [name.base, ...name.path];
  let node: PhpArray = target;
  for (let i = 0; i < keys.length; i++) {
    let key = keys[i]!;
    if (key === '' && i > 0) key = String(nextIndex(node));
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    if (typeof child === 'object') node = child;
    else {
      const fresh = phpArray();
      node[key] = fresh;
      node = fresh;
    }
  }
}

function nextIndex(node: PhpArray): number {
  let max = -1;
  for (const k of Object.keys(node)) if (/^(0|[1-9]\d*)$/.test(k)) max = Math.max(max, Number(k));
  return max + 1;
}

/** parse_str / the query-string reader. */
export function parsePhpQuery(qs: string): PhpArray {
  const out = phpArray();
  let count = 0;
  for (const pair of qs.split('&')) {
    if (pair === '') continue;
    if (++count > MAX_INPUT_VARS) break;
    const eq = pair.indexOf('=');
    const k = phpUrlDecode(eq === -1 ? pair : pair.slice(0, eq));
    const v = eq === -1 ? '' : phpUrlDecode(pair.slice(eq + 1));
    phpAssign(out, k, v);
  }
  return out;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** $_POST for this request. Never throws: a malformed body gives what PHP would give, usually nothing. */
export async function parsePhpPost(method: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<PhpArray> {
  if (method !== 'POST' || body.length === 0) return phpArray();
  const ct = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
  const type = mediaType(ct);
  if (type === 'application/x-www-form-urlencoded') return parsePhpQuery(body.toString('utf8'));
  if (type === 'multipart/form-data') return parseMultipart(ct!, body);
  return phpArray();
}

function parseMultipart(contentType: string, body: Buffer): Promise<PhpArray> {
  return new Promise((resolve) => {
    const out = phpArray();
    let count = 0;
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: { 'content-type': contentType }, limits: { fields: MAX_INPUT_VARS, fieldSize: 8 * 1024 * 1024 } });
    } catch {
      resolve(phpArray()); // no boundary, or not multipart after all
      return;
    }
    bb.on('field', (name, value) => {
      if (++count <= MAX_INPUT_VARS) phpAssign(out, name, value);
    });
    bb.on('file', (_name, stream) => stream.resume()); // files go to $_FILES, never $_POST
    bb.on('close', () => resolve(out));
    // PHP keeps the fields parsed before the damage.
    bb.on('error', () => resolve(out));
    Readable.from([body]).pipe(bb);
  });
}

/** $_REQUEST: $_GET, then $_POST over it (request_order "GP"), arrays merged key by key (php_autoglobal_merge). */
export function phpRequest(get: PhpArray, post: PhpArray): PhpArray {
  const out = Object.assign(phpArray(), get);
  for (const [k, v] of Object.entries(post)) {
    const prev = out[k];
    out[k] = typeof prev === 'object' && typeof v === 'object' ? phpRequest(prev, v) : v;
  }
  return out;
}

/** $_COOKIE: `name=value; name2=value2`, names normalised like any PHP variable, values urldecoded. */
export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const raw = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of raw.split(/;\s*/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = phpVarName(part.slice(0, eq).trim());
    // PHP keeps the first cookie of a name (the most specific path comes first).
    if (name && name.path.length === 0 && !(name.base in out)) out[name.base] = phpUrlDecode(part.slice(eq + 1).trim());
  }
  return out;
}
