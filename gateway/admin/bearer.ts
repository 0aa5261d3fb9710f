/**
 * Bearer tokens of the admin API: which named token (and so which role) a request carries. Each
 * comparison is constant time over fixed-length digests, and every token is compared whatever the
 * first matches, so the answer time says nothing about how much of a guess was right, or which
 * token it was close to; a missing and a wrong token are the same "nobody". Tokens are held as
 * digests only, and never logged: the name stands for the token everywhere.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config/types';
import { BUILT_IN_TOKEN_NAMES } from '../config/admin-tokens';
import type { Principal, Role } from './roles';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface NamedToken {
  readonly name: string;
  readonly role: Role;
  readonly token: string;
}

export class TokenSet {
  private readonly entries: readonly { readonly who: Principal; readonly digest: Buffer }[];

  constructor(tokens: readonly NamedToken[]) {
    this.entries = tokens.map((t) => ({ who: { name: t.name, role: t.role }, digest: digest(t.token) }));
  }

  /** The tokens of a configuration: PORTCULLIS_ADMIN_TOKEN as `admin`, PORTCULLIS_METRICS_TOKEN as `metrics`, then admin.tokens. */
  static fromConfig(admin: GatewayConfig['admin']): TokenSet {
    return new TokenSet([
      ...(admin.token ? [{ name: BUILT_IN_TOKEN_NAMES.admin, role: 'admin' as const, token: admin.token }] : []),
      ...(admin.metricsToken ? [{ name: BUILT_IN_TOKEN_NAMES.metrics, role: 'metrics' as const, token: admin.metricsToken }] : []),
      ...admin.tokens,
    ]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Who holds this secret, or null. */
  identify(given: string): Principal | null {
    const d = digest(given);
    let found: Principal | null = null;
    for (const e of this.entries) if (timingSafeEqual(d, e.digest) && found === null) found = e.who;
    return found;
  }

  /** Who the Authorization: Bearer header names, or null (no header, another scheme, a wrong token). */
  fromHeaders(headers: IncomingHttpHeaders): Principal | null {
    const h = headers.authorization;
    if (typeof h !== 'string' || !/^bearer /i.test(h)) return null;
    return this.identify(h.slice(7).trim());
  }
}
