/**
 * The admin listener (default 127.0.0.1:9180): the control plane of the gateway. Health routes and the
 * OpenAPI document are open; everything else needs a named token whose role may call the route
 * (./roles.ts; a missing and a wrong token get the same 401, a token without the role 403). Routes are
 * dispatched from the table in ./routes.ts, which ./openapi.ts documents.
 *
 * One request's way: match the path and the method → token (401) → 404/405 → role (403) → query
 * parameters (422) → body: JSON (400), by its schema (422) → handler → JSON answer. Every error body
 * is { error, code, message, field? } with a stable code from lib/errors.ts. Every state change and
 * every refusal is one log line (./events.ts) naming the token, never showing it.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Clock } from '../lib/clock';
import { PortcullisError } from '../lib/errors';
import type { BlockView } from '../lockout/block-view';
import { Directory } from '../lockout/directory';
import type { Lockout } from '../lockout/lockout';
import type { Notifier } from '../lockout/notify/notifier';
import { UnblockRequests } from '../lockout/unblock-requests';
import type { Store } from '../store/port';
import type { TokenSet } from './bearer';
import { createConsole, type ConsoleUi } from './console/handler';
import { logAdminCall, type EventLogger } from './events';
import { listAudit } from './handlers/audit';
import { createBlock, liftBlock, listBlocks } from './handlers/blocks';
import type { Answer, ControlPlane, Handler, PolicyControl, Readiness } from './handlers/context';
import { explainPolicies, getPolicies, reloadPolicies } from './handlers/policies';
import { approveRequest, fileRequest, getRequest, listRequests, rejectRequest, verifyIdentity } from './handlers/requests';
import { getDirectory, getPosture, getUser, importDirectory, listUsers } from './handlers/users';
import { AdminError, errorBody, readJson, sendJson } from './http-io';
import { buildOpenApi } from './openapi';
import { ROUTES, type RouteSpec } from './routes';
import { mayCall, rolesFor, type Principal } from './roles';
import { registerStateMetrics } from './state-metrics';
import type { TableUsage } from '../lib/bounded-table';
import { validateQuery } from './validate';

export type { PolicyControl, Readiness } from './handlers/context';

export interface AdminDeps {
  /** The named tokens and their roles (TokenSet.fromConfig). */
  readonly tokens: TokenSet;
  /** Where admin-plane events are written (the general logger). */
  readonly log: EventLogger;
  /** The console's session lifetimes (admin.console). */
  readonly console: { readonly sessionIdleMs: number; readonly sessionMaxMs: number };
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly policies: PolicyControl;
  readonly onError: (err: unknown) => void;
  readonly store: Store;
  readonly view: BlockView;
  readonly lockout: Lockout;
  /** The deployment's key: user ids are keyed hashes of portal and login. */
  readonly secret: string;
  readonly clock: Clock;
  readonly ipPrefix: { readonly v4: number; readonly v6: number };
  /** Closed with the listener (it holds throttle windows and retries). */
  readonly notifier?: Notifier;
  /** The data plane's bounded tables, for /metrics. */
  readonly tables?: () => Readonly<Record<string, TableUsage>>;
}

const ok = (body: unknown, status = 200): Answer => ({ status, body });

/** The caller of an open route (health, the OpenAPI document), which reads no caller: the least role. */
const NOBODY: Principal = { name: 'anonymous', role: 'metrics' };

const HANDLERS: Readonly<Record<string, Handler>> = {
  healthz: async () => ok({ status: 'ok' }),
  readyz: async ({ cp }) => {
    const why = cp.readiness.notReadyBecause();
    return why ? ok({ status: 'not_ready', reason: why }, 503) : ok({ status: 'ready' });
  },
  metrics: async ({ cp }) => ({ status: 200, body: await cp.registry.metrics(), text: { contentType: cp.registry.contentType } }),
  openapi: async () => ok(buildOpenApi()),
  listBlocks,
  createBlock,
  liftBlock,
  listUnblockRequests: listRequests,
  fileUnblockRequest: fileRequest,
  getUnblockRequest: getRequest,
  verifyIdentity,
  approveUnblockRequest: approveRequest,
  rejectUnblockRequest: rejectRequest,
  importDirectory,
  getDirectory,
  listUsers,
  getUser,
  getPosture,
  listAudit,
  getPolicies,
  reloadPolicies,
  explainPolicies,
};

interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((spec) => {
  const names: string[] = [];
  const source = spec.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  if (!HANDLERS[spec.operationId]) throw new Error(`admin route ${spec.operationId} has no handler`);
  return { spec, pattern: new RegExp(`^${source}$`), names };
});

export function createAdminServer(deps: AdminDeps): http.Server {
  const directory = new Directory({ store: deps.store, view: deps.view, secret: deps.secret, clock: deps.clock });
  const cp: ControlPlane = {
    registry: deps.registry,
    readiness: deps.readiness,
    policies: deps.policies,
    store: deps.store,
    view: deps.view,
    lockout: deps.lockout,
    directory,
    requests: new UnblockRequests({ store: deps.store, view: deps.view, lockout: deps.lockout, directory, secret: deps.secret, clock: deps.clock }),
    secret: deps.secret,
    clock: deps.clock,
    ipPrefix: deps.ipPrefix,
  };
  registerStateMetrics(deps.registry, {
    blocks: () => deps.view.list(),
    storeHealth: () => deps.store.health(),
    lastRemoteChangeLagMs: () => deps.view.lastRemoteChangeLagMs,
    ...(deps.tables ? { tables: deps.tables } : {}),
  });
  const ui = createConsole({ tokens: deps.tokens, log: deps.log, limits: { idleMs: deps.console.sessionIdleMs, maxMs: deps.console.sessionMaxMs } });
  const server = http.createServer((req, res) => {
    const call: CallNote = { operation: null, who: null, via: 'bearer' };
    route(cp, deps, req, res, ui, call).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof AdminError) {
        // Every refused change is logged, and every refused read that says something about the caller
        // (no token, the wrong role): a SIEM sees the attempts as well as the changes.
        const reading = req.method === 'GET' || req.method === 'HEAD';
        if (err.status === 401 || err.status === 403 || !reading) logCall(deps, req, call, err.status, err.code);
        const headers: Record<string, string> = err.status === 405 ? { allow: String(err.extra.allow) } : err.status === 401 ? { 'www-authenticate': 'Bearer realm="portcullis-admin"' } : {};
        return sendJson(res, err.status, errorBody(err), headers);
      }
      if (err instanceof PortcullisError && err.code === 'PC_ERR_STORE_UNAVAILABLE') {
        return sendJson(res, 503, errorBody(new AdminError(503, err.code, 'the store did not answer; try again')));
      }
      deps.onError(err);
      sendJson(res, 500, { error: 'internal', code: 'PC_ERR_INTERNAL', message: 'an unexpected failure; see the gateway log' });
    });
  });
  server.on('close', () => {
    deps.notifier?.close().catch(deps.onError);
  });
  return server;
}

/** What the log line of a call needs, filled in as the call goes. */
interface CallNote {
  operation: string | null;
  who: Principal | null;
  via: 'bearer' | 'console';
}

function logCall(deps: AdminDeps, req: IncomingMessage, call: CallNote, status: number, code?: string): void {
  const method = (req.method ?? 'GET').toUpperCase();
  logAdminCall(deps.log, { operation: call.operation ?? 'unknown', method, status, ...(code ? { code } : {}), who: call.who, ip: req.socket.remoteAddress ?? '', via: call.via });
}

async function route(cp: ControlPlane, deps: AdminDeps, req: IncomingMessage, res: ServerResponse, ui: ConsoleUi, call: CallNote): Promise<void> {
  // The support console (./console): its page and sign-in; /console/api/… comes back here as /v1/… with a session.
  if (await ui.intercept(req, res)) return;
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = (req.method ?? 'GET').toUpperCase();
  const matches = COMPILED.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m !== null);
  const hit = matches.find((x) => x.r.spec.method === method || (method === 'HEAD' && x.r.spec.method === 'GET'));
  call.operation = hit?.r.spec.operationId ?? null;
  const session = ui.principalOf(req);
  call.via = session ? 'console' : 'bearer';
  call.who = session ?? deps.tokens.fromHeaders(req.headers);
  // Open routes answer without a token; for the rest, 401 comes before 404/405 so that the route table
  // is not probeable without a token.
  if (!hit?.r.spec.open && !call.who) {
    throw new AdminError(401, 'PC_ERR_ADMIN_UNAUTHORIZED', 'a valid bearer token is required');
  }
  if (!hit) {
    if (matches.length > 0) {
      const allow = [...new Set(matches.map((x) => x.r.spec.method))].join(', ');
      throw new AdminError(405, 'PC_ERR_ADMIN_METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; allowed: ${allow}`, { allow });
    }
    throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `no route ${method} ${url.pathname} (GET /openapi.json lists them)`);
  }
  const { spec } = hit.r;
  if (!spec.open && !mayCall(call.who!.role, spec.operationId)) {
    const allowed = rolesFor(spec.operationId);
    throw new AdminError(403, 'PC_ERR_ADMIN_ROLE_REFUSED', `the token ${call.who!.name} has role ${call.who!.role}, which may not call ${spec.operationId}; allowed roles: ${allowed.join(', ')}`, { role: call.who!.role, allowed_roles: allowed });
  }
  const params: Record<string, string> = {};
  hit.r.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(hit.m![i + 1]!);
    } catch {
      throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `${name}: not a valid URL-encoded value`);
    }
  });
  const query = validateQuery(spec.query, url.searchParams);
  const body = spec.body || method === 'POST' || method === 'PUT' ? await readJson(req) : undefined;
  const answer = await HANDLERS[spec.operationId]!({ cp, params, query, body, who: call.who ?? NOBODY });
  if (method !== 'GET' && method !== 'HEAD' && !spec.open) logCall(deps, req, call, answer.status);
  if (answer.text) {
    res.writeHead(answer.status, { 'content-type': answer.text.contentType, 'cache-control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : String(answer.body));
    return;
  }
  sendJson(res, answer.status, answer.body);
}
