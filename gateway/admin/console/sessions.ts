/**
 * The support console's sessions: an admin token is exchanged once, at sign-in, for a random session
 * id (the httpOnly cookie) and a CSRF token (kept by the page in memory, sent in a header on every
 * state change). Sessions live in this process's memory: a restart signs everyone out, and with
 * several replicas an operator's browser must keep reaching the same one (the admin listener is an
 * operator's port-forward or a sticky internal service, not a load-balanced public endpoint).
 *
 * A session ends at sign-out, after `idleMs` without a request, or `maxMs` after sign-in, whichever
 * comes first. Ids are stored as SHA-256 digests, so a heap dump does not hold usable cookies.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_CONFIG } from '../../config/defaults';
import type { Principal } from '../roles';

export interface SessionLimits {
  /** Ends the session after this long without a request (admin.console.sessionIdleMs). */
  readonly idleMs: number;
  /** Ends the session this long after sign-in, however busy (admin.console.sessionMaxMs). */
  readonly maxMs: number;
  /** At most this many live sessions; the oldest goes first (default 1000). */
  readonly maxSessions: number;
}

/** The lifetimes are configuration (admin.console, defaults in config/defaults.ts); the session cap is not. */
export const DEFAULT_LIMITS: SessionLimits = { idleMs: DEFAULT_CONFIG.admin.console.sessionIdleMs, maxMs: DEFAULT_CONFIG.admin.console.sessionMaxMs, maxSessions: 1000 };

interface Session {
  readonly csrf: string;
  /** The token signed in with: its name is the actor of every action of the session, its role bounds them. */
  readonly who: Principal;
  readonly createdMs: number;
  lastSeenMs: number;
}

export interface SessionInfo {
  readonly csrf: string;
  readonly who: Principal;
  readonly expiresAt: string;
}

export type Lookup = { readonly ok: true; readonly session: SessionInfo } | { readonly ok: false; readonly why: 'none' | 'expired' };

const digest = (s: string): string => createHash('sha256').update(s).digest('base64url');

/** Constant-time equality of two strings of any length (compared as fixed-length digests). */
export function sameSecret(given: string, want: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(want).digest());
}

export class ConsoleSessions {
  private readonly byDigest = new Map<string, Session>();

  constructor(
    readonly limits: SessionLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session: the cookie value (returned once, never stored as such) and its CSRF token. */
  create(who: Principal): { id: string; info: SessionInfo } {
    this.prune();
    while (this.byDigest.size >= this.limits.maxSessions) {
      const oldest = this.byDigest.keys().next().value as string;
      this.byDigest.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = { csrf: randomBytes(32).toString('base64url'), who, createdMs: t, lastSeenMs: t };
    this.byDigest.set(digest(id), session);
    return { id, info: this.info(session) };
  }

  /** The live session of this cookie value, touched (its idle clock restarts). */
  lookup(id: string | undefined): Lookup {
    if (!id) return { ok: false, why: 'none' };
    const key = digest(id);
    const s = this.byDigest.get(key);
    if (!s) return { ok: false, why: 'none' };
    const t = this.now();
    if (this.expired(s, t)) {
      this.byDigest.delete(key);
      return { ok: false, why: 'expired' };
    }
    s.lastSeenMs = t;
    return { ok: true, session: this.info(s) };
  }

  end(id: string | undefined): boolean {
    return id ? this.byDigest.delete(digest(id)) : false;
  }

  get size(): number {
    return this.byDigest.size;
  }

  private expired(s: Session, t: number): boolean {
    return t - s.lastSeenMs > this.limits.idleMs || t - s.createdMs > this.limits.maxMs;
  }

  private info(s: Session): SessionInfo {
    const ends = Math.min(s.lastSeenMs + this.limits.idleMs, s.createdMs + this.limits.maxMs);
    return { csrf: s.csrf, who: s.who, expiresAt: new Date(ends).toISOString() };
  }

  private prune(): void {
    const t = this.now();
    for (const [k, s] of this.byDigest) if (this.expired(s, t)) this.byDigest.delete(k);
  }
}
