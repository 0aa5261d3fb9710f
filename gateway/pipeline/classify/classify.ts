/**
 * The request classifier: one pure, synchronous pass from what the edge read to a `Classified`
 * (kind, portal, canonical path, principal) and the request's secrets (`Credentials`).
 *
 * Order of decisions, and why:
 * 1. REST entry points (every spelling canonicalPath can produce). The REST service defines
 *    NOT_CHECK_PERMISSIONS, so the prolog's form login does not run there; but an Authorization
 *    Basic/Digest header (REST session auth checks it) or an AUTH_FORM in the query (custom
 *    `/local/rest/` scripts may run the prolog) still sets principal.login/loginVia, with kind `rest`.
 * 2. Login-handler inputs on every other path, any method: AUTH_FORM (see auth-form.ts), HTTP Basic or
 *    Digest (the prolog tries them first, on every request), `bx_hit_hash`.
 * 3. `/oauth/token/`, then WebSocket upgrades (only when nothing above matched: nginx passes a normal
 *    location's request to PHP even with `Upgrade`), then `other`.
 *
 * Speed: a clean static GET costs one regex on the path, one on the query and a header lookup or two.
 * Queries are parsed only when a cheap test says they might hold a key that matters. Any letter of a
 * PHP key can arrive percent-encoded, so the test also fires on `%4x`..`%7x`: when in doubt, parse.
 */
import type { Classified, Credentials, FormFields, Principal, RequestHead, RequestKind, RestVia } from '../request';
import { readAuthorization, type HeaderCredentials } from './auth-header';
import { compact, decideAuthForm, hitHash, type FormSources } from './auth-form';
import { canonicalPath } from './canonical-path';
import { canonicalPortal } from './host';
import { ARRAY_MARKER, mergeRequest, parseCookieVars, parseQuery } from './php-params';
import { redactNearRest, redactRestPath } from './redact-path';
import { findRestRoute, readRestTarget, type RestRoute } from './rest-route';
import { formKind } from './form-body';
import { splitTarget } from './target';

export interface ClassifyOptions {
  /** Reserved: principals are hashed by the sense stage, never here. */
  readonly hashSecret?: never;
}

export interface ClassifyResult {
  readonly classified: Classified;
  readonly credentials: Credentials;
}

/** Might this query carry AUTH_FORM or bx_hit_hash (any spelling PHP normalises to them)? */
const LOGIN_QUERY_HINT = /auth|bx|%[4-7][0-9a-f]/i;
/** Might this (long) REST query carry auth, access_token, aplogin/ap, method or AUTH_FORM? */
const REST_QUERY_HINT = /auth|access|apl|method|%[4-7][0-9a-f]|(?:^|&)(?:\+|%20| )*ap(?:[=&[]|$)/i;
const REST_QUERY_ALWAYS_PARSE_CHARS = 1024;
const LOGIN_COOKIE_HINT = /AUTH|USER|TYPE/;
const OAUTH_TOKEN_PATH = /^\/oauth\/token(?:\/|$)/i;
const SESSION_COOKIE = /(?:^|[;,]\s*)(?:PHPSESSID|BITRIX_SM_[A-Za-z0-9_]*)=/i;

/**
 * Should the edge buffer this body to classify it? PHP fills $_POST only for POST with a form
 * content type, and REST bodies stream (the REST service does not run the form login).
 */
export function needsForm(head: RequestHead): boolean {
  if (head.method.toUpperCase() !== 'POST') return false;
  if (formKind(headerValue(head.headers['content-type'])) === undefined) return false;
  return resolvePath(splitTarget(head.target).rawPath).route === undefined;
}

export function classify(head: RequestHead, form: FormFields | undefined, _opts: ClassifyOptions = {}): ClassifyResult {
  const target = splitTarget(head.target);
  const portal = canonicalPortal(headerValue(head.headers.host), target.absoluteHost);
  const auth = readAuthorization(head.headers.authorization);
  const resolved = resolvePath(target.rawPath);
  if (resolved.route !== undefined) return classifyRest(head, portal, resolved.route, resolved.path, target.rawQuery, auth);

  const path = resolved.path;
  const sources = loginSources(target.rawQuery, form, headerValue(head.headers.cookie));
  const decision = decideAuthForm(sources, head.method);
  const httpLogin = httpLoginOf(auth);

  if (httpLogin !== undefined) {
    // Basic/Digest run first in the prolog, on every request; one principal per request, so the
    // header's login is the one reported, and the reason names the form too.
    const reason = decision ? `${httpLogin.reason}+${decision.reason}` : httpLogin.reason;
    const formLogin = decision?.principal.login;
    const principal = formLogin && formLogin !== httpLogin.principal.login ? { ...httpLogin.principal, alsoLogins: [formLogin] } : httpLogin.principal;
    return result(portal, 'login', path, principal, reason, httpLogin.credentials);
  }
  if (decision !== undefined) {
    return result(portal, decision.kind, path, decision.principal, decision.reason, decision.credentials);
  }
  if (hitHash(sources) !== undefined) {
    return result(portal, 'login', path, { loginVia: 'hash' }, 'hit_hash', {});
  }
  if (OAUTH_TOKEN_PATH.test(path)) return classifyOAuthToken(portal, path, sources.query ?? parseQuery(target.rawQuery), form);
  if (/websocket/i.test(headerValue(head.headers.upgrade) ?? '')) {
    return result(portal, 'websocket', path, {}, 'upgrade:websocket', {});
  }
  return result(portal, 'other', path, {}, 'other', {});
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

function classifyRest(
  head: RequestHead,
  portal: string,
  route: RestRoute,
  path: string,
  rawQuery: string,
  auth: HeaderCredentials | undefined,
): ClassifyResult {
  const shouldParse = rawQuery !== '' && (rawQuery.length <= REST_QUERY_ALWAYS_PARSE_CHARS || REST_QUERY_HINT.test(rawQuery));
  const query = shouldParse ? parseQuery(rawQuery) : new Map<string, string>();
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

  // A password login riding on a REST request: kind stays `rest`, enforcement still sees the login.
  const httpLogin = httpLoginOf(auth);
  const formLogin = httpLogin === undefined && shouldParse ? decideAuthForm({ query }, head.method) : undefined;
  if (httpLogin !== undefined) {
    Object.assign(principal, httpLogin.principal);
    Object.assign(credentials, httpLogin.credentials);
    reason += `+${httpLogin.reason}`;
  } else if (formLogin !== undefined && formLogin.kind !== 'other') {
    Object.assign(principal, formLogin.principal);
    if (formLogin.credentials.password !== undefined) credentials.password = formLogin.credentials.password;
    reason += `+${formLogin.reason}`;
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
): ClassifyResult {
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
 * The sources of $_REQUEST the login handler reads, parsed only when they might matter. Queries are
 * also read with `;` as a separator when they hold one (a portal may set arg_separator.input "&;").
 */
function loginSources(rawQuery: string, form: FormFields | undefined, cookieHeader: string | undefined): FormSources {
  const queryMatters = rawQuery !== '' && LOGIN_QUERY_HINT.test(rawQuery);
  const query = queryMatters ? parseQuery(rawQuery) : undefined;
  const queryAlt = queryMatters && rawQuery.includes(';') ? parseQuery(rawQuery, '&;') : undefined;
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
): ClassifyResult {
  // Classified values never hold secrets: a look-alike of a REST entry point may carry a webhook code.
  return { classified: { portal, kind, path: redactNearRest(path), principal, reason }, credentials };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function plain(v: string | undefined): string | undefined {
  return v === undefined || v === ARRAY_MARKER || v === '' ? undefined : v;
}
