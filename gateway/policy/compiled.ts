/**
 * `CompiledPolicy` and `CompiledPolicySet`: a policy set after every check, frozen. The gateway swaps
 * whole sets atomically; a request evaluates against the set it started with.
 */
import type { CelResult } from '@bufbuild/cel';
import type { CounterDef } from '../signals/counters/bank';
import type { ActionKind, CounterSpec, Mode, Phase, PolicyKind } from './spec';

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface CompiledRule {
  readonly id: string;
  readonly policy: string;
  readonly description?: string;
  readonly when: string;
  readonly score: number;
  readonly phase: Phase;
  /** The rule itself is `mode: shadow` (its policy's mode is on the policy). */
  readonly shadow: boolean;
  /** Where `when` is written. */
  readonly at: SourcePosition;
  /** Signals read (catalogue names) and counters read (`counters.<name>`). */
  readonly signals: readonly string[];
  readonly counters: readonly string[];
  /** The planned CEL program; evaluate.ts calls it with bound variables. */
  readonly program: (bindings: Record<string, unknown>) => CelResult;
}

export interface CompiledAction {
  readonly at: number;
  readonly do: ActionKind;
  readonly also: readonly ActionKind[];
  /** Absent: until lifted (blocks) or this request only (deny_attempt, notify). */
  readonly durationMs?: number;
  readonly escalate?: { readonly factor: number; readonly maxMs: number };
  /** block_ip: ip | ip_prefix; limit: webhook | app | method | portal | user. */
  readonly scope?: string;
  readonly limit?: { readonly requests: number; readonly perMs: number };
}

export interface CompiledCounter extends CounterDef {
  /** The policy that declared it first (others may declare the same definition). */
  readonly policy: string;
  readonly spec: CounterSpec;
  readonly at: SourcePosition;
  /** Signals its `where:` reads. */
  readonly signals: readonly string[];
}

export interface CompiledPolicy {
  readonly name: string;
  readonly description?: string;
  readonly file: string;
  readonly on: ReadonlySet<PolicyKind>;
  readonly mode: Mode;
  readonly rules: readonly CompiledRule[];
  /** Highest threshold first. */
  readonly actions: readonly CompiledAction[];
  /** Names of the counters it declares. */
  readonly counters: readonly string[];
}

export interface CompiledPolicySet {
  /** Content hash of the files (sha256, 16 hex digits): equal sets have equal versions. */
  readonly version: string;
  readonly policies: readonly CompiledPolicy[];
  /** Every counter of the set, by name (shared across policies when declared identically). */
  readonly counters: readonly CompiledCounter[];
  /** Signals that some rule or counter filter reads: the sense stage computes these and no others. */
  readonly referencedSignals: ReadonlySet<string>;
  /** Counter names (without `counters.`) that some rule reads: the sense stage reads these. */
  readonly referencedCounters: ReadonlySet<string>;
  readonly files: readonly string[];
}
