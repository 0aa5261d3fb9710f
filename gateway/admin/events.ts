/**
 * The admin plane as log lines, for a SIEM: who (a token's NAME, never the token) did what to which
 * portal, user, block or request. One line per event, with fixed field names:
 *
 *   event: 'audit'            every audit event (blocks made or lifted, unblock requests filed,
 *                             verified, approved, rejected, reset_required, reset_done), once, by
 *                             the replica that made the change: type, portal, actor, user, details
 *   event: 'admin_call'       every admin call that changes or tries to change something (POST, PUT,
 *                             DELETE, whatever its answer), and every read refused for its token
 *                             (401, 403): operation, method, status, code, token_name, role, ip, via
 *   event: 'console_sign_in'  result (signed_in, signed_out, refused, throttled), token_name, role, ip
 *
 * Audit events carry no secret by construction (lockout/, unblock-requests.ts); the calls' lines carry
 * no body and no query, so nothing typed into a request reaches the log.
 */
import type { AuditEvent } from '../store/port';
import type { Principal } from './roles';

/** The general logger's two levels used here (pino's signature). */
export interface EventLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export function logAuditEvent(log: EventLogger, e: AuditEvent): void {
  log.info({ event: 'audit', type: e.type, portal: e.portal, actor: e.actor, ...(e.user !== undefined ? { user: e.user } : {}), at: new Date(e.atMs).toISOString(), details: e.details ?? {} }, `audit: ${e.type}`);
}

export interface CallRecord {
  readonly operation: string;
  readonly method: string;
  readonly status: number;
  readonly code?: string;
  readonly who: Principal | null;
  readonly ip: string;
  /** Through the console (a session) or with the bearer header. */
  readonly via: 'bearer' | 'console';
}

export function logAdminCall(log: EventLogger, c: CallRecord): void {
  const line = { event: 'admin_call', operation: c.operation, method: c.method, status: c.status, ...(c.code ? { code: c.code } : {}), token_name: c.who?.name ?? null, role: c.who?.role ?? null, ip: c.ip, via: c.via };
  if (c.status >= 400) log.warn(line, `admin call refused: ${c.operation} (${c.status})`);
  else log.info(line, `admin call: ${c.operation}`);
}

export function logSignIn(log: EventLogger, result: 'signed_in' | 'signed_out' | 'refused' | 'throttled', who: Principal | null, ip: string): void {
  const line = { event: 'console_sign_in', result, token_name: who?.name ?? null, role: who?.role ?? null, ip };
  if (result === 'signed_in' || result === 'signed_out') log.info(line, `console ${result.replace('_', ' ')}: ${who?.name}`);
  else log.warn(line, `console sign-in ${result}`);
}
