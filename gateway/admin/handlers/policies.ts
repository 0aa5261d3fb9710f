/** Policies: the effective set, reload, and explain (the same request file as `portcullis policy explain`). */
import { formatProblem } from '../../lib/errors';
import { explain, formatExplanation, toExplainInput } from '../../policy/explain';
import type { ReloadResult } from '../../policy/reloader';
import { AdminError } from '../http-io';
import { validateBody } from '../validate';
import { ok, type Handler, type PolicyControl } from './context';

export function describeReload(r: ReloadResult): Record<string, unknown> {
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

export const getPolicies: Handler = async ({ cp }) => ok(describePolicies(cp.policies));

export const reloadPolicies: Handler = async ({ cp }) => {
  const r = cp.policies.reload();
  if (r.ok) return ok(describeReload(r));
  // The reload result is the body (clients read its errors), with the error fields every error has.
  return ok({ ...describeReload(r), error: 'policy_load_failed', code: 'PC_ERR_ADMIN_POLICY_LOAD', message: `the policy set has ${r.problems.length} problem(s); the last good set (${r.version}) keeps serving` }, 422);
};

/** Sets in a Verdict (and Infinity) have no JSON form of their own. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Set ? [...(v as Set<unknown>)] : v instanceof Map ? Object.fromEntries(v as Map<string, unknown>) : typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

export const explainPolicies: Handler = async ({ cp, body }) => {
  const value = validateBody<Record<string, unknown>>('ExplainRequest', body);
  const { input, problems } = toExplainInput(value);
  if (!input) throw new AdminError(422, 'PC_ERR_ADMIN_INVALID_FIELD', problems.join('; '), { field: 'body' });
  const set = cp.policies.current();
  const e = explain(set, input);
  return ok({ ...(plain(e) as object), text: formatExplanation(set, e) });
};
