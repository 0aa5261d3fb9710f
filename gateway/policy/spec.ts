/**
 * `PolicySpec`: a policy file as its author wrote it, after schema validation and before any checking
 * of meaning. Nothing here is trusted beyond its shape: compile.ts turns it into a `CompiledPolicy`.
 *
 * Lifetimes: PolicySpec (as written) → CompiledPolicy / CompiledPolicySet (checked, immutable, compiled
 * CEL) → Verdict (one evaluation, gateway/decision/verdict.ts).
 */
import type { CounterKey } from '../signals/counters/events';

export const POLICY_VERSION = 'portcullis/v1';

/** The request kinds a policy may apply to (websocket and other are never scored). */
export const POLICY_KINDS = ['login', 'otp', 'password_recovery', 'password_change', 'rest', 'oauth_token'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const PHASES = ['attempt', 'outcome'] as const;
export type Phase = (typeof PHASES)[number];

export type Mode = 'enforce' | 'shadow';

/**
 * What an action does. The strongest first: this order decides a verdict's primary action when several
 * policies act on one request.
 */
export const ACTION_KINDS = ['block_user', 'block_portal_rest', 'require_reset', 'block_ip', 'limit', 'deny_attempt', 'notify'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_DESCRIPTIONS: Readonly<Record<ActionKind, string>> = {
  block_user: 'block the user: every login of theirs gets the decoy until lifted (or the duration ends)',
  block_portal_rest: "block the whole portal's REST API (403 in the portal's envelope), as the seed article does",
  require_reset: 'the old password is refused until a password change is seen',
  block_ip: 'block the client address (or its /24, /64 prefix with scope: ip_prefix)',
  limit: 'a REST limit (or, with requests: 0, a block) on one webhook, app, method or portal',
  deny_attempt: 'answer this attempt with the decoy (login) or an error (REST) and do not forward it',
  notify: "tell the portal's admins (throttled)",
};

/** What a `block_ip` or `limit` action applies to. */
export const ACTION_SCOPES: Readonly<Partial<Record<ActionKind, readonly string[]>>> = {
  block_ip: ['ip', 'ip_prefix'],
  limit: ['webhook', 'app', 'method', 'portal', 'user'],
};
export const DEFAULT_SCOPE: Readonly<Partial<Record<ActionKind, string>>> = { block_ip: 'ip', limit: 'webhook' };

export interface CountCounterSpec {
  readonly count: string;
  readonly by: readonly CounterKey[];
  readonly window: string;
  readonly where?: string;
}

export interface DistinctCounterSpec {
  readonly distinct: CounterKey;
  readonly of: string;
  readonly by: readonly CounterKey[];
  readonly window: string;
  readonly where?: string;
}

export type CounterSpec = CountCounterSpec | DistinctCounterSpec;

export interface RuleSpec {
  readonly id: string;
  readonly description?: string;
  readonly when: string;
  readonly score: number;
  /** Default `attempt`. */
  readonly phase?: Phase;
  /** Only `shadow` may be written: a rule is enforced unless it or its policy is in shadow. */
  readonly mode?: 'shadow';
}

export interface LimitSpec {
  /** Requests allowed per `per`; 0 blocks the scope outright (a scoped breaker). */
  readonly requests: number;
  readonly per: string;
}

export interface ActionSpec {
  readonly at: number;
  readonly do: ActionKind;
  readonly also?: readonly ActionKind[];
  /** Absent: until lifted (blocks), or this request only (deny_attempt). */
  readonly duration?: string;
  readonly escalate?: { readonly factor: number; readonly max: string };
  readonly scope?: string;
  readonly limit?: LimitSpec;
}

export interface PolicySpec {
  readonly version: typeof POLICY_VERSION;
  readonly name: string;
  readonly description?: string;
  readonly on: readonly PolicyKind[];
  /** Default `enforce`. */
  readonly mode?: Mode;
  readonly counters?: Readonly<Record<string, CounterSpec>>;
  readonly rules: readonly RuleSpec[];
  readonly actions?: readonly ActionSpec[];
}
