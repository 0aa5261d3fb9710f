/**
 * The admin listener (default 127.0.0.1:9180). Health routes are open; everything else needs the
 * bearer token. The control-plane issue adds the /v1 routes; this is the listener, the auth and the
 * operational routes every deployment needs from day one.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { formatProblem } from '../lib/errors';
import type { CompiledPolicySet } from '../policy/compiled';
import type { ReloadResult } from '../policy/reloader';
import { bearerMatches } from './bearer';

export interface Readiness {
  /** Null when ready, else why not (shown on /readyz). */
  notReadyBecause(): string | null;
}

/** The live policy set, as the admin API shows and reloads it. */
export interface PolicyControl {
  current(): CompiledPolicySet;
  last(): ReloadResult;
  reload(): ReloadResult;
}

export interface AdminDeps {
  readonly token: string | null;
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly policies: PolicyControl;
  readonly onError: (err: unknown) => void;
}

export function createAdminServer(deps: AdminDeps): http.Server {
  return http.createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.onError(err);
      if (!res.headersSent) json(res, 500, { error: 'internal', code: 'PC_ERR_INTERNAL' });
    });
  });
}

async function route(deps: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/readyz') {
    const why = deps.readiness.notReadyBecause();
    return json(res, why ? 503 : 200, why ? { status: 'not_ready', reason: why } : { status: 'ready' });
  }
  if (!bearerMatches(req.headers, deps.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
    return json(res, 401, { error: 'unauthorized', message: 'a valid bearer token is required' });
  }
  if (req.method === 'GET' && path === '/metrics') {
    const text = await deps.registry.metrics();
    res.writeHead(200, { 'content-type': deps.registry.contentType });
    res.end(text);
    return;
  }
  if (req.method === 'GET' && path === '/v1/policies') return json(res, 200, describePolicies(deps.policies));
  if (req.method === 'POST' && path === '/v1/policies/reload') {
    const r = deps.policies.reload();
    return json(res, r.ok ? 200 : 422, { ...describeReload(r), ...(r.ok ? {} : { error: 'policy_load_failed' }) });
  }
  json(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
}

function describeReload(r: ReloadResult): object {
  return {
    ok: r.ok,
    trigger: r.trigger,
    at: new Date(r.atMs).toISOString(),
    duration_ms: Math.round(r.durationMs * 10) / 10,
    version: r.version,
    errors: r.problems.map((p) => ({ code: p.code, file: p.file, line: p.line, col: p.col, key: p.keyPath, problem: p.problem, message: formatProblem(p) })),
  };
}

function describePolicies(p: PolicyControl): object {
  const set = p.current();
  return {
    version: set.version,
    files: set.files,
    policies: set.policies.map((pol) => ({
      name: pol.name,
      file: pol.file,
      on: [...pol.on],
      mode: pol.mode,
      rules: pol.rules.map((r) => ({ id: r.id, phase: r.phase, score: r.score, shadow: r.shadow, when: r.when })),
      actions: pol.actions.map((a) => ({ at: a.at, do: a.do, also: a.also, ...(a.durationMs !== undefined ? { duration_ms: a.durationMs } : {}) })),
    })),
    last_reload: describeReload(p.last()),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
