/**
 * The one log line per request. Field names are fixed (ops build dashboards and alerts on them):
 *
 *   req_id, ip, portal, method, path, kind, why, login, rest_method, webhook_user,
 *   status, answer, duration_ms, error_code
 *
 * `path` is the classifier's canonical path, in which a webhook code is already replaced by `{code}`;
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
  /** `forwarded`, or the reason of the gateway's own answer. */
  answer: string;
  duration_ms: number;
  error_code?: string;
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
    answer: ctx.answer ? ctx.answer.reason : ctx.errorCode ? 'error' : 'forwarded',
    duration_ms: Number(process.hrtime.bigint() - ctx.startedHr) / 1e6,
  };
  if (c?.principal.login) line.login = c.principal.login;
  if (c?.rest?.method) line.rest_method = c.rest.method;
  if (c?.principal.webhookUserId) line.webhook_user = c.principal.webhookUserId;
  if (ctx.errorCode) line.error_code = ctx.errorCode;
  return line;
}
