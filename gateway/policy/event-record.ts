/**
 * The policy event log: one JSON object per line, written by the gateway's record stage (one line per
 * scored phase) and read by `portcullis policy replay` and `policy explain`. Never a secret in it:
 * signals are the computed values (keyed hashes, booleans, numbers), never a password or a code.
 *
 *   {"at":"2026-01-01T10:00:00.000Z","kind":"login","phase":"attempt",
 *    "signals":{"request.ip":"203.0.113.5","user.login":"anna","device.known":false},
 *    "counters":{"device_failures_unknown_15m":11},
 *    "verdict":{"action":"deny_attempt","also":[],"rules":["unknown-device-burst"],"setVersion":"66f7bbf1e62c2ffe"}}
 *
 * - `at`: ISO 8601 (or epoch milliseconds); `kind`: a request kind; `phase`: attempt | outcome;
 * - `signals`: flat dotted names (nested groups are accepted too), as the sense stage computed them;
 * - `counters`: the values read for this evaluation, by counter name (without `counters.`);
 * - `verdict` (optional): what the gateway decided then, the baseline a replay compares against;
 * - `global_shadow` (optional): true when the gateway ran in global shadow mode (enforcing nothing).
 */
import { REQUEST_KINDS, type RequestKind } from '../pipeline/request';
import { flattenSignals } from './signals';
import { ACTION_KINDS, PHASES, type ActionKind, type Phase } from './spec';

export interface RecordedVerdict {
  readonly action?: ActionKind;
  readonly also?: readonly ActionKind[];
  readonly rules: readonly string[];
  readonly setVersion?: string;
}

export interface EventRecord {
  readonly at: string | number;
  readonly kind: RequestKind;
  readonly phase: Phase;
  readonly signals: Readonly<Record<string, unknown>>;
  readonly counters: Readonly<Record<string, number>>;
  readonly verdict?: RecordedVerdict;
  /** The gateway ran in global shadow mode: the verdict enforced nothing, and a replay evaluates the same way. */
  readonly global_shadow?: boolean;
}

/** Parses one record (a JSON line's value, or a request file's), with every problem named. */
export function toEventRecord(value: unknown, options: { requireAt?: boolean } = {}): { record?: EventRecord; problems: string[] } {
  const problems: string[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { problems: ['expected a JSON object { at, kind, phase, signals, counters }'] };
  const v = value as Record<string, unknown>;
  const known = new Set(['at', 'kind', 'phase', 'signals', 'counters', 'verdict', 'global_shadow', 'prior_offences']);
  for (const key of Object.keys(v)) if (!known.has(key)) problems.push(`unknown key ${key}; allowed: ${[...known].join(', ')}`);
  if (options.requireAt && v.at === undefined) problems.push('at is missing (ISO 8601 time)');
  if (v.at !== undefined && typeof v.at !== 'string' && typeof v.at !== 'number') problems.push('at must be an ISO 8601 string or epoch milliseconds');
  if (typeof v.at === 'string' && Number.isNaN(Date.parse(v.at))) problems.push(`at ${JSON.stringify(v.at)} is not an ISO 8601 time`);
  if (typeof v.kind !== 'string' || !(REQUEST_KINDS as readonly string[]).includes(v.kind)) problems.push(`kind must be one of ${REQUEST_KINDS.join(', ')}`);
  const phase = v.phase ?? 'attempt';
  if (typeof phase !== 'string' || !(PHASES as readonly string[]).includes(phase)) problems.push(`phase must be one of ${PHASES.join(', ')}`);
  if (v.signals !== undefined && (typeof v.signals !== 'object' || v.signals === null || Array.isArray(v.signals))) problems.push('signals must be an object of signal name → value');
  if (v.counters !== undefined && (typeof v.counters !== 'object' || v.counters === null || Array.isArray(v.counters))) problems.push('counters must be an object of counter name → number');
  const counters: Record<string, number> = {};
  for (const [name, n] of Object.entries((v.counters as Record<string, unknown>) ?? {})) {
    if (typeof n !== 'number' || !Number.isFinite(n)) problems.push(`counters.${name} must be a number`);
    else counters[name.replace(/^counters\./, '')] = n;
  }
  let verdict: RecordedVerdict | undefined;
  if (v.verdict !== undefined) {
    const r = v.verdict as Record<string, unknown>;
    if (!r || typeof r !== 'object') problems.push('verdict must be an object { action, also, rules }');
    else {
      if (r.action !== undefined && !(ACTION_KINDS as readonly unknown[]).includes(r.action)) problems.push(`verdict.action must be one of ${ACTION_KINDS.join(', ')} (or absent)`);
      verdict = { ...(r.action ? { action: r.action as ActionKind } : {}), also: (r.also as ActionKind[]) ?? [], rules: Array.isArray(r.rules) ? (r.rules as string[]) : [], ...(typeof r.setVersion === 'string' ? { setVersion: r.setVersion } : {}) };
    }
  }
  if (v.global_shadow !== undefined && typeof v.global_shadow !== 'boolean') problems.push('global_shadow must be true or false');
  if (problems.length > 0) return { problems };
  return {
    record: {
      at: (v.at as string | number | undefined) ?? 0,
      kind: v.kind as RequestKind,
      phase: phase as Phase,
      signals: flattenSignals((v.signals as Record<string, unknown>) ?? {}),
      counters,
      ...(verdict ? { verdict } : {}),
      ...(v.global_shadow === true ? { global_shadow: true } : {}),
    },
    problems: [],
  };
}

/** The signals of a record as evaluate() takes them: counters as `counters.<name>`. */
export function recordSignals(record: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record.signals };
  for (const [name, n] of Object.entries(record.counters)) out[`counters.${name}`] = n;
  return out;
}

/** Serialises a record as one log line (what the gateway will write). */
export function formatEventRecord(record: EventRecord): string {
  return JSON.stringify(record, (_k, value: unknown) => (typeof value === 'bigint' ? Number(value) : value));
}
