/**
 * The request classifier: one pure, synchronous pass from what the edge read to a `Classified`
 * (kind, portal, canonical path, principal) and the request's secrets (`Credentials`).
 *
 * One reading of everything (DESIGN "one parse, fail closed"): the target is split once
 * (target.ts) and that split is also what the edge forwards; the query of every request is parsed as
 * PHP parses it, and merged with the form body (body wins, request_order "GP"), whatever the path.
 *
 * Refused (400) instead of classified, because the portal could read them two ways:
 * - a target whose authority or form a forwarding normaliser would change (target.ts);
 * - a key the classifier reads past the first 1000 pairs of the query (max_input_vars, php-params.ts);
 * - login fields the portal reads one way or another depending on its php.ini (a cookie that
 *   contradicts the form; a query a `;`-splitting portal reads otherwise; see auth-form.ts);
 * - a Basic/Digest login together with a one-time-code, recovery or change form: the portal runs both;
 * - a non-empty AUTH_FORM (or `bx_hit_hash`) on a path that may be REST: the canonical path takes the union of every
 *   layer's reading, so a spelling such as `/rest./` or `/REST/` can be REST to the classifier and a
 *   page (whose prolog runs the login) to the portal. Such a request is neither a REST call nor a login
 *   the gateway can count for sure; no integration sends AUTH_FORM.
 *
 * Order of decisions, and why:
 * 1. REST entry points (every spelling canonicalPath can produce). The REST service defines
 *    NOT_CHECK_PERMISSIONS, so the prolog's form login does not run there; an Authorization
 *    Basic/Digest header (REST session auth checks it) still sets principal.login/loginVia, with kind
 *    `rest`.
 * 2. Login-handler inputs on every other path, any method: AUTH_FORM (see auth-form.ts), HTTP Basic or
 *    Digest (the prolog tries them first, on every request), `bx_hit_hash`.
 * 3. `/oauth/token/`, then WebSocket upgrades (only when nothing above matched: nginx passes a normal
 *    location's request to PHP even with `Upgrade`), then `other`.
 */
import type { Classified, Credentials, FormFields, Principal, RequestHead, RequestKind, RestVia } from '../request';
import { readAuthorization, type HeaderCredentials } from './auth-header';
import { AMBIGUOUS, authFormSource, compact, decideAuthForm, hitHash, type FormSources } from './auth-form';
import { canonicalPath } from './canonical-path';
import { canonicalPortal } from './host';
import { ARRAY_MARKER, lateMatteringKey, mergeRequest, parseCookieVars, parseQuery } from './php-params';
import { redactNearRest, redactRestPath } from './redact-path';
import { findRestRoute, readRestTarget, type RestRoute } from './rest-route';
import { formKind } from './form-body';
import { parseTarget, type RequestTarget } from './target';

export interface ClassifyOptions {
  /** Reserved: principals are hashed by the sense stage, never here. */
  readonly hashSecret?: never;
}

export interface ClassifyResult {
  readonly classified: Classified;
  readonly credentials: Credentials;
  /** The request target as read once: the edge forwards exactly this. */
  readonly target: RequestTarget;
  /** Set when the request must be refused (400) instead of forwarded: why. */
  readonly refused?: string;
}
const NO_FIELDS: ReadonlyMap<string, string> = new Map();
const LOGIN_COOKIE_HINT = /AUTH|USER|TYPE/;
const OAUTH_TOKEN_PATH = /^\/oauth\/token(?:\/|$)/i;
const SESSION_COOKIE = /(?:^|[;,]\s*)(?:PHPSESSID|BITRIX_SM_[A-Za-z0-9_]*)=/i;

/**
 * Should the edge read this body to classify it? PHP fills $_POST for every POST with a form content
 * type, whatever the path: a REST path is no exemption (see the refusals above).
 */
export function needsForm(head: RequestHead): boolean {
  if (head.method.toUpperCase() !== 'POST') return false;
  return formKind(headerValue(head.headers['content-type'])) !== undefined;
}

/**
 * Does the request head alone (query, cookies) already put the request on the login handler's path?
 * Then a body the gateway cannot read in full is refused, whatever it holds.
 */
export function headCarriesAuthForm(head: RequestHead): boolean {
  const target = parseTarget(head.target);
  return authFormSource(loginSources(target.rawQuery, undefined, headerValue(head.headers.cookie))) !== undefined;
}

export function classify(head: RequestHead, form: FormFields | undefined, _opts: ClassifyOptions = {}): ClassifyResult {
  const target = parseTarget(head.target);
  const portal = canonicalPortal(headerValue(head.headers.host), target.absoluteHost);
  // A refused target is logged by its first segment only: what follows may be a webhook code.
  if (target.invalid !== undefined) return refuse(target, result(portal, 'other', firstSegment(canonicalPath(target.rawPath)), {}, `refused:${target.invalid}`, {}), target.invalid);
  const resolved = resolvePath(target.rawPath);
  const sources = loginSources(target.rawQuery, form, headerValue(head.headers.cookie));
  const auth = readAuthorization(head.headers.authorization);
  const rest = resolved.route === undefined ? undefined : classifyRest(head, portal, resolved.route, resolved.path, form === undefined ? sources.query ?? NO_FIELDS : mergeRequest(sources.query ?? NO_FIELDS, form), auth);
  // The path as logged: a REST path has its webhook code replaced.
  const path = rest?.classified.path ?? resolved.path;
  const late = lateMatteringKey(target.rawQuery) ?? (sources.queryAlt !== undefined ? lateMatteringKey(target.rawQuery, '&;') : undefined);
  if (late !== undefined) return refuse(target, result(portal, 'other', path, {}, 'refused:input_vars', {}), `input_vars:${late}`);
  const decision = decideAuthForm(sources, head.method);
  // The portal's php.ini decides which login it reads (auth-form.ts): no principal can be counted for sure.
  if (decision?.reason.endsWith(AMBIGUOUS)) return refuse(target, result(portal, decision.kind, path, decision.principal, decision.reason, {}), 'ambiguous_login');
  if (rest !== undefined) {
    if (decision !== undefined && decision.kind !== 'other') {
      return refuse(target, result(portal, decision.kind, path, decision.principal, 'refused:login_on_rest_path', {}), 'login_on_rest_path');
    }
    if (hitHash(sources) !== undefined) return refuse(target, result(portal, 'login', path, { loginVia: 'hash' }, 'refused:login_on_rest_path', {}), 'login_on_rest_path');
    return { ...rest, target };
  }
  const httpLogin = httpLoginOf(auth);

  if (httpLogin !== undefined) {
    // Basic/Digest run first in the prolog, on every request; one principal per request, so the
    // header's login is the one reported, and the reason names the form too.
    const reason = decision ? `${httpLogin.reason}+${decision.reason}` : httpLogin.reason;
    // The prolog also runs a one-time-code, recovery or change form after the header's login: two
    // attempts of two kinds in one request, which no one kind counts (found by the differential test).
    if (decision !== undefined && decision.kind !== 'login' && decision.kind !== 'other') {
      return refuse(target, result(portal, decision.kind, path, httpLogin.principal, reason, {}), 'header_login_with_form');
    }
    const formLogin = decision?.principal.login;
    const principal = formLogin && formLogin !== httpLogin.principal.login ? { ...httpLogin.principal, alsoLogins: [formLogin] } : httpLogin.principal;
    return { ...result(portal, 'login', path, principal, reason, httpLogin.credentials), target };
  }
  if (decision !== undefined) {
    return { ...result(portal, decision.kind, path, decision.principal, decision.reason, decision.credentials), target };
  }
  if (hitHash(sources) !== undefined) {
    return { ...result(portal, 'login', path, { loginVia: 'hash' }, 'hit_hash', {}), target };
  }
  if (OAUTH_TOKEN_PATH.test(path)) return { ...classifyOAuthToken(portal, path, sources.query ?? NO_FIELDS, form), target };
  if (/websocket/i.test(headerValue(head.headers.upgrade) ?? '')) {
    return { ...result(portal, 'websocket', path, {}, 'upgrade:websocket', {}), target };
  }
  return { ...result(portal, 'other', path, {}, 'other', {}), target };
}

function firstSegment(path: string): string {
  const second = path.indexOf('/', 1);
  return second < 0 ? path : `${path.slice(0, second)}/…`;
}

function refuse(target: RequestTarget, r: Omit<ClassifyResult, 'target'>, why: string): ClassifyResult {
  return { ...r, target, refused: why };
}

interface ResolvedPath {
  readonly path: string;
  readonly route?: RestRoute | undefined;
}

/**
 * Canonical path and REST route of a raw path. When the path holds a `#` (a fragment no client
 * should send; layers disagree on cutting it), the part before it is tried for REST too.
 */
function resolvePath(rawPath: string): ResolvedPath {
  const path = canonicalPath(rawPath);
  const route = findRestRoute(path);
  if (route !== undefined) return { path, route };
  const hash = rawPath.indexOf('#');
  if (hash < 0) return { path };
  const cutPath = canonicalPath(rawPath.slice(0, hash));
  const cutRoute = findRestRoute(cutPath);
  return cutRoute === undefined ? { path } : { path: cutPath, route: cutRoute };
}

/** A REST call; `request` is `$_REQUEST` (query and form body merged), where the REST module reads its parameters. */
function classifyRest(
  head: RequestHead,
  portal: string,
  route: RestRoute,
  path: string,
  query: ReadonlyMap<string, string>,
  auth: HeaderCredentials | undefined,
): Omit<ClassifyResult, 'target'> {
  const { call, webhook } = readRestTarget(route, query);
  const oauthToken = plain(query.get('auth')) ?? plain(query.get('access_token')) ?? (auth?.scheme === 'bearer' ? auth.token : undefined);

  let restVia: RestVia;
  const principal: { -readonly [K in keyof Principal]: Principal[K] } = {};
  const credentials: { -readonly [K in keyof Credentials]: Credentials[K] } = {};
  if (webhook !== undefined) {
    restVia = 'webhook';
    principal.webhookUserId = webhook.userId;
    credentials.webhookCode = webhook.code;
  } else if (oauthToken !== undefined) {
    restVia = 'oauth';
    credentials.oauthToken = oauthToken;
  } else if (SESSION_COOKIE.test(headerValue(head.headers.cookie) ?? '')) {
    restVia = 'session';
  } else {
    restVia = 'none';
  }
  principal.restVia = restVia;
  let reason = `rest:${restVia}`;

  // A password in the Authorization header of a REST call (REST session auth reads it): kind stays
  // `rest`, enforcement still sees the login.
  const httpLogin = httpLoginOf(auth);
  if (httpLogin !== undefined) {
    Object.assign(principal, httpLogin.principal);
    Object.assign(credentials, httpLogin.credentials);
    reason += `+${httpLogin.reason}`;
  }
  return {
    classified: { portal, kind: 'rest', path: redactRestPath(path, route, webhook?.code), principal: compact(principal), rest: call, reason },
    credentials: compact(credentials),
  };
}

function classifyOAuthToken(
  portal: string,
  path: string,
  query: ReadonlyMap<string, string>,
  form: FormFields | undefined,
): Omit<ClassifyResult, 'target'> {
  const fields = mergeRequest(query, form);
  const clientId = plain(fields.get('client_id'));
  const oauthToken = plain(fields.get('refresh_token')) ?? plain(fields.get('code'));
  return result(portal, 'oauth_token', path, compact({ clientId }), 'oauth_token', compact({ oauthToken }));
}

function httpLoginOf(auth: HeaderCredentials | undefined):
  { principal: Principal; credentials: Credentials; reason: string } | undefined {
  if (auth === undefined || auth.scheme === 'bearer') return undefined;
  if (auth.scheme === 'basic') {
    if (auth.username === '' && auth.password === '') return undefined;
    return {
      principal: compact({ login: auth.username.trim() || undefined, loginVia: 'basic' as const }),
      credentials: compact({ password: auth.password === '' ? undefined : auth.password }),
      reason: 'basic_auth',
    };
  }
  if (auth.username === '') return undefined;
  return { principal: { login: auth.username.trim(), loginVia: 'digest' }, credentials: {}, reason: 'digest_auth' };
}

/**
 * The sources of $_REQUEST the login handler reads. The query is always parsed (a login's fields can
 * sit in the query while AUTH_FORM sits in the body); it is also read with `;` as a separator when it
 * holds one (a portal may set arg_separator.input "&;").
 */
function loginSources(rawQuery: string, form: FormFields | undefined, cookieHeader: string | undefined): FormSources {
  const query = rawQuery === '' ? undefined : parseQuery(rawQuery);
  const queryAlt = query !== undefined && rawQuery.includes(';') ? parseQuery(rawQuery, '&;') : undefined;
  // Cookie names are not decoded by PHP, so only a literal "AUTH", "USER" or "TYPE" can become a key
  // the login handler reads (AUTH_FORM, USER_LOGIN, TYPE, …).
  const cookie = cookieHeader !== undefined && LOGIN_COOKIE_HINT.test(cookieHeader) ? parseCookieVars(cookieHeader) : undefined;
  return { post: form, query, queryAlt, cookie };
}

function result(
  portal: string,
  kind: RequestKind,
  path: string,
  principal: Principal,
  reason: string,
  credentials: Credentials,
): Omit<ClassifyResult, 'target'> {
  // Classified values never hold secrets: a look-alike of a REST entry point may carry a webhook code.
  return { classified: { portal, kind, path: redactNearRest(path), principal, reason }, credentials };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function plain(v: string | undefined): string | undefined {
  return v === undefined || v === ARRAY_MARKER || v === '' ? undefined : v;
}
