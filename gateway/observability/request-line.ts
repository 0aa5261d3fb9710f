/**
 * The one log line per request. Field names are fixed (ops build dashboards and alerts on them):
 *
 *   req_id, ip, portal, method, path, kind, why, login, rest_method, webhook_user,
 *   status, answer, duration_ms, error_code,
 *   score, action, rules, would_have, outcome, outcome_action, outcome_rules, store
 *
 * The last group is present only for scored requests: the attempt verdict's score, enforced action
 * and matched rules; what shadow rules would have done; the portal's outcome (success, failure,
 * second_factor); the outcome phase's action and rules; `store: "unavailable"` when counters were
 * missing.
 *
 * `path` is the classifier's canonical path, already redacted (pipeline/classify/redact-path.ts): a
 * webhook code replaced by `{code}`, anything else under or near a REST entry point cut (`/rest/…`);
 * no query string, header, cookie or body value is ever copied in.
 */
import type { RequestContext } from '../pipeline/context';

export interface RequestLine {
  req_id: string;
  ip: string;
  portal: string;
  method: string;
  path: string;
  kind: string;
  why: string;
  login?: string;
  rest_method?: string;
  webhook_user?: string;
  status: number;
  /** `forwarded`, `decoy:<why>` (the portal asked with substituted credentials), or the reason of the gateway's own answer. */
  answer: string;
  duration_ms: number;
  error_code?: string;
  score?: number;
  action?: string;
  rules?: string[];
  would_have?: string;
  outcome?: 'success' | 'failure' | 'second_factor';
  outcome_action?: string;
  outcome_rules?: string[];
  store?: 'unavailable';
}

export function requestLine(ctx: RequestContext): RequestLine {
  const c = ctx.classified;
  const line: RequestLine = {
    req_id: ctx.id,
    ip: ctx.head.ip,
    portal: c?.portal ?? '',
    method: ctx.head.method,
    path: c?.path ?? '',
    kind: c?.kind ?? 'unclassified',
    why: c?.reason ?? '',
    status: ctx.status,
    answer: ctx.answer ? ctx.answer.reason : ctx.errorCode ? 'error' : ctx.decoy ? `decoy:${ctx.decoy}` : 'forwarded',
    duration_ms: Number(process.hrtime.bigint() - ctx.startedHr) / 1e6,
  };
  if (c?.principal.login) line.login = c.principal.login;
  if (c?.rest?.method) line.rest_method = c.rest.method;
  if (c?.principal.webhookUserId) line.webhook_user = c.principal.webhookUserId;
  if (ctx.errorCode) line.error_code = ctx.errorCode;
  const st = ctx.state;
  if (st?.attempt) {
    line.score = st.attempt.score;
    line.action = st.attempt.action?.do ?? 'none';
    line.rules = st.attempt.matched.map((r) => r.rule);
    if (st.attempt.wouldHave?.action) line.would_have = st.attempt.wouldHave.action.do;
  }
  if (st?.outcome) line.outcome = st.outcome.success ? 'success' : st.outcome.secondFactorAsked ? 'second_factor' : 'failure';
  if (st?.outcomeVerdict) {
    line.outcome_action = st.outcomeVerdict.action?.do ?? 'none';
    line.outcome_rules = st.outcomeVerdict.matched.map((r) => r.rule);
  }
  if (st?.storeUnavailable) line.store = 'unavailable';
  return line;
}
