/**
 * A type checker for policy conditions, over the AST that @bufbuild/cel parses.
 *
 * Why our own: @bufbuild/cel 0.6 ships a `Checker` that handles constants and identifiers only (it
 * throws on calls and selects) and does not export it. Policy conditions use a small part of CEL —
 * signals, counters, logic, comparisons, arithmetic, `in`, lists, `size`, string methods, conversions
 * and the comprehension macros — and that part is checked here, with the errors a policy author needs:
 * an unknown signal with the nearest names, an undeclared counter with the declared ones, an operator
 * applied to the wrong types, a condition that is not a bool.
 *
 * Names: `group.field` is one signal (CEL resolves the dotted name as a qualified identifier, which is
 * also how the evaluator binds it). The walk also collects every signal and counter referenced, so the
 * sense stage can compute only what the loaded policies read.
 */
import { parse } from '@bufbuild/cel';
import { nearest } from '../lib/nearest';
import type { SignalDef, SignalType } from '../signals/catalog';

// ---- the AST, structurally (the shapes @bufbuild/cel-spec's syntax_pb produces) ---------------------

interface Constant {
  readonly constantKind: { readonly case: string | undefined; readonly value?: unknown };
}
export interface Expr {
  readonly id: bigint;
  readonly exprKind:
    | { readonly case: 'constExpr'; readonly value: Constant }
    | { readonly case: 'identExpr'; readonly value: { readonly name: string } }
    | { readonly case: 'selectExpr'; readonly value: { readonly operand?: Expr; readonly field: string; readonly testOnly: boolean } }
    | { readonly case: 'callExpr'; readonly value: { readonly function: string; readonly target?: Expr; readonly args: readonly Expr[] } }
    | { readonly case: 'listExpr'; readonly value: { readonly elements: readonly Expr[] } }
    | { readonly case: 'structExpr'; readonly value: { readonly messageName: string; readonly entries: readonly { readonly keyKind: { case: string | undefined; value?: unknown }; readonly value?: Expr }[] } }
    | {
        readonly case: 'comprehensionExpr';
        readonly value: {
          readonly iterVar: string;
          readonly iterVar2?: string;
          readonly iterRange?: Expr;
          readonly accuVar: string;
          readonly accuInit?: Expr;
          readonly loopCondition?: Expr;
          readonly loopStep?: Expr;
          readonly result?: Expr;
        };
      }
    | { readonly case: undefined; readonly value?: undefined };
}

export interface ParsedCel {
  readonly expr: Expr;
  /** expression id → offset in the source text. */
  readonly positions: Readonly<Record<string, number>>;
  /** The value handed to @bufbuild/cel's `plan`. */
  readonly raw: unknown;
}

// ---- types --------------------------------------------------------------------------------------------

export type CelT =
  | { readonly k: 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'dyn' | 'error' }
  | { readonly k: 'list'; readonly elem: CelT }
  | { readonly k: 'map'; readonly key: CelT; readonly value: CelT };

const T = {
  bool: { k: 'bool' },
  int: { k: 'int' },
  uint: { k: 'uint' },
  double: { k: 'double' },
  string: { k: 'string' },
  bytes: { k: 'bytes' },
  null: { k: 'null' },
  dyn: { k: 'dyn' },
  error: { k: 'error' },
} as const satisfies Record<string, CelT>;

export function typeName(t: CelT): string {
  if (t.k === 'list') return `list(${typeName(t.elem)})`;
  if (t.k === 'map') return `map(${typeName(t.key)}, ${typeName(t.value)})`;
  return t.k;
}

const isNumeric = (t: CelT): boolean => t.k === 'int' || t.k === 'uint' || t.k === 'double';
const loose = (t: CelT): boolean => t.k === 'dyn' || t.k === 'error';

function same(a: CelT, b: CelT): boolean {
  if (loose(a) || loose(b)) return true;
  if (a.k === 'list' && b.k === 'list') return same(a.elem, b.elem);
  if (a.k === 'map' && b.k === 'map') return same(a.key, b.key) && same(a.value, b.value);
  return a.k === b.k;
}

/** == and ordering: same type, or numbers of any kind (CEL compares int, uint and double across). */
function comparable(a: CelT, b: CelT): boolean {
  return same(a, b) || (isNumeric(a) && isNumeric(b)) || a.k === 'null' || b.k === 'null';
}

const fromSignalType = (t: SignalType): CelT => T[t];

// ---- results ------------------------------------------------------------------------------------------

export type CelProblemKind = 'syntax' | 'unknown_signal' | 'undeclared_counter' | 'type' | 'phase';

export interface CelProblem {
  readonly kind: CelProblemKind;
  /** Offset in the expression text (0-based). */
  readonly offset: number;
  readonly message: string;
  readonly allowed?: readonly string[];
}

export interface CelReference {
  /** `device.known`, or `counters.user_failures_15m`. */
  readonly name: string;
  readonly offset: number;
}

export interface CelCheckResult {
  readonly parsed?: ParsedCel;
  readonly type?: CelT;
  readonly problems: readonly CelProblem[];
  readonly signals: readonly CelReference[];
  readonly counters: readonly CelReference[];
}

export interface CelCheckEnv {
  readonly signals: ReadonlyMap<string, SignalDef>;
  /** Counter names this condition may read (`counters.<name>`); empty for counter filters. */
  readonly counters: readonly string[];
  /** Why counters cannot be read here, when `counters` is empty on purpose (e.g. in a `where:`). */
  readonly countersForbidden?: string;
}

/** Parses `text` as CEL, or returns its syntax error with the offset in the text. */
export function parseCel(text: string): { parsed?: ParsedCel; problem?: CelProblem } {
  try {
    const raw = parse(text);
    const positions: Record<string, number> = {};
    for (const [id, offset] of Object.entries(raw.sourceInfo?.positions ?? {})) positions[id] = Number(offset);
    return { parsed: { expr: raw.expr as unknown as Expr, positions, raw } };
  } catch (err) {
    const e = err as Error & { location?: { start?: { offset?: number } }; rawMessage?: string };
    const offset = e.location?.start?.offset ?? 0;
    const message = (e.rawMessage ?? e.message).replace(/^<input>:\d+:\d+: /, '');
    return { problem: { kind: 'syntax', offset, message: `CEL syntax: ${message}` } };
  }
}

const FUNCTIONS = ['size', 'contains', 'startsWith', 'endsWith', 'matches', 'int', 'uint', 'double', 'string', 'bool', 'dyn', 'has', 'all', 'exists', 'exists_one', 'map', 'filter'];

/** Parses and type-checks one condition. */
export function checkCel(text: string, env: CelCheckEnv): CelCheckResult {
  const { parsed, problem } = parseCel(text);
  if (!parsed) return { problems: [problem!], signals: [], counters: [] };
  const checker = new Walker(parsed, env);
  const type = checker.check(parsed.expr);
  return { parsed, type, problems: checker.problems, signals: checker.signals, counters: checker.counters };
}

class Walker {
  readonly problems: CelProblem[] = [];
  readonly signals: CelReference[] = [];
  readonly counters: CelReference[] = [];
  private scopes: Map<string, CelT>[] = [];
  private readonly groups: Map<string, string[]>;

  constructor(
    private readonly parsed: ParsedCel,
    private readonly env: CelCheckEnv,
  ) {
    this.groups = new Map();
    for (const name of env.signals.keys()) {
      const group = name.slice(0, name.indexOf('.'));
      this.groups.set(group, [...(this.groups.get(group) ?? []), name]);
    }
  }

  private offsetOf(e: Expr): number {
    // The leftmost identifier of a select chain: where the name starts, not where its last dot is.
    let node: Expr = e;
    while (node.exprKind.case === 'selectExpr' && node.exprKind.value.operand) node = node.exprKind.value.operand;
    if (node.exprKind.case === 'callExpr' && node.exprKind.value.target) return this.offsetOf(node.exprKind.value.target);
    return this.parsed.positions[String(node.id)] ?? 0;
  }

  private fail(kind: CelProblemKind, e: Expr, message: string, allowed?: readonly string[]): CelT {
    this.problems.push({ kind, offset: this.offsetOf(e), message, ...(allowed && allowed.length > 0 ? { allowed } : {}) });
    return T.error;
  }

  private lookupLocal(name: string): CelT | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]!.get(name);
      if (t) return t;
    }
    return undefined;
  }

  /** `a.b.c` when `e` is a chain of selects over an identifier, else undefined. */
  private chain(e: Expr): string[] | undefined {
    if (e.exprKind.case === 'identExpr') return [e.exprKind.value.name];
    if (e.exprKind.case === 'selectExpr' && !e.exprKind.value.testOnly && e.exprKind.value.operand) {
      const head = this.chain(e.exprKind.value.operand);
      return head && [...head, e.exprKind.value.field];
    }
    return undefined;
  }

  private allNames(): string[] {
    return [...this.env.signals.keys(), ...this.env.counters.map((c) => `counters.${c}`)];
  }

  private resolveName(e: Expr, parts: string[]): CelT {
    const local = this.lookupLocal(parts[0]!);
    if (local) return parts.length === 1 ? local : T.dyn;
    const [group, field, ...rest] = parts;
    const full = parts.join('.');
    if (group === 'counters') {
      if (field === undefined) return this.fail('undeclared_counter', e, '`counters` is the map of this policy\'s counters; name one, as counters.<name>', this.env.counters.map((c) => `counters.${c}`));
      if (this.env.countersForbidden) return this.fail('undeclared_counter', e, `counters.${field}: ${this.env.countersForbidden}`);
      if (!this.env.counters.includes(field)) {
        const declared = nearest(field, this.env.counters).map((c) => `counters.${c}`);
        const problem = this.env.counters.length === 0 ? 'this policy declares no counters (add them under `counters:`)' : 'is not declared in this policy\'s `counters:`';
        return this.fail('undeclared_counter', e, `counters.${field} ${problem}`, declared);
      }
      this.counters.push({ name: `counters.${field}`, offset: this.offsetOf(e) });
      if (rest.length > 0) return this.fail('type', e, `counters.${field} is an int; it has no field ${rest.join('.')}`);
      return T.int;
    }
    if (field === undefined) {
      const members = this.groups.get(group!);
      if (members) return this.fail('unknown_signal', e, `${group} is a group of signals, not a value; name one of them`, members);
      return this.fail('unknown_signal', e, `unknown signal ${full}`, nearest(full, this.allNames()));
    }
    const name = `${group}.${field}`;
    const def = this.env.signals.get(name);
    if (!def) {
      const members = this.groups.get(group!);
      // Within a known group, the group's own names first: `device.knwon` → device.known.
      const candidates = members ? [...members, ...this.allNames().filter((n) => !members.includes(n))] : this.allNames();
      return this.fail('unknown_signal', e, `unknown signal ${name}`, nearest(name, candidates));
    }
    this.signals.push({ name, offset: this.offsetOf(e) });
    if (rest.length > 0) return this.fail('type', e, `${name} is a ${def.type}; it has no field ${rest.join('.')}`);
    return fromSignalType(def.type);
  }

  check(e: Expr): CelT {
    switch (e.exprKind.case) {
      case 'constExpr':
        return this.constant(e.exprKind.value);
      case 'identExpr':
        return this.resolveName(e, [e.exprKind.value.name]);
      case 'selectExpr': {
        const parts = this.chain(e);
        if (e.exprKind.value.testOnly) {
          const inner = e.exprKind.value.operand ? this.chain(e.exprKind.value.operand) : undefined;
          if (inner) this.resolveName(e, [...inner, e.exprKind.value.field]);
          return T.bool;
        }
        if (parts) return this.resolveName(e, parts);
        const operand = this.check(e.exprKind.value.operand!);
        if (operand.k === 'map') return operand.value;
        if (loose(operand)) return T.dyn;
        return this.fail('type', e, `a ${typeName(operand)} has no field ${e.exprKind.value.field}`);
      }
      case 'callExpr':
        return this.call(e, e.exprKind.value.function, e.exprKind.value.target, e.exprKind.value.args);
      case 'listExpr': {
        const types = e.exprKind.value.elements.map((x) => this.check(x));
        const first = types.find((t) => !loose(t));
        return { k: 'list', elem: first && types.every((t) => same(t, first)) ? first : T.dyn };
      }
      case 'structExpr': {
        if (e.exprKind.value.messageName) return this.fail('type', e, `message construction (${e.exprKind.value.messageName}{…}) is not available in policies`);
        const keys: CelT[] = [];
        const values: CelT[] = [];
        for (const entry of e.exprKind.value.entries) {
          if (entry.keyKind.case === 'mapKey') keys.push(this.check(entry.keyKind.value as Expr));
          if (entry.value) values.push(this.check(entry.value));
        }
        const k = keys.find((t) => !loose(t));
        const v = values.find((t) => !loose(t));
        return { k: 'map', key: k && keys.every((t) => same(t, k)) ? k : T.dyn, value: v && values.every((t) => same(t, v)) ? v : T.dyn };
      }
      case 'comprehensionExpr': {
        const c = e.exprKind.value;
        const range = c.iterRange ? this.check(c.iterRange) : T.dyn;
        let iterType: CelT = T.dyn;
        if (range.k === 'list') iterType = range.elem;
        else if (range.k === 'map') iterType = range.key;
        else if (!loose(range)) this.fail('type', c.iterRange!, `cannot iterate over a ${typeName(range)}; a list or map is needed`);
        const accu = c.accuInit ? this.check(c.accuInit) : T.dyn;
        const scope = new Map<string, CelT>([[c.iterVar, iterType], [c.accuVar, accu]]);
        if (c.iterVar2) scope.set(c.iterVar2, T.dyn);
        this.scopes.push(scope);
        try {
          if (c.loopCondition) this.check(c.loopCondition);
          if (c.loopStep) this.check(c.loopStep);
          return c.result ? this.check(c.result) : T.dyn;
        } finally {
          this.scopes.pop();
        }
      }
      default:
        return this.fail('syntax', e, 'an expression of a kind policies do not support');
    }
  }

  private constant(c: Constant): CelT {
    switch (c.constantKind.case) {
      case 'boolValue':
        return T.bool;
      case 'int64Value':
        return T.int;
      case 'uint64Value':
        return T.uint;
      case 'doubleValue':
        return T.double;
      case 'stringValue':
        return T.string;
      case 'bytesValue':
        return T.bytes;
      case 'nullValue':
        return T.null;
      default:
        return T.dyn;
    }
  }

  private needBool(e: Expr, t: CelT, what: string): void {
    if (!loose(t) && t.k !== 'bool') this.fail('type', e, `${what} needs a bool, got ${typeName(t)}`);
  }

  private call(e: Expr, fn: string, target: Expr | undefined, args: readonly Expr[]): CelT {
    const argTypes = args.map((a) => this.check(a));
    const targetType = target ? this.check(target) : undefined;
    const [a, b] = argTypes;
    const sym: Record<string, string> = { '_==_': '==', '_!=_': '!=', '_<_': '<', '_<=_': '<=', '_>_': '>', '_>=_': '>=', '_+_': '+', '_-_': '-', '_*_': '*', '_/_': '/', '_%_': '%' };
    const show = (t: CelT): string => typeName(t);
    switch (fn) {
      case '_&&_':
      case '_||_':
        argTypes.forEach((t, i) => this.needBool(args[i]!, t, fn === '_&&_' ? '&&' : '||'));
        return T.bool;
      case '!_':
        this.needBool(args[0]!, a!, '!');
        return T.bool;
      case '@not_strictly_false':
        return T.bool;
      case '-_':
        if (!loose(a!) && a!.k !== 'int' && a!.k !== 'double') return this.fail('type', e, `cannot negate a ${show(a!)}`);
        return a!;
      case '_==_':
      case '_!=_':
        if (!comparable(a!, b!)) return this.fail('type', e, `cannot compare ${show(a!)} ${sym[fn]} ${show(b!)}: both sides must have the same type (numbers may mix)`);
        return T.bool;
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_': {
        const ordered = (t: CelT): boolean => isNumeric(t) || t.k === 'string' || t.k === 'bool' || t.k === 'bytes' || loose(t);
        if (!ordered(a!) || !ordered(b!) || !(same(a!, b!) || (isNumeric(a!) && isNumeric(b!)))) {
          return this.fail('type', e, `cannot compare ${show(a!)} ${sym[fn]} ${show(b!)}: both sides must be numbers, or both strings`);
        }
        return T.bool;
      }
      case '_+_':
      case '_-_':
      case '_*_':
      case '_/_':
      case '_%_': {
        if (loose(a!)) return b!;
        if (loose(b!)) return a!;
        const okPlus = fn === '_+_' && (a!.k === 'string' || a!.k === 'bytes' || a!.k === 'list') && same(a!, b!);
        const okNum = isNumeric(a!) && a!.k === b!.k && (fn !== '_%_' || a!.k !== 'double');
        if (okPlus || okNum) return a!;
        const hint = isNumeric(a!) && isNumeric(b!) ? '; CEL does not convert numbers implicitly: use double(x) or int(x)' : '';
        return this.fail('type', e, `no operator ${show(a!)} ${sym[fn]} ${show(b!)}${hint}`);
      }
      case '_?_:_': {
        this.needBool(args[0]!, a!, 'the condition of ?:');
        const [, x, y] = argTypes;
        if (!same(x!, y!)) return this.fail('type', e, `the branches of ?: have different types (${show(x!)} and ${show(y!)})`);
        return loose(x!) ? y! : x!;
      }
      case '@in': {
        if (b!.k === 'list' && !comparable(a!, b!.elem)) return this.fail('type', e, `a ${show(a!)} cannot be in a ${show(b!)}`);
        if (b!.k === 'map' && !comparable(a!, b!.key)) return this.fail('type', e, `a ${show(a!)} cannot be a key of a ${show(b!)}`);
        if (b!.k !== 'list' && b!.k !== 'map' && !loose(b!)) return this.fail('type', e, `the right side of \`in\` must be a list or a map, got ${show(b!)}`);
        return T.bool;
      }
      case '_[_]': {
        if (a!.k === 'list') {
          if (!loose(b!) && b!.k !== 'int' && b!.k !== 'uint') return this.fail('type', e, `a list index must be an int, got ${show(b!)}`);
          return a!.elem;
        }
        if (a!.k === 'map') return a!.value;
        if (loose(a!)) return T.dyn;
        return this.fail('type', e, `cannot index a ${show(a!)}`);
      }
      case 'size': {
        const subject = targetType ?? a;
        if (subject && !loose(subject) && !['string', 'bytes', 'list', 'map'].includes(subject.k)) return this.fail('type', e, `size() of a ${show(subject)}`);
        return T.int;
      }
      case 'contains':
      case 'startsWith':
      case 'endsWith':
      case 'matches': {
        const subject = targetType ?? a;
        const arg = targetType ? a : b;
        if (!subject || !arg) return this.fail('type', e, `${fn} takes a string and a string argument`);
        if ((!loose(subject) && subject.k !== 'string') || (!loose(arg) && arg.k !== 'string')) {
          return this.fail('type', e, `${fn} works on strings, got ${show(subject)}.${fn}(${show(arg)})`);
        }
        return T.bool;
      }
      case 'int':
      case 'uint':
      case 'double':
      case 'string':
      case 'bool':
        if (argTypes.length !== 1) return this.fail('type', e, `${fn}() takes one argument`);
        return T[fn];
      case 'dyn':
        return T.dyn;
      default:
        return this.fail('type', e, `unknown function ${fn}`, nearest(fn, FUNCTIONS));
    }
  }
}
