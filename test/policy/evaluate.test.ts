/** evaluate(): shadow per rule, per policy and global; escalation; run-time errors as values; never throws. */
import fc from 'fast-check';
import { durationFor } from '../../gateway/decision/evaluate';
import { evaluate } from '../../gateway/decision/evaluate';
import { loadPolicySet } from '../../gateway/policy/load';
import { SIGNAL_CATALOG } from '../../gateway/signals/catalog';
import { compileOk, policy } from './helpers';

const attack = { 'device.known': false, 'counters.fails': 12 };

const rules = `  - id: many-failures
    when: '!device.known && counters.fails >= 10'
    score: 60
  - id: no-second-factor
    when: '!device.known && !user.second_factor && counters.fails >= 10'
    score: 40`;

test('an enforced policy acts: score, matched rules with scores, the action', () => {
  const set = compileOk(policy({ rules }));
  const v = evaluate(set, 'attempt', 'login', attack);
  expect(v.score).toBe(100);
  expect(v.matched.map((r) => [r.rule, r.score])).toEqual([['many-failures', 60], ['no-second-factor', 40]]);
  expect(v.action).toMatchObject({ do: 'block_user', also: ['block_portal_rest'], threshold: 100, rules: ['many-failures', 'no-second-factor'] });
  expect(v.action!.durationMs).toBeUndefined(); // until lifted
  expect(v.wouldHave).toBeUndefined();
  expect(v.setVersion).toBe(set.version);
});

test('a shadow rule is evaluated and reported in wouldHave; the action is what the enforced rules make', () => {
  const set = compileOk(policy({ rules: rules.replace("    score: 40", "    score: 40\n    mode: shadow") }));
  const v = evaluate(set, 'attempt', 'login', attack);
  expect(v.score).toBe(60);
  expect(v.action!.do).toBe('deny_attempt');
  expect(v.wouldHave!.action!.do).toBe('block_user');
  expect(v.wouldHave!.rules.map((r) => r.rule)).toEqual(['no-second-factor']);
});

test('a shadow policy acts on nothing and reports everything', () => {
  const set = compileOk(policy({ rules, mode: 'shadow' }));
  const v = evaluate(set, 'attempt', 'login', attack);
  expect(v.action).toBeUndefined();
  expect(v.actions).toEqual([]);
  expect(v.score).toBe(0);
  expect(v.wouldHave!.action).toMatchObject({ do: 'block_user', score: 100 });
});

test('global shadow is an evaluation option: same set, nothing enforced', () => {
  const set = compileOk(policy({ rules }));
  const v = evaluate(set, 'attempt', 'login', attack, { globalShadow: true });
  expect(v.action).toBeUndefined();
  expect(v.globalShadow).toBe(true);
  expect(v.wouldHave!.action!.do).toBe('block_user');
  expect(evaluate(set, 'attempt', 'login', attack).action!.do).toBe('block_user');
});

test('escalation doubles per prior offence up to the cap; no duration means until lifted', () => {
  const action = { durationMs: 15 * 60_000, escalate: { factor: 2, maxMs: 60 * 60_000 } };
  expect([0, 1, 2, 3, 10].map((n) => durationFor(action, n)! / 60_000)).toEqual([15, 30, 60, 60, 60]);
  expect(durationFor({ durationMs: 15 * 60_000 }, 5)).toBe(15 * 60_000);
  expect(durationFor({}, 3)).toBeUndefined();
  const set = compileOk(policy({
    rules: `  - { id: r, when: counters.fails >= 10, score: 100 }`,
    actions: `  - at: 100\n    do: block_ip\n    duration: 15m\n    escalate: { factor: 2, max: 24h }`,
  }));
  const v = evaluate(set, 'attempt', 'login', { 'counters.fails': 10 }, { priorOffences: { ip: 2 } });
  expect(v.action).toMatchObject({ do: 'block_ip', scope: 'ip', durationMs: 60 * 60_000, priorOffences: 2 });
});

test('a rule that errors at run time counts as not matched and is reported', () => {
  const set = compileOk(policy({ rules }));
  const v = evaluate(set, 'attempt', 'login', { 'device.known': false }); // no counter value
  expect(v.action).toBeUndefined();
  expect(v.errors.map((e) => [e.rule, e.error])).toEqual([
    ['many-failures', 'no value for counters.fails'],
    ['no-second-factor', 'no value for counters.fails'],
  ]);
  const wrong = evaluate(set, 'attempt', 'login', { 'device.known': 'yes', 'counters.fails': 12 });
  expect(wrong.errors[0]!.error).toMatch(/device\.known should be a bool, got "yes"/);
});

test('phases and kinds: outcome rules only in the outcome phase, policies only for their kinds', () => {
  const set = compileOk(policy({ rules: `  - id: o\n    phase: outcome\n    when: outcome.success && counters.fails >= 5\n    score: 100` }));
  expect(evaluate(set, 'attempt', 'login', { 'outcome.success': true, 'counters.fails': 9 }).rules).toEqual([]);
  expect(evaluate(set, 'outcome', 'login', { 'outcome.success': true, 'counters.fails': 9 }).action!.do).toBe('block_user');
  expect(evaluate(set, 'outcome', 'rest', { 'outcome.success': true, 'counters.fails': 9 }).policies).toEqual([]);
});

test('the compiled set is immutable and says what the sense stage must compute', () => {
  const set = compileOk(policy({ rules }));
  expect([...set.referencedSignals].sort()).toEqual(['device.known', 'user.second_factor']);
  expect([...set.referencedCounters]).toEqual(['fails']);
  expect(() => (set.policies as unknown[]).push({})).toThrow();
  expect(() => (set.referencedSignals as Set<string>).add('x')).toThrow();
  expect(compileOk(policy({ rules })).version).toBe(set.version);
  expect(compileOk(policy({ rules: rules.replace('60', '61') })).version).not.toBe(set.version);
});

test('property: evaluate never throws, whatever the signal values', () => {
  const { set } = loadPolicySet('policies');
  const names = [...SIGNAL_CATALOG.map((s) => s.name), ...[...set!.referencedCounters].map((c) => `counters.${c}`), 'nonsense'];
  const anyValue = fc.oneof(
    fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.bigInt(), fc.constant(null), fc.constant(undefined),
    fc.array(fc.integer()), fc.object(), fc.constant(NaN), fc.constant(Infinity),
  );
  const kinds = fc.constantFrom('login', 'otp', 'rest', 'oauth_token', 'password_change', 'other', 'websocket' as const);
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...names), anyValue), kinds, fc.constantFrom('attempt', 'outcome' as const), fc.boolean(), (signals, kind, phase, shadow) => {
      const v = evaluate(set!, phase, kind as never, signals, { globalShadow: shadow });
      expect(Array.isArray(v.rules)).toBe(true);
    }),
    { numRuns: 500 },
  );
});

test('evaluation cost per rule (reported, not asserted)', () => {
  const { set } = loadPolicySet('policies');
  const signals = { 'device.known': false, 'user.second_factor': false, 'request.ip': '203.0.113.5', ...Object.fromEntries([...set!.referencedCounters].map((c) => [`counters.${c}`, 12])) };
  for (let i = 0; i < 2000; i++) evaluate(set!, 'attempt', 'login', signals);
  const n = 20000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluate(set!, 'attempt', 'login', signals);
  const perEval = Number(process.hrtime.bigint() - t0) / n / 1000;
  const verdict = evaluate(set!, 'attempt', 'login', signals);
  const rules = verdict.rules.length;
  console.log(`evaluate(login, attempt): ${perEval.toFixed(1)} µs per request, ${rules} rules, ${(perEval / rules).toFixed(2)} µs per rule`);
  // What was timed is a pure function: evaluated again, the same verdict.
  expect(evaluate(set!, 'attempt', 'login', signals)).toEqual(verdict);
});
