/**
 * What a portal's admins are told, built from an audit event through an allowlist: the notification
 * names the portal, the user's login, who acted, the rules and the request, and copies nothing else.
 * An audit event's `details` may grow new fields later; they do not reach a webhook until added here,
 * so a secret can never ride along by accident.
 */
import type { AuditEvent } from '../../store/port';

export type NotificationKind = 'user_blocked' | 'rest_blocked' | 'unblock_request_filed' | 'unblock_request_approved' | 'unblock_request_rejected' | 'reset_done';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['user_blocked', 'rest_blocked', 'unblock_request_filed', 'unblock_request_approved', 'unblock_request_rejected', 'reset_done'];

export interface Notification {
  readonly source: 'portcullis';
  readonly kind: NotificationKind;
  readonly portal: string;
  readonly at: string;
  readonly text: string;
  readonly user?: string;
  readonly actor?: string;
  readonly rules?: readonly string[];
  readonly reason?: string;
  readonly ends?: string;
  readonly request?: string;
  readonly channel?: string;
  /** Present on a throttled summary: how many events of this kind the window held, and whose. */
  readonly summary?: { readonly count: number; readonly users: readonly string[]; readonly first_at: string; readonly last_at: string };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 300) : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 20) : undefined);

const TEXT: Record<NotificationKind, (e: AuditEvent) => string> = {
  user_blocked: (e) => `${e.user ?? 'a user'} was blocked on ${e.portal}: logins get "Incorrect password" until support lifts the block.`,
  rest_blocked: (e) => `The REST API of ${e.portal} is blocked: integrations, webhooks and applications are refused until the block is lifted.`,
  unblock_request_filed: (e) => `An unblock request for ${e.user ?? 'a user'} on ${e.portal} was filed (${str(e.details?.channel) ?? 'employee'} channel).`,
  unblock_request_approved: (e) => `The unblock request for ${e.user ?? 'a user'} on ${e.portal} was approved: access and REST are restored; the user must set a new password.`,
  unblock_request_rejected: (e) => `The unblock request for ${e.user ?? 'a user'} on ${e.portal} was rejected.`,
  reset_done: (e) => `${e.user ?? 'A user'} set a new password on ${e.portal}: the account is active again.`,
};

/** The notification for an audit event, or null when the event is not one admins are told about. */
export function notificationOf(e: AuditEvent): Notification | null {
  if (!(NOTIFICATION_KINDS as readonly string[]).includes(e.type)) return null;
  const kind = e.type as NotificationKind;
  const d = e.details ?? {};
  const rules = strings(d.rules);
  const out: Record<string, unknown> = {
    source: 'portcullis',
    kind,
    portal: e.portal,
    at: new Date(e.atMs).toISOString(),
    text: TEXT[kind](e),
    ...(e.user ? { user: e.user } : {}),
    actor: e.actor,
    ...(rules && rules.length > 0 ? { rules } : {}),
    ...(str(d.reason) ? { reason: str(d.reason) } : {}),
    ...(str(d.ends) ? { ends: str(d.ends) } : {}),
    ...(str(d.request) ? { request: str(d.request) } : {}),
    ...(str(d.channel) ? { channel: str(d.channel) } : {}),
  };
  return out as unknown as Notification;
}

/** One message for the events a throttle window held back. */
export function summaryOf(first: Notification, held: readonly Notification[]): Notification {
  const users = [...new Set(held.map((n) => n.user).filter((u): u is string => !!u))];
  const count = held.length;
  const shown = users.slice(0, 20);
  const more = users.length > shown.length ? ` and ${users.length - shown.length} more` : '';
  return {
    source: 'portcullis',
    kind: first.kind,
    portal: first.portal,
    at: held[held.length - 1]!.at,
    text: `${count} more ${first.kind.replace(/_/g, ' ')} event(s) on ${first.portal}${shown.length > 0 ? `: ${shown.join(', ')}${more}` : ''}. See GET /v1/audit?portal=${first.portal}&type=${first.kind}.`,
    summary: { count, users: shown, first_at: held[0]!.at, last_at: held[held.length - 1]!.at },
  };
}
