/**
 * Which REST entry point a canonical path reaches, and what its tail says.
 *
 * From the portal's code (modules/rest):
 * - urlrewrite sends `#^/rest/#` to `/bitrix/services/rest/index.php`, which runs the REST provider
 *   with SEF folder `/rest/` and the URL templates `#method#`, `#method#/`, `#aplogin#/#ap#/#method#`
 *   and `#aplogin#/#ap#/#method#/` (each `#…#` is `[^/]+?`; a template ending in `/` gets
 *   `index.php` appended, so `/rest/user.current/` works);
 * - when the path names no method (or user and code), the component takes `method`, `aplogin` and
 *   `ap` from `$_REQUEST` (CComponentEngine::InitComponentVariables);
 * - the method is lower-cased, and a last `.json`/`.xml` suffix picks the transport;
 * - REST v3 uses the same shapes under `/rest/api/`; custom installs add `/local/rest/`.
 * The SEF folder check is case-sensitive in PHP, but a case-insensitive file system or a layer in
 * front can route `/REST/` there too, so prefixes are compared case-insensitively.
 */
import type { RestCall } from '../request';
import { ARRAY_MARKER } from './php-params';

export type RestEntry = RestCall['entry'];

export interface RestRoute {
  readonly entry: RestEntry;
  /** Segments after the entry prefix, case kept. */
  readonly tail: readonly string[];
}

export interface RestTarget {
  readonly call: RestCall;
  readonly webhook?: { readonly userId: string; readonly code: string };
}

/** Cheap first test: could this path be a REST entry at all? */
const REST_PREFIX = /^\/(?:rest|local\/rest|bitrix\/(?:services|modules)\/rest)(?:\/|$)/i;

export function findRestRoute(path: string): RestRoute | undefined {
  if (!REST_PREFIX.test(path)) return undefined;
  const segments = path.split('/').filter((s) => s !== '');
  const first = segments[0]!.toLowerCase();
  if (first === 'rest') {
    if (segments[1]?.toLowerCase() === 'api') return { entry: 'rest_api_v3', tail: segments.slice(2) };
    return { entry: 'rest', tail: segments.slice(1) };
  }
  if (first === 'local') return { entry: 'local_rest', tail: segments.slice(2) };
  // /bitrix/services/rest/index.php[/…] (and the module's own copy under /bitrix/modules/rest/…,
  // reachable on a misconfigured server): the method comes from ?method= or, best effort, PATH_INFO.
  const tail = segments.slice(3);
  if (segments[1]!.toLowerCase() === 'modules') {
    const at = tail.findIndex((s) => s.toLowerCase() === 'index.php');
    return { entry: 'services_index', tail: at >= 0 ? tail.slice(at + 1) : [] };
  }
  // Without `index.php` the path names no script, so nothing after `rest/` is a method.
  return { entry: 'services_index', tail: tail[0]?.toLowerCase() === 'index.php' ? tail.slice(1) : [] };
}

/** Method, format and webhook credentials from the route and `$_REQUEST`. */
export function readRestTarget(route: RestRoute, request: ReadonlyMap<string, string>): RestTarget {
  let tail = route.tail;
  if (tail.length > 0 && tail[tail.length - 1]!.toLowerCase() === 'index.php') tail = tail.slice(0, -1);
  let methodSegment: string | undefined;
  let webhook: { userId: string; code: string } | undefined;
  // The services index reached by PATH_INFO (`/bitrix/services/rest/index.php/1/<code>/user.current`)
  // carries a webhook the same way `/rest/` does: read it so (counted, blocked, its code redacted).
  if (tail.length >= 2) {
    webhook = { userId: phpIntval(tail[0]!), code: tail[1]! };
    methodSegment = tail[2];
  } else if (route.entry !== 'services_index' || tail.length === 1) {
    // The services index: only a lone PATH_INFO segment passes for a method name; a longer tail
    // (`/1/<code>/<method>`) holds a code, which must not become a logged method.
    methodSegment = tail[0];
  }
  if (webhook === undefined) {
    const userId = plain(request.get('aplogin'));
    const code = plain(request.get('ap'));
    if (userId !== undefined && code !== undefined) webhook = { userId: phpIntval(userId), code };
  }
  // The services index names no method in its own path: there `$_REQUEST['method']` is what the
  // portal reads, and a PATH_INFO tail is only our best guess.
  const fromQuery = plain(request.get('method'));
  const named = route.entry === 'services_index' ? fromQuery ?? methodSegment : methodSegment ?? fromQuery;
  const { method, format } = splitFormat((named ?? '').toLowerCase());
  const call: RestCall = { method, format, entry: route.entry };
  return webhook === undefined ? { call } : { call, webhook };
}

function splitFormat(method: string): { method: string; format: 'json' | 'xml' } {
  const dot = method.lastIndexOf('.');
  if (dot > 0) {
    const suffix = method.slice(dot + 1);
    if (suffix === 'json' || suffix === 'xml') return { method: method.slice(0, dot), format: suffix };
  }
  return { method, format: 'json' };
}

/**
 * The webhook's user id as the portal reads it: PHP's `(int)` of the string (`intval`), so `01`, `+1`,
 * ` 1`, `1abc` and `1.9` are all user 1, and one webhook has one key whatever the spelling. PHP 8:
 * leading whitespace, a sign, digits (a leading-numeric prefix is enough); a decimal or exponent form
 * is truncated; overflow saturates at PHP_INT_MAX/MIN; anything else is 0.
 */
export function phpIntval(text: string): string {
  const m = /^[ \t\n\r\v\f]*([+-]?)(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text);
  if (!m) return '0';
  const [, sign, number, exponent] = m as unknown as [string, string, string, string | undefined];
  if (exponent === undefined && !number.includes('.')) {
    const digits = number.replace(/^0+(?=\d)/, '');
    const value = BigInt(`${sign}${digits}`);
    return clampInt64(value).toString();
  }
  const f = Number(`${sign}${number}${exponent ?? ''}`);
  if (!Number.isFinite(f)) return f > 0 ? INT64_MAX.toString() : INT64_MIN.toString();
  return clampInt64(BigInt(Math.trunc(f))).toString();
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

function plain(v: string | undefined): string | undefined {
  return v === undefined || v === ARRAY_MARKER ? undefined : v;
}
