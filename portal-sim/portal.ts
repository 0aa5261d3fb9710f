/**
 * One simulated portal's mutable state: users (passwords change), the portal's own login failure
 * counters, sessions, the mailbox of check words, OAuth tokens, deals and the REST bucket.
 */
import crypto from 'node:crypto';
import type { Clock } from '../gateway/lib/clock';
import { LeakyBucket, type BucketOptions } from './bucket';
import type { SeedApp, SeedPortal, SeedUser, SeedWebhook } from './seed';

export interface UserState extends SeedUser {
  /** b_user.LOGIN_ATTEMPTS: failed logins since the last success. */
  failures: number;
}

export interface Session {
  userId?: number;
  /** Set by a right password for a user with a second factor; the OTP step completes it. */
  otpPending?: { userId: number; remember: boolean };
}

export interface AccessToken {
  app: SeedApp;
  expiresMs: number;
}

export interface RefreshToken {
  app: SeedApp;
  expiresMs: number;
}

export interface Deal {
  ID: number;
  TITLE: string;
  STAGE_ID: string;
  OPPORTUNITY: number;
  CURRENCY_ID: string;
  ASSIGNED_BY_ID: number;
  DATE_CREATE: string;
}

export const ACCESS_TOKEN_TTL_MS = 3600 * 1000;
export const REFRESH_TOKEN_TTL_MS = 28 * 24 * 3600 * 1000;
/** Sessions and remember-me hashes kept at most; the oldest go first (a bound, not a feature). */
const MAX_SESSIONS = 100_000;

export class Portal {
  readonly host: string;
  readonly aliases: string[];
  private readonly usersByLogin = new Map<string, UserState>();
  readonly usersById = new Map<number, UserState>();
  private readonly sessions = new Map<string, Session>();
  /** BITRIX_SM_UIDH value → user id, for "remember me" logins by cookie. */
  readonly rememberHashes = new Map<string, number>();
  /** The last check word "e-mailed" per login (what a test reads), and the ones still valid. */
  readonly mailbox = new Map<string, string>();
  readonly checkwords = new Map<string, string>();
  readonly webhooks: SeedWebhook[];
  readonly apps: SeedApp[];
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly deals: Deal[] = [];
  private nextDealId = 1;
  readonly bucket: LeakyBucket | null;
  readonly memberId: string;

  constructor(
    seed: SeedPortal,
    readonly clock: Clock,
    bucket: BucketOptions | false,
  ) {
    this.host = seed.host;
    this.aliases = seed.aliases ?? [];
    this.memberId = crypto.createHash('md5').update(seed.host).digest('hex');
    for (const u of seed.users) {
      const state: UserState = { ...u, failures: 0 };
      // Logins are looked up case-insensitively, as MySQL's default collation compares b_user.LOGIN.
      this.usersByLogin.set(u.login.toLowerCase(), state);
      this.usersById.set(u.id, state);
    }
    this.webhooks = seed.webhooks ?? [];
    this.apps = seed.apps ?? [];
    const now = clock.now();
    for (const app of this.apps) {
      this.accessTokens.set(app.access_token, { app, expiresMs: now + ACCESS_TOKEN_TTL_MS });
      this.refreshTokens.set(app.refresh_token, { app, expiresMs: now + REFRESH_TOKEN_TTL_MS });
    }
    for (const d of seed.deals ?? []) this.addDeal({ ...d, id: d.id });
    this.bucket = bucket === false ? null : new LeakyBucket(bucket, clock);
  }

  userByLogin(login: string): UserState | undefined {
    return this.usersByLogin.get(login.toLowerCase());
  }

  userByEmail(email: string): UserState | undefined {
    const e = email.toLowerCase();
    for (const u of this.usersById.values()) if (u.email.toLowerCase() === e) return u;
    return undefined;
  }

  /** By mobile phone (PERSONAL_MOBILE, where the SMS check word goes), digits compared (the portal normalises USER_PHONE_NUMBER the same way). */
  userByPhone(phone: string): UserState | undefined {
    const digits = phone.replace(/\D+/g, '');
    if (digits === '') return undefined;
    for (const u of this.usersById.values()) if (u.mobile !== undefined && u.mobile.replace(/\D+/g, '') === digits) return u;
    return undefined;
  }

  session(id: string | undefined): Session | undefined {
    return id === undefined ? undefined : this.sessions.get(id);
  }

  saveSession(id: string, s: Session): void {
    this.sessions.delete(id);
    this.sessions.set(id, s);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }

  dropSession(id: string): void {
    this.sessions.delete(id);
  }

  addDeal(d: { id?: number; title?: string; stage_id?: string; opportunity?: number; currency_id?: string; assigned_by_id?: number }): Deal {
    const id = d.id ?? this.nextDealId;
    this.nextDealId = Math.max(this.nextDealId, id + 1);
    const deal: Deal = {
      ID: id,
      TITLE: d.title || `Deal #${id}`,
      STAGE_ID: d.stage_id ?? 'NEW',
      OPPORTUNITY: d.opportunity ?? 0,
      CURRENCY_ID: d.currency_id ?? 'USD',
      ASSIGNED_BY_ID: d.assigned_by_id ?? 1,
      DATE_CREATE: isoSeconds(this.clock.now()),
    };
    this.deals.push(deal);
    return deal;
  }

  /** A session id as PHP makes them (32 characters of [0-9a-v]); ours is hex, a subset. */
  static newSessionId(): string {
    return crypto.randomBytes(16).toString('hex');
  }

  /** A check word: 32 letters and digits. */
  static newCheckword(): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const bytes = crypto.randomBytes(32);
    let out = '';
    for (const b of bytes) out += chars[b % chars.length];
    return out;
  }

  /** OAuth tokens of the portal's shape: 70 hex characters. */
  static newOAuthToken(): string {
    return crypto.randomBytes(35).toString('hex');
  }
}

/** `2026-01-01T00:00:00+00:00`, the portal's ISO 8601 shape. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
