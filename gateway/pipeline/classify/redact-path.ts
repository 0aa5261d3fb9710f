/**
 * The path a classified request carries into logs, events and the `request.path` signal. Paths under
 * a REST entry point hold secrets (a webhook's code is a path segment), so they are kept only in the
 * shapes whose every segment we can name:
 *
 *   /rest/{method}                       kept (an application's call: the method is no secret)
 *   /rest/{user}/{code}[/{method}]       the code replaced by `{code}`
 *   /bitrix/services/rest/index.php      kept; with one PATH_INFO segment (a method) kept too
 *   /bitrix/services/rest/<anything else> cut: `/bitrix/services/rest/…`
 *   anything else under an entry point   cut after the entry point: `/rest/…`
 *
 * The same holds for `/rest/api/` and `/local/rest/`. A path that merely looks like an entry point
 * (`/rest./1/…`, `/REST;x/…`, `/rest.php/…`, `/local/rest%20/…`), which the classifier may not call
 * REST, is cut right after its `rest` too (`/rest…`): whether the portal reads a code there or not,
 * the client may have sent one.
 */
import type { RestRoute } from './rest-route';

const REDACTED = '…';
/** An entry point, or a look-alike: the segment starts with `rest` and goes on with no letter or digit. */
const NEAR_REST = /^\/(?:(?:local|bitrix\/(?:services|modules))\/+)?rest(?![a-z0-9_-])/i;

/** The loggable form of a REST route's canonical path. */
export function redactRestPath(path: string, route: RestRoute, webhookCode: string | undefined): string {
  const segments = path.split('/').filter((s) => s !== '');
  if (route.entry === 'services_index') {
    // `bitrix/services/rest` (or the module's copy), then at most `index.php` and one segment.
    const rest = segments.slice(3);
    const kept = rest.length === 0 || (rest[0]!.toLowerCase() === 'index.php' && rest.length <= 2);
    return kept ? path : `/${segments.slice(0, 3).join('/')}/${REDACTED}`;
  }
  const tail = route.tail;
  const prefix = `/${segments.slice(0, segments.length - tail.length).join('/')}`;
  if (tail.length <= 1) return path;
  if (webhookCode !== undefined && tail[1] === webhookCode && tail.length <= 3) {
    const trailing = path.endsWith('/') ? '/' : '';
    return `${prefix}/${[tail[0], '{code}', ...tail.slice(2)].join('/')}${trailing}`;
  }
  return `${prefix}/${REDACTED}`;
}

/** The loggable form of a path the classifier did not route to REST. */
export function redactNearRest(path: string): string {
  const m = NEAR_REST.exec(path);
  if (m === null) return path;
  return path.length === m[0].length ? path : `${m[0]}${REDACTED}`;
}
