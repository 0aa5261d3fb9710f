/**
 * The typed values that travel down the pipeline. A request is read once at the edge into a
 * `RequestHead` (and, for form posts, a `FormFields`), classified once into a `Classified`, and every
 * later stage reads these values instead of the raw request.
 *
 * Secrets (passwords, one-time codes, webhook codes, OAuth tokens) never live in these values: they
 * are held in `Credentials`, which only the sense stage reads and which is dropped after it.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type RequestKind =
  | 'login'
  | 'otp'
  | 'password_recovery'
  | 'password_change'
  | 'rest'
  | 'oauth_token'
  | 'websocket'
  | 'other';

export const REQUEST_KINDS: readonly RequestKind[] = [
  'login', 'otp', 'password_recovery', 'password_change', 'rest', 'oauth_token', 'websocket', 'other',
];

/** What the edge knows before reading a body. */
export interface RequestHead {
  readonly method: string;
  /** The request target exactly as received (origin-form `/a?b`, or absolute-form `http://h/a?b`). */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** The client address after trusted-proxy resolution (see edge/client-ip.ts). */
  readonly ip: string;
  readonly httpVersion: string;
  /** True when the client reached us over TLS, or a trusted proxy says it did. */
  readonly secure: boolean;
}

/**
 * Fields of a form body as PHP would put them in `$_POST`: keys normalised the PHP way
 * (`.` and space become `_`, `a[b]` nests), last value wins. Only string leaves are kept; a nested
 * array is kept as the marker `'[array]'` so that `!empty()` checks behave as in PHP.
 */
export type FormFields = ReadonlyMap<string, string>;

/** How a login-like request presents its credentials. */
export type LoginVia = 'form' | 'basic' | 'digest' | 'hash';

/** How a REST call presents its principal. */
export type RestVia = 'webhook' | 'oauth' | 'session' | 'none';

export interface Principal {
  /** Login name (USER_LOGIN, HTTP Basic user, or Digest username), as sent, trimmed. */
  readonly login?: string;
  /** USER_EMAIL of a recovery request. */
  readonly email?: string;
  /** USER_PHONE_NUMBER of a recovery or change request. */
  readonly phone?: string;
  readonly loginVia?: LoginVia;
  /**
   * Other logins the same request also attempts: the prolog tries HTTP Basic/Digest first and then the
   * form, so one request can carry two. Enforcement refuses the request if any of them is blocked.
   */
  readonly alsoLogins?: readonly string[];
  readonly restVia?: RestVia;
  /** Incoming webhook: the user id in the path. The code itself is a secret (see Credentials). */
  readonly webhookUserId?: string;
  /** OAuth client id of an `/oauth/token/` request. */
  readonly clientId?: string;
}

export interface RestCall {
  /** Lower-cased method name, e.g. `crm.deal.list`, `batch`; '' when the URL names none. */
  readonly method: string;
  readonly format: 'json' | 'xml';
  /** Which entry point the portal would route it through. */
  readonly entry: 'rest' | 'rest_api_v3' | 'services_index' | 'local_rest';
}

/** The classifier's verdict on one request: pure data, computed once. */
export interface Classified {
  /** Canonical portal name from Host: lower case, no port, no trailing dot, IDN as given. */
  readonly portal: string;
  readonly kind: RequestKind;
  /** The path as the portal would read it: decoded, dot segments resolved, `//` folded, `;params` cut. */
  readonly path: string;
  readonly principal: Principal;
  readonly rest?: RestCall;
  /**
   * Why the classifier chose this kind, for logs and `policy explain`
   * (e.g. `auth_form:query`, `basic_auth`, `rest_path:/rest/`).
   */
  readonly reason: string;
}

/** The secrets of one request. Read by the sense stage only, then dropped. Never logged. */
export interface Credentials {
  readonly password?: string;
  readonly newPassword?: string;
  readonly otp?: string;
  readonly checkword?: string;
  readonly webhookCode?: string;
  readonly oauthToken?: string;
}
