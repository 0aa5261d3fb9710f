/**
 * Split a request target into authority host (absolute-form only), raw path and raw query.
 * Nothing is decoded here.
 */
export interface SplitTarget {
  /** Host of an absolute-form target (`http://h:8080/x` → `h:8080`), userinfo removed. */
  readonly absoluteHost?: string;
  readonly rawPath: string;
  /** Everything after the first `?` ('' when none). A `#` is left in: see classify.ts. */
  readonly rawQuery: string;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

export function splitTarget(target: string): SplitTarget {
  let rest = target;
  let absoluteHost: string | undefined;
  if (rest.charCodeAt(0) !== 0x2f && ABSOLUTE_FORM.test(rest)) {
    const afterScheme = rest.indexOf('//') + 2;
    let end = rest.length;
    for (const stop of ['/', '?', '#']) {
      const at = rest.indexOf(stop, afterScheme);
      if (at >= 0 && at < end) end = at;
    }
    const authority = rest.slice(afterScheme, end);
    absoluteHost = authority.slice(authority.lastIndexOf('@') + 1);
    rest = rest.slice(end);
    if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
  }
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const rawQuery = q < 0 ? '' : rest.slice(q + 1);
  return absoluteHost === undefined ? { rawPath, rawQuery } : { absoluteHost, rawPath, rawQuery };
}
