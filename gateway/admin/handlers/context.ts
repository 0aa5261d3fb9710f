/** What every route handler gets, and what it returns. */
import type { Registry } from 'prom-client';
import type { Clock } from '../../lib/clock';
import type { BlockView } from '../../lockout/block-view';
import type { Directory } from '../../lockout/directory';
import type { Lockout } from '../../lockout/lockout';
import type { UnblockRequests } from '../../lockout/unblock-requests';
import type { CompiledPolicySet } from '../../policy/compiled';
import type { ReloadResult } from '../../policy/reloader';
import type { Store } from '../../store/port';
import type { Principal } from '../roles';
import type { QueryValues } from '../validate';

/** The live policy set, as the admin API shows and reloads it. */
export interface PolicyControl {
  current(): CompiledPolicySet;
  last(): ReloadResult;
  reload(): ReloadResult;
}

export interface Readiness {
  /** Null when ready, else why not (shown on /readyz). */
  notReadyBecause(): string | null;
}

export interface ControlPlane {
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly policies: PolicyControl;
  readonly store: Store;
  readonly view: BlockView;
  readonly lockout: Lockout;
  readonly directory: Directory;
  readonly requests: UnblockRequests;
  readonly secret: string;
  readonly clock: Clock;
  readonly ipPrefix: { readonly v4: number; readonly v6: number };
}

export interface Call {
  readonly cp: ControlPlane;
  readonly params: Readonly<Record<string, string>>;
  readonly query: QueryValues;
  readonly body: unknown;
  /** Who calls: the token's name and role (open routes: nobody's, and they do not read it). */
  readonly who: Principal;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** Sent as is with this content type (metrics). */
  readonly text?: { readonly contentType: string };
}

export type Handler = (call: Call) => Promise<Answer>;

export const ok = (body: unknown, status = 200): Answer => ({ status, body });

/** A portal name as the gateway keys it (lower case, no trailing dot). */
export function portalName(text: string): string {
  return text.trim().toLowerCase().replace(/\.+$/, '');
}
