/**
 * The request target, read once: its form, the authority of an absolute-form target, the raw path and
 * the raw query. Classification, counting and forwarding all use this one reading (DESIGN "one parse"):
 * the path and query go to the portal byte for byte as the client sent them (nginx and PHP then read
 * them the way canonical-path.ts and php-params.ts model), and an absolute-form authority is forwarded
 * exactly as it was classified.
 *
 * Nothing is decoded or normalised here. A target that a forwarding normaliser (WHATWG URL, undici)
 * would read differently from nginx is refused instead of guessed at: an absolute-form authority that
 * is empty, carries userinfo, percent-escapes or anything outside nginx's host grammar
 * (`[A-Za-z0-9._-]`, or an IPv6 literal, then an optional numeric port); a scheme other than http(s);
 * an origin-form target that does not start with `/`.
 */
export interface SplitTarget {
  /** Host of an absolute-form target (`http://h:8080/x` → `h:8080`), exactly as sent (userinfo cut). */
  readonly absoluteHost?: string;
  readonly rawPath: string;
  /** Everything after the first `?` ('' when none). A `#` is left in: see classify.ts. */
  readonly rawQuery: string;
}

export interface RequestTarget extends SplitTarget {
  readonly form: 'origin' | 'absolute' | 'asterisk';
  /** The target sent upstream: `rawPath` and `?rawQuery` as received (origin-form), or `*`. */
  readonly upstreamPath: string;
  /** Set when the target must be refused (400): why. */
  readonly invalid?: string;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;
const HTTP_SCHEME = /^https?:\/\//i;
/** nginx's request-line host grammar (plus `_`, which its Host check accepts), then a numeric port. */
const STRICT_AUTHORITY = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

export function parseTarget(target: string): RequestTarget {
  if (target.charCodeAt(0) === 0x2f) return { form: 'origin', ...splitQuery(target), upstreamPath: target };
  if (target === '*') return { form: 'asterisk', rawPath: '*', rawQuery: '', upstreamPath: '*' };
  if (!ABSOLUTE_FORM.test(target)) return refused(target, 'target_not_origin_form');
  const afterScheme = target.indexOf('//') + 2;
  let end = target.length;
  for (const stop of ['/', '?', '#']) {
    const at = target.indexOf(stop, afterScheme);
    if (at >= 0 && at < end) end = at;
  }
  const authority = target.slice(afterScheme, end);
  let rest = target.slice(end);
  if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
  // Userinfo is refused below; the host after it still names the portal in the log line.
  const split = { absoluteHost: authority.slice(authority.lastIndexOf('@') + 1), ...splitQuery(rest) };
  if (!HTTP_SCHEME.test(target)) return { form: 'absolute', ...split, upstreamPath: rest, invalid: 'target_scheme' };
  if (!STRICT_AUTHORITY.test(authority)) return { form: 'absolute', ...split, upstreamPath: rest, invalid: 'target_authority' };
  return { form: 'absolute', ...split, upstreamPath: rest };
}

/** The path and query of a target (origin- or absolute-form), as parseTarget reads them. */
export function splitTarget(target: string): SplitTarget {
  const t = parseTarget(target);
  return t.absoluteHost === undefined ? { rawPath: t.rawPath, rawQuery: t.rawQuery } : { absoluteHost: t.absoluteHost, rawPath: t.rawPath, rawQuery: t.rawQuery };
}

function splitQuery(rest: string): { rawPath: string; rawQuery: string } {
  const q = rest.indexOf('?');
  return q < 0 ? { rawPath: rest, rawQuery: '' } : { rawPath: rest.slice(0, q), rawQuery: rest.slice(q + 1) };
}

function refused(target: string, why: string): RequestTarget {
  // Still split, so that a refused request can be logged by its path like any other.
  const { rawPath, rawQuery } = splitQuery(`/${target}`);
  return { form: 'origin', rawPath, rawQuery, upstreamPath: `/${target}`, invalid: why };
}
