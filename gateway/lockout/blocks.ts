/**
 * Blocks as values and as store records. One record per (portal, kind, subject): blocking what is
 * already blocked replaces the record (and counts the offence, for escalation), and lifting deletes it.
 *
 * The lockout lifecycle (DESIGN §1) is carried by these records:
 *   user block (+ portal_rest block)  ── support lifts ──▶  reset_required  ── password change seen ──▶  (none)
 * `reset_required` is a record of its own kind, enforced like a block for password logins, so that it
 * survives restarts and reaches every replica the same way blocks do.
 */
import type { StoredRecord } from '../store/port';

export type BlockKind = 'user' | 'portal_rest' | 'ip' | 'ip_prefix' | 'webhook' | 'app' | 'method' | 'reset_required' | 'limit';

export const BLOCK_KINDS: readonly BlockKind[] = ['user', 'portal_rest', 'ip', 'ip_prefix', 'webhook', 'app', 'method', 'reset_required', 'limit'];

/** What a `limit` record allows: so many requests per period (0: none, a breaker), per replica. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

export interface BlockRecord extends StoredRecord {
  readonly id: string;
  readonly portal: string;
  readonly kind: BlockKind;
  /**
   * What is blocked: the user's id (keyed hash) for user and reset_required, '' for portal_rest, the
   * address or prefix for ip/ip_prefix, the webhook key, the app hash, or the REST method.
   */
  readonly subject: string;
  /** The login, for user blocks and resets: ops and support need it. */
  readonly login?: string;
  /** Who or what: `rule:<id>` (first matched rule), `operator:<name>`, `support:<name>`. */
  readonly actor: string;
  readonly reason: string;
  readonly rules: readonly string[];
  readonly score: number;
  readonly createdAtMs: number;
  /** When enforcement ends; null: until lifted. */
  readonly endsAtMs: number | null;
  /**
   * When the store forgets the record: some time after it ends, so that a repeat offence escalates
   * (OFFENCE_MEMORY_MS). null: kept until lifted.
   */
  readonly expiresAtMs: number | null;
  /** How many times this subject has been blocked (1 for the first); durations escalate with it. */
  readonly offences: number;
  /**
   * For reset_required: a keyed hash of the password seen succeeding for the blocked account (when the
   * block came from a suspicious success), so that "the new password equals the old one" can be told.
   * Deleted with the record when the reset ends.
   */
  readonly oldPasswordHash?: string;
  /**
   * For user blocks: false when the verdict asked for the portal's REST block with it and the gateway
   * withheld it (an account nobody has, the portal's daily limit). Such a block does not keep the
   * portal's REST down when support lifts another user (Lockout.liftUser). Absent: it does.
   */
  readonly holdsPortalRest?: false;
  /** For limit: the allowed rate. The subject is `<scope>:<key>` (webhook:…, app:…, method:…, portal:, user:…). */
  readonly rate?: RateLimit;
}

export function blockId(kind: BlockKind, subject: string): string {
  return `${kind}:${subject}`;
}

/** An ended block is remembered this long for escalation (a repeat offence doubles the next one). */
export const OFFENCE_MEMORY_MS = 30 * 24 * 3600 * 1000;

export function isLive(b: Pick<BlockRecord, 'endsAtMs'>, nowMs: number): boolean {
  return b.endsAtMs === null || b.endsAtMs > nowMs;
}
