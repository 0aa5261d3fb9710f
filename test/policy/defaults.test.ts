/** The shipped policies: they load, their YAML test cases pass (five typos included), and their files stay tidy. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicySet } from '../../gateway/policy/load';
import { formatTestRun } from '../../gateway/policy/report';
import { policySchemaJson } from '../../gateway/policy/schema';
import { runPolicyTests } from '../../gateway/policy/test-runner';
import { policyDir } from './helpers';

const root = join(__dirname, '../../policies');

test('the default policies load without problems', () => {
  const { set, problems } = loadPolicySet(root);
  expect(problems).toEqual([]);
  expect(set!.policies.map((p) => p.name).sort()).toEqual(['credential-stuffing', 'login-takeover', 'lookalike-devices', 'otp-guessing', 'rest-apps', 'rest-webhooks', 'spraying']);
});

test('every default policy\'s YAML test cases pass, including "five typos on my own laptop"', () => {
  const result = runPolicyTests(root);
  if (!result.ok) throw new Error(formatTestRun(result));
  const names = result.files.flatMap((f) => f.cases.map((c) => c.name));
  expect(names).toContain('five typos on my own laptop never block');
  const tested = new Set(result.files.map((f) => f.file.replace(/.*\//, '')));
  expect([...tested].sort()).toEqual(['credential-stuffing.yaml', 'login-takeover.yaml', 'lookalike-devices.yaml', 'otp-guessing.yaml', 'rest.yaml', 'spraying.yaml']);
  expect(result.passed).toBeGreaterThanOrEqual(25);
});

test('every rule of the defaults is exercised by some test case', () => {
  const { set } = loadPolicySet(root);
  const tests = readdirSync(join(root, 'tests')).map((f) => readFileSync(join(root, 'tests', f), 'utf8')).join('\n');
  const untested = set!.policies.flatMap((p) => p.rules.map((r) => r.id)).filter((id) => !tests.includes(id));
  expect(untested).toEqual([]);
});

test('each policy file starts with the schema comment, and the schema file is current', () => {
  for (const f of readdirSync(root).filter((n) => n.endsWith('.yaml'))) {
    expect(readFileSync(join(root, f), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./portcullis-policy.schema.json');
  }
  expect(readFileSync(join(root, 'portcullis-policy.schema.json'), 'utf8')).toBe(policySchemaJson());
});

test('a failing case is reported with the step and what differed', () => {
  const dir = policyDir({ 'p.yaml': readFileSync(join(root, 'spraying.yaml'), 'utf8') });
  require('node:fs').mkdirSync(join(dir, 'tests'));
  require('node:fs').writeFileSync(join(dir, 'tests', 't.yaml'), `cases:
  - name: wrong on purpose
    events:
      - request: { kind: login, user: 'u{n}', ip: 203.0.113.9, device: { known: false } }
        outcome: failure
        repeat: 11
        expect: { action: none }
  - name: unknown rule
    given: {}
    expect: { rules: [no-such-rule] }
`);
  const result = runPolicyTests(dir);
  expect(result.ok).toBe(false);
  expect(result.failed).toBe(2);
  const text = formatTestRun(result);
  expect(text).toContain('✗ wrong on purpose');
  expect(text).toMatch(/step 11 \(events\[0\] × 11\): expected action none, got block_ip/);
  expect(text).toMatch(/no-such-rule/);
  expect(text).toMatch(/Tests: 2 failed, 0 passed, 2 total/);
});
