/**
 * The one log line per request. Field names are fixed (ops build dashboards and alerts on them):
 *
 *   req_id, ip, portal, method, path, kind, why, login, rest_method, webhook_user,
 *   status, answer, duration_ms, error_code
 *
 * `path` is the canonical path with any webhook code masked; no query string, header, cookie or body
 * value is ever copied in.
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

export const MASK = '***';

export function requestLine(ctx: RequestContext, webhookCode: string | undefined): RequestLine {
  const c = ctx.classified;
  const line: RequestLine = {
    req_id: ctx.id,
    ip: ctx.head.ip,
    portal: c?.portal ?? '',
    method: ctx.head.method,
    path: c ? maskPath(c.path, webhookCode) : '',
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

/** Masks a webhook code wherever it appears in the path, whatever its case. */
export function maskPath(path: string, secret: string | undefined): string {
  if (!secret) return path;
  const lower = path.toLowerCase();
  const needle = secret.toLowerCase();
  let out = '';
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, from)) {
    out += path.slice(from, at) + MASK;
    from = at + needle.length;
  }
  return out + path.slice(from);
}
