/** Problems found at load: positioned, coded, all at once, for the person who wrote the file. */
import { formatProblem } from '../../gateway/lib/errors';
import { loadPolicySet } from '../../gateway/policy/load';
import { compileProblems, HEADER, policy, policyDir } from './helpers';

const one = (text: string) => compileProblems(text);

test('device.knwon is an unknown signal, at the line and column of the name, with the nearest names', () => {
  const text = policy({ rules: `  - id: r1\n    when: device.knwon && counters.fails >= 3\n    score: 60` });
  const problems = one(text);
  expect(problems).toHaveLength(1);
  const p = problems[0]!;
  expect(p.code).toBe('PC_ERR_POLICY_UNKNOWN_SIGNAL');
  const line = text.split('\n').findIndex((l) => l.includes('device.knwon')) + 1;
  expect([p.line, p.col]).toEqual([line, text.split('\n')[line - 1]!.indexOf('device.knwon') + 1]);
  expect(p.keyPath).toBe('rules[0].when');
  expect(p.allowed?.[0]).toBe('device.known');
  expect(formatProblem(p)).toMatch(/^p0\.yaml:\d+:\d+ rules\[0\]\.when: unknown signal device\.knwon; allowed: device\.known.*\[PC_ERR_POLICY_UNKNOWN_SIGNAL\]$/);
});

test('counters.undeclared names the declared counters', () => {
  const [p] = one(policy({ rules: `  - id: r1\n    when: '!device.known && counters.undeclared > 1'\n    score: 60` }));
  expect(p!.code).toBe('PC_ERR_POLICY_UNDECLARED_COUNTER');
  expect(p!.problem).toContain('counters.undeclared');
  expect(p!.allowed).toEqual(['counters.fails']);
  expect(p!.col).toBe(`    when: '!device.known && `.length + 1);
});

test('counters.x >= "ten" is a type error; a condition that is not a bool is an error', () => {
  const problems = one(policy({ rules: `  - id: r1\n    when: 'counters.fails >= "ten"'\n    score: 60\n  - id: r2\n    when: counters.fails + 1\n    score: 1` }));
  expect(problems.map((p) => [p.code, p.keyPath])).toEqual([
    ['PC_ERR_POLICY_CEL_TYPE', 'rules[0].when'],
    ['PC_ERR_POLICY_CEL_TYPE', 'rules[1].when'],
  ]);
  expect(problems[0]!.problem).toMatch(/cannot compare int >= string/);
  expect(problems[1]!.problem).toMatch(/must be a bool/);
});

test('an outcome signal in an attempt-phase rule is refused; in an outcome rule it is fine', () => {
  const problems = one(policy({ rules: `  - id: r1\n    when: outcome.success && counters.fails >= 5\n    score: 100` }));
  expect(problems.map((p) => p.code)).toEqual(['PC_ERR_POLICY_PHASE']);
  expect(problems[0]!.problem).toContain('phase: outcome');
  expect(one(policy({ rules: `  - id: r1\n    phase: outcome\n    when: outcome.success && counters.fails >= 5\n    score: 100` }))).toEqual([]);
});

test('a signal no kind of the policy ever has is refused (rest.method in a login policy)', () => {
  const [p] = one(policy({ rules: `  - id: r1\n    when: rest.method == "crm.deal.list"\n    score: 1` }));
  expect(p!.code).toBe('PC_ERR_POLICY_SIGNAL_KIND');
});

test('CEL syntax errors point into the expression, also inside a folded block scalar', () => {
  const text = policy({ rules: `  - id: r1\n    when: >-\n      !device.known &&\n      counters.fails >=\n    score: 1` });
  const [p] = one(text);
  expect(p!.code).toBe('PC_ERR_POLICY_CEL_SYNTAX');
  const lines = text.split('\n');
  expect(p!.line).toBeGreaterThanOrEqual(lines.findIndex((l) => l.includes('!device.known &&')) + 1);
});

test('unknown keys are errors at every depth, with the nearest allowed names', () => {
  const text = `${HEADER}version: portcullis/v1
name: deep
on: [login]
mood: enforce
counters:
  fails: { count: login.failed, by: [user], window: 15m, whre: '!device.known' }
rules:
  - id: r1
    when: counters.fails > 3
    score: 60
    sevrity: high
actions:
  - at: 60
    do: block_ip
    duration: 15m
    escalate: { facter: 2, max: 24h }
`;
  const problems = one(text);
  expect(problems.filter((p) => p.code === 'PC_ERR_POLICY_UNKNOWN_KEY').map((p) => [p.keyPath, p.allowed?.[0], p.line])).toEqual([
    ['mood', 'mode', 5],
    ['counters.fails.whre', 'where', 7],
    ['rules[0].sevrity', 'score', 12],
    ['actions[0].escalate.facter', 'factor', 17],
  ]);
  // The escalate without its factor is reported too: every problem at once.
  expect(problems.some((p) => p.code === 'PC_ERR_POLICY_REQUIRED' && p.keyPath === 'actions[0].escalate.factor')).toBe(true);
});

test('wrong values name the allowed ones; durations explain themselves', () => {
  const problems = one(`${HEADER}version: portcullis/v1
name: vals
on: [login, telnet]
counters:
  fails: { count: login.faild, by: [user], window: 15 minutes }
rules:
  - { id: r1, when: counters.fails > 3, score: 60 }
actions:
  - { at: 60, do: block_everything }
`);
  const byPath = Object.fromEntries(problems.map((p) => [p.keyPath, p]));
  expect(byPath['on[1]']!.allowed).toContain('login');
  expect(byPath['counters.fails.count']!.allowed).toContain('login.failed');
  expect(byPath['counters.fails.window']!.problem).toMatch(/not a duration/);
  expect(byPath['actions[0].do']!.allowed).toContain('block_user');
});

test('actions: highest threshold first, and options only where they mean something', () => {
  const problems = one(policy({
    rules: `  - { id: r1, when: counters.fails > 3, score: 60 }`,
    actions: `  - { at: 50, do: deny_attempt, duration: 15m }\n  - { at: 100, do: block_user }\n  - { at: 10, do: notify, escalate: { factor: 2, max: 1h } }`,
  }));
  expect(problems.map((p) => [p.code, p.keyPath])).toEqual([
    ['PC_ERR_POLICY_ACTION', 'actions[0].duration'],
    ['PC_ERR_POLICY_ACTION', 'actions[1].at'],
    ['PC_ERR_POLICY_ACTION', 'actions[2].escalate'],
  ]);
});

test('every problem of every file at once, duplicates across files included', () => {
  const dir = policyDir({
    'a.yaml': policy({ name: 'a', rules: `  - { id: shared, when: counters.fails > 3, score: 60 }\n  - { id: a2, when: device.knwon, score: 1 }` }),
    'b.yaml': policy({ name: 'b', rules: `  - { id: shared, when: counters.fails > 3, score: 60 }` }),
    'c.yaml': `${HEADER}version: portcullis/v1\nname: c\non: [login]\nrules:\n  - { id: c1, when: 'counters.nope > 1', score: 1 }\n`,
    'd.yaml': 'version: [unclosed\n',
    'notes.txt': 'not a policy',
  });
  const { set, problems } = loadPolicySet(dir);
  expect(set).toBeUndefined();
  const files = [...new Set(problems.map((p) => p.file.slice(dir.length + 1)))].sort();
  expect(files).toEqual(['a.yaml', 'c.yaml', 'd.yaml']);
  expect(problems.map((p) => p.code).sort()).toEqual(
    ['PC_ERR_POLICY_UNDECLARED_COUNTER', 'PC_ERR_POLICY_UNKNOWN_SIGNAL', 'PC_ERR_POLICY_YAML'].sort(),
  );
  // The duplicate id is found once the files compile on their own.
  const fixed = policyDir({
    'a.yaml': policy({ name: 'a', rules: `  - { id: shared, when: counters.fails > 3, score: 60 }` }),
    'b.yaml': policy({ name: 'b', rules: `  - { id: shared, when: counters.fails > 3, score: 60 }` }),
  });
  const dup = loadPolicySet(fixed).problems;
  expect(dup.map((p) => [p.code, p.keyPath])).toEqual([['PC_ERR_POLICY_DUPLICATE', 'rules[0].id']]);
  expect(dup[0]!.problem).toMatch(/a\.yaml:\d+:\d+/);
});

test('one counter name with two definitions across files is an error; identical ones are shared', () => {
  const other = (window: string) => `${HEADER}version: portcullis/v1\nname: other\non: [login]\ncounters:\n  fails: { count: login.failed, by: [portal, user], window: ${window} }\nrules:\n  - { id: o1, when: counters.fails > 1, score: 1 }\n`;
  expect(compileProblems(policy({ rules: `  - { id: r1, when: counters.fails > 3, score: 60 }` }), other('15m'))).toEqual([]);
  const problems = compileProblems(policy({ rules: `  - { id: r1, when: counters.fails > 3, score: 60 }` }), other('1h'));
  expect(problems.map((p) => p.code)).toEqual(['PC_ERR_POLICY_DUPLICATE']);
});

test('an empty or missing folder is a problem, not a crash', () => {
  expect(loadPolicySet(policyDir({})).problems[0]!.code).toBe('PC_ERR_POLICY_FILE');
  expect(loadPolicySet('/nonexistent/policies').problems[0]!.code).toBe('PC_ERR_POLICY_FILE');
});
