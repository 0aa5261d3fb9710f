/**
 * Policy tests written in YAML beside the policies (`policies/tests/*.yaml`, `policies/*.test.yaml`),
 * run by `portcullis policy test`. Two kinds of case:
 *
 *   - name: five typos on my own laptop          # given: signals (and counters) → one evaluation
 *     kind: login
 *     phase: attempt                              # default attempt
 *     given: { device: { known: true }, counters: { user_failures_known_15m: 5 } }
 *     expect: { action: none }
 *
 *   - name: brute force from an unknown device    # events: a timed sequence through counters + policies
 *     events:
 *       - at: 0s
 *         request: { kind: login, user: anna, ip: 203.0.113.5, device: { known: false } }
 *         outcome: failure
 *         repeat: 10
 *         every: 20s
 *       - at: 5m                                  # `{n}` in a repeated request: 1, 2, 3…
 *         request: { kind: login, user: anna, ip: 203.0.113.5, device: { known: false } }
 *         outcome: failure
 *         expect: { action: deny_attempt, rules: [brute-force-unknown-device] }
 *
 * `expect` (on a case, or on an event: checked at that event's last repetition; a case's expect is
 * checked at its last event): `action` (an action kind, `none`, or `blocked` when an earlier block
 * stopped the request), `also`, `rules` (the matched enforced rules, as a set), `would_have`, `phase`,
 * `duration` (`15m`, or `until_lifted`), `score`. Counters not given in a `given:` case read 0.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ManualClock } from '../lib/clock';
import type { FileProblem } from '../lib/errors';
import { compileSchema, sortProblems, type SchemaValidator } from '../lib/schema-problems';
import { parseYaml } from '../lib/yaml-source';
import { evaluate } from '../decision/evaluate';
import type { ActionDecision, Verdict } from '../decision/verdict';
import type { CompiledPolicySet } from './compiled';
import { formatDuration, parseDuration } from './duration';
import { isTestFile, loadPolicySet } from './load';
import { normalizeRequest } from './request';
import { POLICY_FORMATS } from './schema';
import { PolicySimulator, type Outcome, type StepResult } from './simulate';
import { ACTION_KINDS, PHASES } from './spec';

const duration = { type: 'string', format: 'duration' };
const offset = { type: 'string', pattern: '^(0|(\\d+(ms|s|m|h|d))+)$' };
const expectSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: [...ACTION_KINDS, 'none', 'blocked'] },
    also: { type: 'array', items: { type: 'string', enum: [...ACTION_KINDS] } },
    rules: { type: 'array', items: { type: 'string' } },
    would_have: { type: 'string', enum: [...ACTION_KINDS, 'none'] },
    phase: { type: 'string', enum: [...PHASES] },
    duration: { anyOf: [{ type: 'string', enum: ['until_lifted'] }, duration] },
    score: { type: 'integer' },
  },
};
const TEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['cases'],
  properties: {
    policies: { type: 'string', description: 'Policy folder or file, relative to this file (default: the folder the tests are for).' },
    cases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          kind: { type: 'string' },
          phase: { type: 'string', enum: [...PHASES] },
          given: { type: 'object' },
          global_shadow: { type: 'boolean' },
          prior_offences: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
          events: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['request'],
              properties: {
                at: offset,
                request: { type: 'object' },
                outcome: { type: 'string', enum: ['success', 'failure', 'none'] },
                repeat: { type: 'integer', minimum: 1 },
                every: duration,
                expect: expectSchema,
              },
            },
          },
          expect: expectSchema,
        },
      },
    },
  },
};

let validator: SchemaValidator | undefined;
const testValidator = (): SchemaValidator => (validator ??= compileSchema(TEST_SCHEMA, { formats: POLICY_FORMATS }));

interface Expect {
  action?: string;
  also?: string[];
  rules?: string[];
  would_have?: string;
  phase?: string;
  duration?: string;
  score?: number;
}
interface EventSpec {
  at?: string;
  request: Record<string, unknown>;
  outcome?: Outcome;
  repeat?: number;
  every?: string;
  expect?: Expect;
}
interface CaseSpec {
  name: string;
  kind?: string;
  phase?: 'attempt' | 'outcome';
  given?: Record<string, unknown>;
  global_shadow?: boolean;
  prior_offences?: Record<string, number>;
  events?: EventSpec[];
  expect?: Expect;
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
}

export interface FileResult {
  readonly file: string;
  readonly cases: readonly CaseResult[];
}

export interface TestRunResult {
  readonly files: readonly FileResult[];
  /** Problems that stopped files (or the policies) from running: broken test files, broken policies. */
  readonly problems: readonly FileProblem[];
  readonly passed: number;
  readonly failed: number;
  readonly ok: boolean;
}

/** What one step or evaluation looked like, for comparison with `expect`. */
interface Observed {
  action?: ActionDecision;
  blocked?: string;
  rules: string[];
  wouldHave?: ActionDecision;
  phase?: string;
  score: number;
}

function observeVerdict(v: Verdict): Observed {
  return {
    ...(v.action ? { action: v.action } : {}),
    rules: v.matched.map((r) => r.rule),
    ...(v.wouldHave?.action ? { wouldHave: v.wouldHave.action } : {}),
    ...(v.action ? { phase: v.phase } : {}),
    score: v.score,
  };
}

function observeStep(s: StepResult): Observed {
  if (s.enforced) return { blocked: `${s.enforced.by} (${s.enforced.subject})`, rules: [], score: 0 };
  const verdicts = [s.attempt, s.outcome].filter((v): v is Verdict => !!v);
  return {
    ...(s.action ? { action: s.action } : {}),
    rules: verdicts.flatMap((v) => v.matched.map((r) => r.rule)),
    ...(verdicts.map((v) => v.wouldHave?.action).find(Boolean) ? { wouldHave: verdicts.map((v) => v.wouldHave?.action).find(Boolean)! } : {}),
    ...(s.phase ? { phase: s.phase } : {}),
    score: Math.max(0, ...verdicts.map((v) => v.score)),
  };
}

function compare(expect: Expect, seen: Observed, where: string): string[] {
  const out: string[] = [];
  const actual = seen.blocked ? 'blocked' : seen.action?.do ?? 'none';
  const detail = seen.blocked ? ` by ${seen.blocked}` : seen.action ? ` (score ${seen.action.score}, rules ${seen.action.rules.join(', ') || '-'})` : seen.rules.length ? ` (matched ${seen.rules.join(', ')}, score ${seen.score})` : '';
  if (expect.action !== undefined && expect.action !== actual) out.push(`${where}expected action ${expect.action}, got ${actual}${detail}`);
  if (expect.also !== undefined) {
    const also = [...(seen.action?.also ?? [])].sort();
    if (JSON.stringify(also) !== JSON.stringify([...expect.also].sort())) out.push(`${where}expected also [${expect.also.join(', ')}], got [${also.join(', ')}]`);
  }
  if (expect.rules !== undefined) {
    const got = [...new Set(seen.rules)].sort();
    const want = [...new Set(expect.rules)].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${where}expected rules [${want.join(', ')}], got [${got.join(', ')}]`);
  }
  if (expect.would_have !== undefined) {
    const got = seen.wouldHave?.do ?? 'none';
    if (got !== expect.would_have) out.push(`${where}expected would_have ${expect.would_have}, got ${got}`);
  }
  if (expect.phase !== undefined && expect.phase !== seen.phase) out.push(`${where}expected the action in phase ${expect.phase}, got ${seen.phase ?? 'none'}`);
  if (expect.duration !== undefined) {
    const got = seen.action ? (seen.action.durationMs === undefined ? 'until_lifted' : formatDuration(seen.action.durationMs)) : 'none';
    const want = expect.duration === 'until_lifted' ? 'until_lifted' : formatDuration(parseDuration(expect.duration)!);
    if (got !== want) out.push(`${where}expected duration ${want}, got ${got}`);
  }
  if (expect.score !== undefined && expect.score !== seen.score) out.push(`${where}expected score ${expect.score}, got ${seen.score}`);
  return out;
}

/** `{n}` in a repeated event's strings becomes the repetition number (1-based): many users, many IPs. */
function substitute(value: unknown, n: number): unknown {
  if (typeof value === 'string') return value.replace(/\{n\}/g, String(n));
  if (Array.isArray(value)) return value.map((v) => substitute(v, n));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, n)]));
  return value;
}

function knownRules(set: CompiledPolicySet): Set<string> {
  return new Set(set.policies.flatMap((p) => p.rules.map((r) => r.id)));
}

function runCase(set: CompiledPolicySet, c: CaseSpec): string[] {
  const failures: string[] = [];
  const unknown = (e: Expect | undefined): void => {
    for (const r of e?.rules ?? []) if (!knownRules(set).has(r)) failures.push(`expect names rule ${r}, which no policy defines`);
  };
  unknown(c.expect);
  c.events?.forEach((e) => unknown(e.expect));
  if (failures.length > 0) return failures;
  if (c.given !== undefined || !c.events) {
    const req = normalizeRequest({ ...(c.kind ? { kind: c.kind } : {}), ...(c.given ?? {}) }, { allowCounters: true });
    if (req.problems.length > 0) return req.problems.map((p) => `given: ${p}`);
    // Counters not given read 0: a case states what matters to it.
    const counters = Object.fromEntries(set.counters.map((k) => [`counters.${k.name}`, 0]));
    const verdict = evaluate(set, c.phase ?? 'attempt', req.kind, { ...counters, ...req.signals }, {
      globalShadow: c.global_shadow ?? false,
      priorOffences: c.prior_offences ?? {},
    });
    for (const e of verdict.errors) failures.push(`rule ${e.rule} could not be evaluated: ${e.error}`);
    return [...failures, ...compare(c.expect ?? {}, observeVerdict(verdict), '')];
  }
  const clock = new ManualClock();
  const start = clock.now();
  const sim = new PolicySimulator(set, clock, { globalShadow: c.global_shadow ?? false });
  let step = 0;
  let last: Observed | undefined;
  let lastAt = 0;
  c.events.forEach((e, index) => {
    const first = normalizeRequest(substitute(e.request, 1) as Record<string, unknown>);
    if (first.problems.length > 0) {
      failures.push(...first.problems.map((p) => `events[${index}].request: ${p}`));
      return;
    }
    const at = e.at === undefined || e.at === '0' ? lastAt : parseDuration(e.at)!;
    if (at < lastAt) failures.push(`events[${index}].at ${e.at} goes back in time`);
    const every = e.every ? parseDuration(e.every)! : 0;
    const repeat = e.repeat ?? 1;
    for (let i = 0; i < repeat; i++) {
      step++;
      clock.set(start + Math.max(at, lastAt) + i * every);
      const req = i === 0 ? first : normalizeRequest(substitute(e.request, i + 1) as Record<string, unknown>);
      const result = sim.step(req, e.outcome ?? 'failure');
      last = observeStep(result);
      for (const v of [result.attempt, result.outcome]) for (const err of v?.errors ?? []) failures.push(`step ${step}: rule ${err.rule} could not be evaluated: ${err.error}`);
    }
    lastAt = Math.max(at, lastAt) + (repeat - 1) * every;
    if (e.expect && last) failures.push(...compare(e.expect, last, `step ${step} (events[${index}]${repeat > 1 ? ` × ${repeat}` : ''}): `));
  });
  if (c.expect && last) failures.push(...compare(c.expect, last, `step ${step} (last): `));
  return failures;
}

/** Test files for a policy path: `<dir>/tests/*.yaml`, `<dir>/*.test.yaml`, or the file itself. */
export function testFiles(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return [path];
  const files = readdirSync(path).filter(isTestFile).map((n) => join(path, n));
  const tests = join(path, 'tests');
  try {
    if (statSync(tests).isDirectory()) files.push(...readdirSync(tests).filter((n) => /\.ya?ml$/.test(n)).map((n) => join(tests, n)));
  } catch {
    // no tests folder
  }
  return files.sort();
}

/** The policy path a test file runs against: its `policies:` key, else the folder it tests. */
function policiesFor(file: string, declared: string | undefined): string {
  if (declared) return join(dirname(file), declared);
  const dir = dirname(file);
  return basename(dir) === 'tests' ? dirname(dir) : dir;
}

/**
 * Runs every test case under `path` (a policy folder, or one test file). Pure apart from reading the
 * files; time is a ManualClock per case, so a 24-hour ladder runs in milliseconds.
 */
export function runPolicyTests(path: string, options: { policies?: string } = {}): TestRunResult {
  const problems: FileProblem[] = [];
  const results: FileResult[] = [];
  let files: string[];
  try {
    files = testFiles(path);
  } catch (err) {
    return { files: [], problems: [{ code: 'PC_ERR_POLICY_FILE', file: path, line: 0, col: 0, keyPath: '', problem: `cannot read: ${(err as Error).message}` }], passed: 0, failed: 0, ok: false };
  }
  if (files.length === 0) {
    problems.push({ code: 'PC_ERR_POLICY_TEST', file: path, line: 0, col: 0, keyPath: '', problem: 'no policy tests found (tests/*.yaml or *.test.yaml)' });
  }
  const sets = new Map<string, ReturnType<typeof loadPolicySet>>();
  for (const file of files) {
    const yaml = parseYaml(readFileSync(file, 'utf8'), { file, syntaxCode: 'PC_ERR_POLICY_YAML' });
    if (yaml.problems.length > 0) {
      problems.push(...yaml.problems);
      continue;
    }
    const schemaProblems = testValidator().problems(yaml.value ?? {}, {
      file,
      locate: yaml.locate,
      codes: { unknownKey: 'PC_ERR_POLICY_UNKNOWN_KEY', invalid: 'PC_ERR_POLICY_TEST', required: 'PC_ERR_POLICY_TEST' },
    });
    if (schemaProblems.length > 0) {
      problems.push(...schemaProblems);
      continue;
    }
    const spec = yaml.value as { policies?: string; cases: CaseSpec[] };
    const policyPath = options.policies ?? policiesFor(file, spec.policies);
    if (!sets.has(policyPath)) sets.set(policyPath, loadPolicySet(policyPath));
    const loaded = sets.get(policyPath)!;
    if (!loaded.set) {
      problems.push(...loaded.problems.filter((p) => !problems.includes(p)));
      continue;
    }
    const cases = spec.cases.map((c) => {
      let failures: string[];
      try {
        failures = runCase(loaded.set!, c);
      } catch (err) {
        failures = [`the case could not run: ${(err as Error).message}`];
      }
      return { name: c.name, ok: failures.length === 0, failures };
    });
    results.push({ file, cases });
  }
  const all = results.flatMap((f) => f.cases);
  const passed = all.filter((c) => c.ok).length;
  const failed = all.length - passed;
  return { files: results, problems: sortProblems([...new Set(problems)]), passed, failed, ok: failed === 0 && problems.length === 0 };
}
