/**
 * The portal's REST (the rest module behind /bitrix/services/rest/index.php), at every entry point
 * the portal routes to it:
 *   /rest/…                          urlrewrite `#^/rest/#`, and newer portals' `/rest/{any}`
 *   /rest/api/…                      REST v3 on newer portals (same shapes here)
 *   /bitrix/services/rest/index.php  the script itself: method from the path tail or `?method=`
 *   /local/rest/…                    custom installs
 * Shapes: `{user_id}/{code}/{method}` (incoming webhook) or `{method}` with `auth=` (OAuth), each
 * method with an optional `.json` or `.xml` suffix; method names are case-insensitive.
 *
 * Order of checks, as the portal does it: authorization, then the portal's leaky bucket (only
 * authorized calls are counted; a batch counts once), then the method.
 */
import type { SimRequest, SimSettings } from './context';
import { CallTimer, RestError, restAnswer, restError, type RestFormat, type TimeInfo } from './envelope';
import { appForAccessToken } from './oauth';
import type { SimResponse } from './pages';
import { mediaType, parsePhpQuery, phpArray, phpRequest, str, type PhpArray, type PhpValue } from './php-request';
import { isoSeconds, type Deal, type Portal, type UserState } from './portal';

const ENTRY_PREFIXES = ['/rest/api/', '/rest/', '/local/rest/'];
const SCRIPT = '/bitrix/services/rest/index.php';
const PAGE_SIZE = 50;
const BATCH_MAX = 50;

/** The part of the path after the REST entry point, or undefined when this is not REST. */
export function restTail(path: string): string | undefined {
  if (path === SCRIPT) return '';
  if (path.startsWith(SCRIPT + '/')) return path.slice(SCRIPT.length + 1);
  for (const p of ENTRY_PREFIXES) if (path.startsWith(p)) return path.slice(p.length);
  return undefined;
}

interface Principal {
  user: UserState;
  scope: string[] | undefined;
  kind: 'webhook' | 'app';
}

interface CallResult {
  result: unknown;
  next?: number;
  total?: number;
}

interface Method {
  /** The scope a webhook or app needs; null = any authorized caller. */
  scope: string | null;
  run(portal: Portal, who: Principal, params: PhpArray): CallResult;
}

export function handleRest(portal: Portal, req: SimRequest, _settings: SimSettings, tail: string): SimResponse {
  const timer = new CallTimer(portal.clock);
  const params = restParams(req);
  const segs = tail.split('/').filter((s) => s !== '');
  let methodRaw = segs.length === 0 ? str(params['method']) : segs[segs.length - 1]!;
  let format: RestFormat = 'json';
  const suffix = /\.(json|xml)$/i.exec(methodRaw);
  if (suffix) {
    format = suffix[1]!.toLowerCase() as RestFormat;
    methodRaw = methodRaw.slice(0, -suffix[0].length);
  }
  try {
    let who: Principal;
    let method: string;
    if (segs.length >= 3 && /^\d+$/.test(segs[0]!)) {
      who = webhookPrincipal(portal, Number(segs[0]), segs[1]!);
      method = segs.length === 3 ? methodRaw.toLowerCase() : '';
    } else {
      const app = appForAccessToken(portal, str(params['auth']));
      who = { user: portal.usersById.get(app.user_id)!, scope: app.scope, kind: 'app' };
      method = segs.length <= 1 ? methodRaw.toLowerCase() : '';
    }
    if (portal.bucket && !portal.bucket.take()) throw new RestError('QUERY_LIMIT_EXCEEDED');
    const result = method === 'batch' ? runBatch(portal, who, params) : call(portal, who, method, params).result;
    const envelope: Record<string, unknown> = { result: result.result };
    if (result.next !== undefined) envelope['next'] = result.next;
    if (result.total !== undefined) envelope['total'] = result.total;
    envelope['time'] = timer.time();
    return restAnswer(200, envelope, format);
  } catch (err) {
    if (err instanceof RestError) return restError(err, format);
    return restError(new RestError('INTERNAL_SERVER_ERROR'), format);
  }
}

/** $_REQUEST, plus a JSON body (the rest module reads php://input for JSON, whatever the method). */
function restParams(req: SimRequest): PhpArray {
  if (mediaType(req.headers['content-type']) !== 'application/json' || req.body.length === 0) return req.request;
  try {
    const json: unknown = JSON.parse(req.body.toString('utf8'));
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return phpRequest(req.request, toPhp(json) as PhpArray);
  } catch {
    // A broken JSON body is ignored, the query still counts.
  }
  return req.request;
}

/** JSON values as the PHP arrays the rest module sees (scalars become strings). */
function toPhp(v: unknown): PhpValue {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const out = phpArray();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toPhp(x);
    return out;
  }
  if (typeof v === 'boolean') return v ? '1' : '';
  return String(v);
}

function webhookPrincipal(portal: Portal, userId: number, code: string): Principal {
  const hook = portal.webhooks.find((w) => w.user_id === userId && w.code === code);
  const user = portal.usersById.get(userId);
  if (!hook || !user || !user.active) throw new RestError('INVALID_CREDENTIALS');
  return { user, scope: hook.scope, kind: 'webhook' };
}

function call(portal: Portal, who: Principal, method: string, params: PhpArray): { result: CallResult } {
  const m = METHODS[method];
  if (!m) throw new RestError('ERROR_METHOD_NOT_FOUND');
  if (m.scope && who.scope && !who.scope.includes(m.scope)) {
    throw new RestError(
      'insufficient_scope',
      `The request requires higher privileges than provided by the ${who.kind === 'webhook' ? 'webhook' : 'access'} token`,
    );
  }
  return { result: m.run(portal, who, params) };
}

/**
 * batch: `cmd[name]=method?query`, up to 50, `halt=1` stops at the first error. One request for the
 * bucket. Empty maps are `[]`, as PHP's json_encode writes an empty array.
 */
function runBatch(portal: Portal, who: Principal, params: PhpArray): CallResult {
  const cmd = params['cmd'];
  const commands = typeof cmd === 'object' ? Object.entries(cmd) : [];
  if (commands.length > BATCH_MAX) throw new RestError('ERROR_BATCH_LENGTH_EXCEEDED');
  const halt = ['1', 'y', 'true'].includes(str(params['halt']).toLowerCase());
  const results: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const totals: Record<string, unknown> = {};
  const nexts: Record<string, unknown> = {};
  const times: Record<string, TimeInfo> = {};
  for (const [name, line] of commands) {
    const timer = new CallTimer(portal.clock);
    const text = str(line);
    const q = text.indexOf('?');
    const method = (q === -1 ? text : text.slice(0, q)).toLowerCase().replace(/\.json$/, '');
    const sub = parsePhpQuery(q === -1 ? '' : text.slice(q + 1));
    try {
      if (method === 'batch') throw new RestError('ERROR_BATCH_METHOD_NOT_ALLOWED');
      const r = call(portal, who, method, sub).result;
      results[name] = r.result;
      if (r.total !== undefined) totals[name] = r.total;
      if (r.next !== undefined) nexts[name] = r.next;
    } catch (err) {
      const e = err instanceof RestError ? err : new RestError('INTERNAL_SERVER_ERROR');
      errors[name] = { error: e.code, error_description: e.description };
      if (halt) break;
    } finally {
      times[name] = timer.time();
    }
  }
  const phpMap = (o: Record<string, unknown>): unknown => (Object.keys(o).length ? o : []);
  return {
    result: {
      result: phpMap(results),
      result_error: phpMap(errors),
      result_total: phpMap(totals),
      result_next: phpMap(nexts),
      result_time: phpMap(times),
    },
  };
}

function splitName(name: string): { first: string; last: string } {
  const i = name.indexOf(' ');
  return i === -1 ? { first: name, last: '' } : { first: name.slice(0, i), last: name.slice(i + 1) };
}

function dealRow(d: Deal): Record<string, string> {
  return {
    ID: String(d.ID),
    TITLE: d.TITLE,
    STAGE_ID: d.STAGE_ID,
    OPPORTUNITY: d.OPPORTUNITY.toFixed(2),
    CURRENCY_ID: d.CURRENCY_ID,
    ASSIGNED_BY_ID: String(d.ASSIGNED_BY_ID),
    DATE_CREATE: d.DATE_CREATE,
  };
}

const METHODS: Record<string, Method> = {
  'user.current': {
    scope: 'user',
    run(portal, who) {
      const u = who.user;
      const { first, last } = splitName(u.name);
      return {
        result: {
          ID: String(u.id),
          XML_ID: null,
          ACTIVE: u.active,
          NAME: first,
          LAST_NAME: last,
          SECOND_NAME: '',
          EMAIL: u.email,
          PERSONAL_GENDER: '',
          TIME_ZONE: '',
          TIME_ZONE_OFFSET: '0',
          TIMESTAMP_X: isoSeconds(portal.clock.now()),
          IS_ONLINE: 'N',
          UF_DEPARTMENT: [1],
          USER_TYPE: 'employee',
        },
      };
    },
  },
  /**
   * user.get: the portal's users, 50 a page (`start`, then `next` and `total` in the envelope), sorted
   * by ID. `FILTER`/`filter` (or top-level keys) may say `ACTIVE`; dismissed users are listed unless
   * it is true. LOGIN is a self-hosted portal's field (the cloud's user.get has none). ADMIN_MODE is
   * accepted and changes nothing here: the simulator lists every user to every caller with scope `user`.
   */
  'user.get': {
    scope: 'user',
    run(portal, _who, params) {
      const filter = typeof params['FILTER'] === 'object' ? params['FILTER'] : typeof params['filter'] === 'object' ? params['filter'] : params;
      const activeOnly = ['1', 'y', 'true'].includes(str(filter['ACTIVE']).toLowerCase());
      const rows = [...portal.usersById.values()].filter((u) => !activeOnly || u.active).sort((a, b) => a.id - b.id);
      const start = Math.max(0, parseInt(str(params['start']), 10) || 0);
      const page = rows.slice(start, start + PAGE_SIZE).map((u) => {
        const { first, last } = splitName(u.name);
        return {
          ID: String(u.id),
          ACTIVE: u.active,
          LOGIN: u.login,
          NAME: first,
          LAST_NAME: last,
          SECOND_NAME: '',
          EMAIL: u.email,
          PERSONAL_MOBILE: u.mobile ?? '',
          PERSONAL_PHONE: '',
          WORK_PHONE: u.work_phone ?? '',
          UF_DEPARTMENT: [1],
          USER_TYPE: 'employee',
        };
      });
      const out: CallResult = { result: page, total: rows.length };
      if (start + PAGE_SIZE < rows.length) out.next = start + PAGE_SIZE;
      return out;
    },
  },
  /** user.admin: whether the calling user (the webhook's or the app's) is a portal administrator. */
  'user.admin': {
    scope: null,
    run(_portal, who) {
      return { result: who.user.admin || who.user.owner };
    },
  },
  profile: {
    scope: null,
    run(_portal, who) {
      const u = who.user;
      const { first, last } = splitName(u.name);
      return {
        result: { ID: String(u.id), ADMIN: u.admin, NAME: first, LAST_NAME: last, PERSONAL_GENDER: '', TIME_ZONE: '', TIME_ZONE_OFFSET: 0 },
      };
    },
  },
  'crm.deal.list': {
    scope: 'crm',
    run(portal, _who, params) {
      const filter = typeof params['filter'] === 'object' ? params['filter'] : phpArray();
      const rows = portal.deals.filter((d) => {
        const row = dealRow(d);
        return Object.entries(filter).every(([k, v]) => typeof v !== 'string' || row[k.replace(/^=/, '')] === v);
      });
      const start = Math.max(0, parseInt(str(params['start']), 10) || 0);
      const page = rows.slice(start, start + PAGE_SIZE).map(dealRow);
      const out: CallResult = { result: page, total: rows.length };
      if (start + PAGE_SIZE < rows.length) out.next = start + PAGE_SIZE;
      return out;
    },
  },
  'crm.deal.add': {
    scope: 'crm',
    run(portal, who, params) {
      const f = typeof params['fields'] === 'object' ? params['fields'] : phpArray();
      const opportunity = Number(str(f['OPPORTUNITY']));
      const assigned = Number(str(f['ASSIGNED_BY_ID']));
      const deal = portal.addDeal({
        title: str(f['TITLE']),
        stage_id: str(f['STAGE_ID']) || 'NEW',
        opportunity: Number.isFinite(opportunity) ? opportunity : 0,
        currency_id: str(f['CURRENCY_ID']) || 'USD',
        assigned_by_id: Number.isInteger(assigned) && portal.usersById.has(assigned) ? assigned : who.user.id,
      });
      return { result: deal.ID };
    },
  },
  methods: {
    scope: null,
    run() {
      return { result: [...Object.keys(METHODS), 'batch'] };
    },
  },
};
