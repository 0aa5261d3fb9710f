/**
 * PHP's own parsing of request variables (php-src `main/php_variables.c`: `php_default_treat_data`,
 * `add_post_var` and `php_register_variable_ex`, PHP 8), so that we see exactly the keys the portal
 * sees in `$_GET`, `$_POST`, `$_COOKIE` and `$_REQUEST`:
 * - pairs split on `&` (arg_separator.input; `;` too when a portal configures it), empty pairs skipped,
 *   a pair without `=` has the value '';
 * - names and values are URL-decoded (`+` is a space, `%XX` a byte, a bad `%` stays literal); cookie
 *   names are not decoded and cookie values keep `+`;
 * - a name is a C string: it ends at the first NUL byte;
 * - leading spaces of a name are dropped; then every ` ` and `.` becomes `_` up to the first `[`;
 * - `a[…]` with a `]` somewhere after the `[` makes `a` an array (kept here as the marker `'[array]'`,
 *   which is non-empty as PHP's `!empty()` and `<> ''` see an array); a `[` with no `]` after it
 *   becomes `_` and the rest of the name has ` `, `.` and `[` turned into `_` (`AUTH[FORM` is
 *   `AUTH_FORM`);
 * - an empty name is dropped; a name that mangling turned into `__Host-…`/`__Secure-…` is dropped;
 * - the last value wins (the first one for cookies);
 * - PHP stops after max_input_vars pairs (1000 by default; Bitrix asks for 10 000): we read everything,
 *   and `lateMatteringKey` tells when a key the classifier reads comes past the first 1000 pairs, where
 *   whether the portal sees it depends on its php.ini (the request is then refused).
 */
import { bytesToText, hexValue, stringToBytes } from './bytes';

/** What a top-level key holds when PHP made it an array. */
export const ARRAY_MARKER = '[array]';

/** PHP's default max_input_vars: no portal reads fewer pairs than this (Bitrix requires 10 000). */
export const PHP_MAX_INPUT_VARS_FLOOR = 1000;

/** The top-level keys the classifier reads: where PHP's reading of them is uncertain, the request is refused. */
export const MATTERING_KEYS: ReadonlySet<string> = new Set([
  'AUTH_FORM', 'TYPE', 'USER_LOGIN', 'USER_PASSWORD', 'USER_EMAIL', 'USER_PHONE_NUMBER', 'USER_OTP', 'USER_CHECKWORD',
  'USER_CONFIRM_PASSWORD', 'USER_CURRENT_PASSWORD', 'bx_hit_hash', 'auth', 'access_token', 'aplogin', 'ap', 'method',
  'client_id', 'code', 'refresh_token',
]);

export interface NormalisedKey {
  readonly key: string;
  readonly isArray: boolean;
}

const NEEDS_DECODE_PLUS = /[%+\x80-\uffff]/;
const NEEDS_DECODE_RAW = /[%\x80-\uffff]/;

/** PHP's `urldecode` (`plusAsSpace`) or `rawurldecode`, bytes → text (UTF-8, else latin1). */
export function phpUrlDecode(s: string, plusAsSpace = true): string {
  if (!(plusAsSpace ? NEEDS_DECODE_PLUS : NEEDS_DECODE_RAW).test(s)) return s;
  const src = stringToBytes(s);
  const out = Buffer.allocUnsafe(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x2b && plusAsSpace) {
      out[j++] = 0x20;
    } else if (c === 0x25 && i + 2 < src.length && hexValue(src[i + 1]!) >= 0 && hexValue(src[i + 2]!) >= 0) {
      out[j++] = hexValue(src[i + 1]!) * 16 + hexValue(src[i + 2]!);
      i += 2;
    } else {
      out[j++] = c;
    }
  }
  return bytesToText(out.subarray(0, j));
}

/** The top-level key PHP registers for a (decoded) variable name, or null when PHP drops it. */
export function normaliseKey(decodedName: string): NormalisedKey | null {
  let name = decodedName;
  const nul = name.indexOf('\0');
  if (nul >= 0) name = name.slice(0, nul);
  let start = 0;
  while (start < name.length && name.charCodeAt(start) === 0x20) start++;
  const preMangled = start === 0 ? name : name.slice(start);
  const bracket = preMangled.indexOf('[');
  const base = (bracket < 0 ? preMangled : preMangled.slice(0, bracket)).replace(/[ .]/g, '_');
  if (base === '') return null;
  let key = base;
  let isArray = false;
  if (bracket >= 0) {
    if (preMangled.indexOf(']', bracket + 1) >= 0) {
      isArray = true;
    } else {
      key = `${base}_${preMangled.slice(bracket + 1).replace(/[ .[]/g, '_')}`;
    }
  }
  if (isForbiddenMangling(key, preMangled)) return null;
  return { key, isArray };
}

/** php_is_forbidden_variable_name: mangling must not forge a `__Host-`/`__Secure-` prefix. */
function isForbiddenMangling(key: string, preMangled: string): boolean {
  for (const prefix of ['__Host-', '__Secure-']) {
    if (key.startsWith(prefix) && !preMangled.startsWith(prefix)) return true;
  }
  return false;
}

/** php_register_variable_ex on a flat map of top-level keys. */
export function registerVariable(
  target: Map<string, string>,
  decodedName: string,
  value: string,
  opts: { firstWins?: boolean } = {},
): void {
  const k = normaliseKey(decodedName);
  if (k === null) return;
  if (opts.firstWins && !k.isArray && target.has(k.key)) return;
  target.set(k.key, k.isArray ? ARRAY_MARKER : value);
}

/**
 * `$_GET` from a raw query string (also `$_POST` from an urlencoded body: PHP's post handler splits
 * on `&` only, which is the default here).
 */
export function parseQuery(qs: string, separators = '&'): Map<string, string> {
  const out = new Map<string, string>();
  if (qs === '') return out;
  const pairs = separators === '&' ? qs.split('&') : qs.split(new RegExp(`[${escapeClass(separators)}]`));
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    registerVariable(out, phpUrlDecode(name), phpUrlDecode(value));
  }
  return out;
}

/**
 * A key the classifier reads that comes after the first PHP_MAX_INPUT_VARS_FLOOR pairs (every piece
 * between separators counts, empty ones too, so that we never count fewer than PHP does), or undefined.
 */
export function lateMatteringKey(qs: string, separators = '&'): string | undefined {
  if (qs.length < PHP_MAX_INPUT_VARS_FLOOR) return undefined;
  const pairs = separators === '&' ? qs.split('&') : qs.split(new RegExp(`[${escapeClass(separators)}]`));
  for (let i = PHP_MAX_INPUT_VARS_FLOOR; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    const k = normaliseKey(phpUrlDecode(eq < 0 ? pair : pair.slice(0, eq)));
    if (k !== null && MATTERING_KEYS.has(k.key)) return k.key;
  }
  return undefined;
}

/** `$_COOKIE` from a Cookie header: `;`-separated, names raw, values rawurldecoded, first wins. */
export function parseCookieVars(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const piece of header.split(';')) {
    const pair = piece.replace(/^[ \t\n\r\v\f]+/, '');
    if (pair === '' || pair.charCodeAt(0) === 0x3d) continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : phpUrlDecode(pair.slice(eq + 1), false);
    registerVariable(out, name, value, { firstWins: true });
  }
  return out;
}

/** `$_REQUEST` with request_order "GP": the body (post) wins over the query. */
export function mergeRequest(
  query: ReadonlyMap<string, string>,
  post: ReadonlyMap<string, string> | undefined,
): Map<string, string> {
  const merged = new Map(query);
  if (post) for (const [k, v] of post) merged.set(k, v);
  return merged;
}

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}
