/** The commands as functions (lint text, explain, replay), and once through the compiled CLI when it is built. */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toEventRecord } from '../../gateway/policy/event-record';
import { explain, formatExplanation, toExplainInput } from '../../gateway/policy/explain';
import { loadPolicySet } from '../../gateway/policy/load';
import { Replay } from '../../gateway/policy/replay';
import { formatLint, formatReplay } from '../../gateway/policy/report';
import { policy, policyDir } from './helpers';

const root = join(__dirname, '../..');
const broken = () => policyDir({ 'broken.yaml': policy({ rules: `  - id: r1\n    when: device.knwon && counters.fails >= 3\n    score: 60` }) });

test('lint text: file:line:col key.path: problem; allowed: …  [code], and a count', () => {
  const dir = broken();
  const { problems } = loadPolicySet(dir);
  const text = formatLint(problems, undefined);
  expect(text).toMatch(new RegExp(`^${dir}/broken\\.yaml:\\d+:\\d+ rules\\[0\\]\\.when: unknown signal device\\.knwon; allowed: device\\.known`, 'm'));
  expect(text).toContain('[PC_ERR_POLICY_UNKNOWN_SIGNAL]');
  expect(text).toContain('1 problem(s) in 1 file(s)');
});

test('explain: signals, each rule with why, the score and the action', () => {
  const { set } = loadPolicySet(join(root, 'policies'));
  const { input, problems } = toExplainInput({
    kind: 'login',
    phase: 'attempt',
    signals: { device: { known: false }, 'user.second_factor': false },
    counters: { device_passwords_unknown_15m: 12, user_passwords_unknown_15m: 35, user_unknown_ips_1h: 4, known_device_passwords_15m: 0 },
  });
  expect(problems).toEqual([]);
  const e = explain(set!, input!);
  expect(e.verdict.action!.do).toBe('block_user');
  const text = formatExplanation(set!, e);
  expect(text).toMatch(/✓ unknown-device-burst\s+\+50/);
  expect(text).toMatch(/with: device\.known = false, counters\.device_passwords_unknown_15m = 12/);
  expect(text).toMatch(/result: block_user \+ block_portal_rest \+ notify, until lifted \[policy login-takeover, score 150 ≥ 100\]/);
  expect(text).toMatch(/policy rest-apps: not applied/);
  expect(toExplainInput({ kind: 'telnet', signals: [] }).problems.length).toBe(2);
});

test('replay: blocks added and removed, by rule', () => {
  const { set } = loadPolicySet(join(root, 'policies'));
  const lines = [
    { at: '2026-01-01T10:00:00Z', kind: 'login', phase: 'attempt', signals: { 'device.known': false }, counters: { device_passwords_unknown_15m: 12, user_passwords_unknown_15m: 12, user_unknown_ips_1h: 1, known_device_passwords_15m: 0 }, verdict: { rules: [] } },
    { at: '2026-01-01T10:00:01Z', kind: 'login', phase: 'attempt', signals: { 'device.known': true }, counters: { device_passwords_unknown_15m: 0, user_passwords_unknown_15m: 0, user_unknown_ips_1h: 0, known_device_passwords_15m: 5 }, verdict: { action: 'deny_attempt', rules: ['old-typo-rule'] } },
    { at: '2026-01-01T10:00:02Z', kind: 'rest', phase: 'attempt', signals: { 'rest.principal': 'session' }, counters: { webhook_errors_5m: 0, webhook_ips_1h: 0, app_errors_5m: 0 } },
  ];
  const replay = new Replay(set!);
  lines.forEach((l, i) => replay.add(toEventRecord(JSON.parse(JSON.stringify(l)), { requireAt: true }).record!, i + 1));
  const s = replay.summary();
  expect(s).toMatchObject({ events: 3, blocksBefore: 1, blocksAfter: 1, added: 1, removed: 1 });
  expect(s.byRule['unknown-device-burst']).toEqual({ added: 1, removed: 0 });
  expect(s.byRule['old-typo-rule']).toEqual({ added: 0, removed: 1 });
  expect(formatReplay(s)).toMatch(/unknown-device-burst\s+1\s+0/);
  expect(toEventRecord({ kind: 'login', phase: 'attempt' }, { requireAt: true }).problems).toEqual(['at is missing (ISO 8601 time)']);
});

const built = existsSync(join(root, 'dist/gateway/cli/main.js')) && existsSync(join(root, 'dist/gateway/cli/commands/policy.js'));
(built ? test : test.skip)('the compiled CLI: policy lint on a broken folder prints file:line:col and exits 1; test and explain work', () => {
  const cli = join(root, 'bin/portcullis.js');
  const bad = spawnSync(process.execPath, [cli, 'policy', 'lint', broken()], { encoding: 'utf8' });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/broken\.yaml:\d+:\d+ rules\[0\]\.when: unknown signal device\.knwon; allowed: device\.known.*\[PC_ERR_POLICY_UNKNOWN_SIGNAL\]/);
  const json = spawnSync(process.execPath, [cli, 'policy', 'lint', '--json', broken()], { encoding: 'utf8' });
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: [{ code: 'PC_ERR_POLICY_UNKNOWN_SIGNAL' }] });
  const good = spawnSync(process.execPath, [cli, 'policy', 'lint', join(root, 'policies')], { encoding: 'utf8' });
  expect(good.status).toBe(0);
  const tests = spawnSync(process.execPath, [cli, 'policy', 'test', join(root, 'policies')], { encoding: 'utf8' });
  expect(tests.status).toBe(0);
  expect(tests.stdout).toContain('✓ five typos on my own laptop never block');
  const dir = policyDir({});
  writeFileSync(join(dir, 'req.yaml'), 'kind: login\nsignals: { device.known: true }\ncounters: { known_device_passwords_15m: 5 }\n');
  const ex = spawnSync(process.execPath, [cli, 'policy', 'explain', '--request', join(dir, 'req.yaml'), '--policies', join(root, 'policies')], { encoding: 'utf8' });
  expect(ex.status).toBe(0);
  expect(ex.stdout).toContain('result: forward (no action)');
  const help = spawnSync(process.execPath, [cli, 'policy', 'replay', '--help'], { encoding: 'utf8' });
  expect(help.stdout).toMatch(/--baseline <path>/);
});
