/**
 * PolicySpec → CompiledPolicy. Order of work for one file: YAML with positions → schema (unknown keys,
 * types; all problems) → meaning (counters, actions) → every CEL condition parsed, type-checked and
 * planned once. Then, across files: duplicate names and rule ids, counter definitions that disagree.
 * Every problem of every file is collected; a set is returned only when there are none.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { celEnv, plan } from '@bufbuild/cel';
import type { ErrorCode, FileProblem } from '../lib/errors';
import { compileSchema, sortProblems, type SchemaCodes, type SchemaValidator } from '../lib/schema-problems';
import { formatKeyPath, parseYaml, type KeyPath, type Position, type YamlSource } from '../lib/yaml-source';
import { SIGNALS_BY_NAME } from '../signals/catalog';
import type { CounterKey } from '../signals/counters/events';
import { checkCel, type CelProblem, type CelProblemKind } from './cel-check';
import type { CompiledAction, CompiledCounter, CompiledPolicy, CompiledPolicySet, CompiledRule, SourcePosition } from './compiled';
import { parseDuration } from './duration';
import { POLICY_FORMATS, POLICY_SCHEMA } from './schema';
import { bind } from './signals';
import { ACTION_SCOPES, DEFAULT_SCOPE, type CounterSpec, type PolicyKind, type PolicySpec } from './spec';

export const POLICY_CODES: SchemaCodes = {
  unknownKey: 'PC_ERR_POLICY_UNKNOWN_KEY',
  invalid: 'PC_ERR_POLICY_TYPE',
  required: 'PC_ERR_POLICY_REQUIRED',
};

let validator: SchemaValidator | undefined;
export function policyValidator(): SchemaValidator {
  validator ??= compileSchema(POLICY_SCHEMA, { formats: POLICY_FORMATS });
  return validator;
}

const CEL_CODES: Readonly<Record<CelProblemKind, ErrorCode>> = {
  syntax: 'PC_ERR_POLICY_CEL_SYNTAX',
  unknown_signal: 'PC_ERR_POLICY_UNKNOWN_SIGNAL',
  undeclared_counter: 'PC_ERR_POLICY_UNDECLARED_COUNTER',
  type: 'PC_ERR_POLICY_CEL_TYPE',
  phase: 'PC_ERR_POLICY_PHASE',
};

// One environment for every program: the std library, no extensions, no protobuf messages.
const ENV = celEnv();

/** One policy file's text, named as it should appear in messages. */
export interface PolicySource {
  readonly file: string;
  readonly text: string;
}

export interface CompiledFile {
  readonly policy?: CompiledPolicy;
  readonly counters: readonly CompiledCounter[];
  readonly problems: readonly FileProblem[];
}

/**
 * Where offset `offset` of a CEL text lies in the file, given where its YAML value starts: plain and
 * quoted scalars start on the value's line (after the quote), block scalars (`|`, `>`) on the next one;
 * continuation lines are followed by their indentation.
 */
export function positionInValue(text: string, valueAt: Position, offset: number): Position {
  const lines = text.split('\n');
  let line = valueAt.line;
  let col = valueAt.col;
  const first = lines[line - 1] ?? '';
  const ch = first[col - 1];
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  if (ch === '|' || ch === '>') {
    line += 1;
    while (line <= lines.length && lines[line - 1]!.trim() === '') line++;
    col = indentOf(lines[line - 1] ?? '') + 1;
  } else if (ch === '"' || ch === "'") {
    col += 1;
  }
  let remaining = offset;
  for (;;) {
    const content = (lines[line - 1] ?? '').slice(col - 1).trimEnd();
    if (remaining <= content.length || line >= lines.length) return { line, col: col + remaining };
    remaining -= content.length + 1;
    line += 1;
    col = indentOf(lines[line - 1] ?? '') + 1;
  }
}

class FileContext {
  readonly problems: FileProblem[] = [];
  constructor(
    readonly source: YamlSource,
    readonly text: string,
  ) {}

  problem(code: ErrorCode, path: KeyPath, problem: string, options: { target?: 'key' | 'value'; at?: Position; allowed?: readonly string[] } = {}): void {
    const at = options.at ?? this.source.locate(path, options.target ?? 'value');
    this.problems.push({
      code,
      file: this.source.file,
      line: at.line,
      col: at.col,
      keyPath: formatKeyPath(path),
      problem,
      ...(options.allowed && options.allowed.length > 0 ? { allowed: options.allowed } : {}),
    });
  }

  celProblem(path: KeyPath, p: CelProblem): void {
    const at = positionInValue(this.text, this.source.locate(path, 'value'), p.offset);
    this.problem(CEL_CODES[p.kind], path, p.message, { at, allowed: p.allowed });
  }

  position(path: KeyPath): SourcePosition {
    return { file: this.source.file, ...this.source.locate(path, 'value') };
  }
}

/** Kinds a signal exists for, as a readable list. */
function signalKindProblem(name: string, on: readonly PolicyKind[]): string | undefined {
  const def = SIGNALS_BY_NAME.get(name);
  if (!def?.kinds) return undefined;
  if (on.some((k) => def.kinds!.includes(k))) return undefined;
  return `${name} exists only for ${def.kinds.join(', ')} requests; this policy is on: [${on.join(', ')}]`;
}

interface CheckedCondition {
  readonly program?: (bindings: Record<string, unknown>) => ReturnType<ReturnType<typeof plan>>;
  readonly signals: string[];
  readonly counters: string[];
}

function checkCondition(
  ctx: FileContext,
  path: KeyPath,
  text: string,
  options: { counters: readonly string[]; countersForbidden?: string; outcomeAllowed: boolean; outcomeWhy: string; on: readonly PolicyKind[] },
): CheckedCondition {
  const result = checkCel(text, { signals: SIGNALS_BY_NAME, counters: options.counters, countersForbidden: options.countersForbidden });
  for (const p of result.problems) ctx.celProblem(path, p);
  const signals = [...new Set(result.signals.map((r) => r.name))];
  const counters = [...new Set(result.counters.map((r) => r.name))];
  if (result.problems.length > 0 || !result.parsed) return { signals, counters };
  let failed = false;
  const type = result.type!;
  if (type.k !== 'bool' && type.k !== 'dyn' && type.k !== 'error') {
    ctx.celProblem(path, { kind: 'type', offset: 0, message: `a condition must be a bool, but this is ${type.k === 'list' || type.k === 'map' ? 'a' : 'an'} ${type.k === 'list' ? 'list' : type.k}; compare it, e.g. \`${text.trim()} > 0\`` });
    failed = true;
  }
  for (const ref of result.signals) {
    if (!options.outcomeAllowed && SIGNALS_BY_NAME.get(ref.name)?.phase === 'outcome') {
      ctx.celProblem(path, { kind: 'phase', offset: ref.offset, message: `${ref.name} is known only after the portal answered; ${options.outcomeWhy}` });
      failed = true;
    }
    const kindProblem = signalKindProblem(ref.name, options.on);
    if (kindProblem) {
      const at = positionInValue(ctx.text, ctx.source.locate(path, 'value'), ref.offset);
      ctx.problem('PC_ERR_POLICY_SIGNAL_KIND', path, kindProblem, { at });
      failed = true;
    }
  }
  if (failed) return { signals, counters };
  const program = plan(ENV, result.parsed.raw as Parameters<typeof plan>[1]) as (b: Record<string, unknown>) => ReturnType<ReturnType<typeof plan>>;
  return { program, signals, counters };
}

function compileCounters(ctx: FileContext, spec: PolicySpec): CompiledCounter[] {
  const out: CompiledCounter[] = [];
  for (const [name, raw] of Object.entries(spec.counters ?? {})) {
    const c = raw as CounterSpec & { count?: string; distinct?: string; of?: string };
    const path = ['counters', name];
    if (c.count !== undefined && c.distinct !== undefined) {
      ctx.problem('PC_ERR_POLICY_COUNTER', [...path, 'distinct'], 'a counter is either { count: <event> } or { distinct: <key>, of: <event> }, not both', { target: 'key' });
      continue;
    }
    if (c.count === undefined && c.distinct === undefined) {
      ctx.problem('PC_ERR_POLICY_COUNTER', path, 'say what to count: count: <event>, or distinct: <key> with of: <event>', { target: 'key', allowed: ['count', 'distinct'] });
      continue;
    }
    if (c.count !== undefined && c.of !== undefined) {
      ctx.problem('PC_ERR_POLICY_COUNTER', [...path, 'of'], '`of` goes with `distinct`; a count names its event in `count:`', { target: 'key' });
      continue;
    }
    if (c.distinct !== undefined && c.of === undefined) {
      ctx.problem('PC_ERR_POLICY_COUNTER', path, `distinct: ${c.distinct} needs of: <event> (distinct ${c.distinct} values of which event?)`, { target: 'key' });
      continue;
    }
    if (c.distinct !== undefined && c.by.includes(c.distinct as never)) {
      ctx.problem('PC_ERR_POLICY_COUNTER', [...path, 'by'], `counting distinct ${c.distinct} by ${c.distinct} is always 0 or 1; remove it from by`);
      continue;
    }
    const event = (c.count ?? c.of)!;
    let where: CompiledCounter['where'];
    let signals: string[] = [];
    if (c.where !== undefined) {
      const checked = checkCondition(ctx, [...path, 'where'], c.where, {
        counters: [],
        countersForbidden: 'a counter filter cannot read counters',
        outcomeAllowed: false,
        outcomeWhy: 'a counter filter sees the request, not the answer (count the outcome event instead)',
        on: spec.on,
      });
      signals = checked.signals;
      if (!checked.program) continue;
      const program = checked.program;
      const names = checked.signals;
      where = (s) => {
        const r = program(bind(s, names, true).values);
        return r === true;
      };
    }
    out.push({
      name,
      type: c.count !== undefined ? 'count' : 'distinct',
      event,
      ...(c.distinct !== undefined ? { distinct: c.distinct as CounterKey } : {}),
      by: [...c.by],
      windowMs: parseDuration(c.window)!,
      ...(where ? { where } : {}),
      policy: spec.name,
      spec: raw,
      at: ctx.position(path),
      signals,
    });
  }
  return out;
}

function compileActions(ctx: FileContext, spec: PolicySpec): CompiledAction[] {
  const out: CompiledAction[] = [];
  const actions = spec.actions ?? [];
  actions.forEach((a, i) => {
    const path = ['actions', i];
    let ok = true;
    const bad = (key: string, problem: string, allowed?: readonly string[]): void => {
      ctx.problem('PC_ERR_POLICY_ACTION', [...path, key], problem, { target: 'key', allowed });
      ok = false;
    };
    const prev = actions[i - 1];
    if (prev && !(a.at < prev.at)) {
      ctx.problem('PC_ERR_POLICY_ACTION', [...path, 'at'], `thresholds go highest first, each lower than the one before: ${a.at} comes after ${prev.at}`);
      ok = false;
    }
    if (a.also?.includes(a.do)) bad('also', `also repeats do: ${a.do}`);
    const timeless = a.do === 'deny_attempt' || a.do === 'notify';
    if (timeless && a.duration !== undefined) bad('duration', `${a.do} acts on this request only and has no duration; use block_ip or block_user for a lasting block`);
    if (a.escalate && a.duration === undefined) bad('escalate', 'escalate needs a duration to grow (without one the block lasts until lifted)');
    if (a.escalate && a.duration !== undefined && parseDuration(a.escalate.max)! < parseDuration(a.duration)!) bad('escalate', `escalate.max (${a.escalate.max}) is shorter than the duration (${a.duration})`);
    const scopes = ACTION_SCOPES[a.do];
    if (a.scope !== undefined && (!scopes || !scopes.includes(a.scope))) bad('scope', scopes ? `${a.do} cannot be scoped to ${a.scope}` : `${a.do} takes no scope`, scopes);
    if (a.do === 'limit' && !a.limit) bad('do', 'do: limit needs limit: { requests: <n>, per: <duration> } (requests: 0 blocks the scope)');
    if (a.do !== 'limit' && a.limit) bad('limit', `limit: goes with do: limit, not do: ${a.do}`);
    if (!ok) return;
    const scope = a.scope ?? DEFAULT_SCOPE[a.do];
    out.push({
      at: a.at,
      do: a.do,
      also: [...(a.also ?? [])],
      ...(a.duration !== undefined ? { durationMs: parseDuration(a.duration)! } : {}),
      ...(a.escalate ? { escalate: { factor: a.escalate.factor, maxMs: parseDuration(a.escalate.max)! } } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(a.limit ? { limit: { requests: a.limit.requests, perMs: parseDuration(a.limit.per)! } } : {}),
    });
  });
  return out;
}

/** The `when:` conditions of a file that failed its schema, checked as far as its shape allows. */
function conditionsOfInvalid(ctx: FileContext, value: unknown): void {
  if (!value || typeof value !== 'object') return;
  const v = value as { on?: unknown; counters?: unknown; rules?: unknown };
  const on = Array.isArray(v.on) ? (v.on.filter((k) => typeof k === 'string') as PolicyKind[]) : [];
  const counters = v.counters && typeof v.counters === 'object' && !Array.isArray(v.counters) ? Object.keys(v.counters) : [];
  if (!Array.isArray(v.rules)) return;
  v.rules.forEach((r: unknown, i) => {
    if (!r || typeof r !== 'object') return;
    const rule = r as { when?: unknown; phase?: unknown };
    if (typeof rule.when !== 'string' || rule.when === '') return;
    checkCondition(ctx, ['rules', i, 'when'], rule.when, {
      counters,
      outcomeAllowed: rule.phase === 'outcome',
      outcomeWhy: 'add `phase: outcome` to this rule to score the answer',
      on: on.length > 0 ? on : ['login', 'otp', 'password_recovery', 'password_change', 'rest', 'oauth_token'],
    });
  });
}

/** Compiles one policy file; `source` already parsed (see compilePolicyText). */
function compileParsed(ctx: FileContext): CompiledFile {
  const value = ctx.source.value ?? {};
  const schemaProblems = policyValidator().problems(value, { file: ctx.source.file, locate: ctx.source.locate, codes: POLICY_CODES });
  if (schemaProblems.length > 0) {
    // The file's shape is wrong somewhere; its conditions may still be checked, so one run shows all.
    conditionsOfInvalid(ctx, value);
    return { counters: [], problems: sortProblems([...schemaProblems, ...ctx.problems]) };
  }
  const spec = value as PolicySpec;
  const counters = compileCounters(ctx, spec);
  const counterNames = Object.keys(spec.counters ?? {});
  const actions = compileActions(ctx, spec);
  const rules: CompiledRule[] = [];
  const seen = new Map<string, number>();
  spec.rules.forEach((r, i) => {
    const path = ['rules', i];
    if (seen.has(r.id)) {
      ctx.problem('PC_ERR_POLICY_DUPLICATE', [...path, 'id'], `rule id ${r.id} is used twice in this file (also rules[${seen.get(r.id)}])`);
    }
    seen.set(r.id, i);
    const phase = r.phase ?? 'attempt';
    const checked = checkCondition(ctx, [...path, 'when'], r.when, {
      counters: counterNames,
      outcomeAllowed: phase === 'outcome',
      outcomeWhy: 'add `phase: outcome` to this rule to score the answer',
      on: spec.on,
    });
    if (!checked.program) return;
    rules.push({
      id: r.id,
      policy: spec.name,
      ...(r.description !== undefined ? { description: r.description } : {}),
      when: r.when,
      score: r.score,
      phase,
      shadow: r.mode === 'shadow',
      at: ctx.position([...path, 'when']),
      signals: checked.signals,
      counters: checked.counters,
      program: checked.program,
    });
  });
  if (ctx.problems.length > 0) return { counters: [], problems: sortProblems(ctx.problems) };
  const policy: CompiledPolicy = {
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    file: ctx.source.file,
    on: new Set(spec.on),
    mode: spec.mode ?? 'enforce',
    rules,
    actions,
    counters: counterNames,
  };
  return { policy, counters, problems: [] };
}

export function compilePolicyText(source: PolicySource): CompiledFile & { readonly source: YamlSource } {
  const yaml = parseYaml(source.text, { file: source.file, syntaxCode: 'PC_ERR_POLICY_YAML' });
  if (yaml.problems.length > 0) return { source: yaml, counters: [], problems: yaml.problems };
  return { source: yaml, ...compileParsed(new FileContext(yaml, source.text)) };
}

function sameCounter(a: CompiledCounter, b: CompiledCounter): boolean {
  const norm = (c: CompiledCounter): string => JSON.stringify({ t: c.type, e: c.event, d: c.distinct, by: [...c.by].sort(), w: c.windowMs, f: (c.spec as { where?: string }).where ?? '' });
  return norm(a) === norm(b);
}

/** Compiles a whole set: every file's problems, then the problems between files. */
export function compilePolicySet(sources: readonly PolicySource[]): { set?: CompiledPolicySet; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const compiled = sources.map((s) => ({ s, c: compilePolicyText(s) }));
  for (const { c } of compiled) problems.push(...c.problems);

  // Between files: names, rule ids and counters. Point at the later one, name the earlier one.
  const names = new Map<string, string>();
  const ruleIds = new Map<string, SourcePosition>();
  const counters = new Map<string, CompiledCounter>();
  for (const { c } of compiled) {
    const policy = c.policy;
    if (!policy) continue;
    const dup = (path: KeyPath, problem: string): void => {
      problems.push({ code: 'PC_ERR_POLICY_DUPLICATE', file: policy.file, ...c.source.locate(path, 'value'), keyPath: formatKeyPath(path), problem });
    };
    if (names.has(policy.name)) dup(['name'], `policy name ${policy.name} is also used by ${names.get(policy.name)}`);
    else names.set(policy.name, policy.file);
    policy.rules.forEach((rule) => {
      const earlier = ruleIds.get(rule.id);
      const index = (c.source.value as PolicySpec).rules.findIndex((r) => r.id === rule.id);
      if (earlier && earlier.file !== policy.file) dup(['rules', index, 'id'], `rule id ${rule.id} is also defined at ${earlier.file}:${earlier.line}:${earlier.col}; rule ids are unique across the set`);
      else if (!earlier) ruleIds.set(rule.id, rule.at);
    });
    for (const counter of c.counters) {
      const earlier = counters.get(counter.name);
      if (earlier && !sameCounter(earlier, counter)) {
        dup(['counters', counter.name], `counter ${counter.name} is also declared, differently, by policy ${earlier.policy} (${earlier.at.file}:${earlier.at.line}); counter names are shared across the set: rename one, or make them identical`);
      } else if (!earlier) counters.set(counter.name, counter);
    }
  }
  if (problems.length > 0) return { problems: sortProblems(problems) };

  const policies = compiled.map(({ c }) => c.policy!).filter(Boolean);
  const referencedSignals = new Set<string>();
  const referencedCounters = new Set<string>();
  for (const p of policies) {
    for (const r of p.rules) {
      r.signals.forEach((s) => referencedSignals.add(s));
      r.counters.forEach((s) => referencedCounters.add(s.slice('counters.'.length)));
    }
  }
  for (const c of counters.values()) c.signals.forEach((s) => referencedSignals.add(s));
  // The version is the files' names and contents, never how their folder was spelled (./policies,
  // /etc/portcullis/policies/, a symlink): a CI lint and every replica report the same version.
  const hash = createHash('sha256');
  const named = sources.map((s) => ({ name: basename(s.file), text: s.text })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of named) hash.update(`${s.name}\0${s.text}\0`);
  const set: CompiledPolicySet = deepFreeze({
    version: hash.digest('hex').slice(0, 16),
    policies,
    counters: [...counters.values()],
    referencedSignals,
    referencedCounters,
    files: sources.map((s) => s.file),
  });
  return { set, problems: [] };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    if (value instanceof Set || value instanceof Map) {
      // Sets cannot be frozen in place; their contents are strings. Lock the mutators instead.
      for (const method of ['add', 'delete', 'clear', 'set']) {
        if (method in value) Object.defineProperty(value, method, { value: () => { throw new TypeError('a compiled policy set is immutable'); } });
      }
    }
    Object.freeze(value);
    for (const v of Object.values(value as object)) if (typeof v !== 'function') deepFreeze(v);
    if (value instanceof Set) for (const v of value) deepFreeze(v);
  }
  return value;
}
