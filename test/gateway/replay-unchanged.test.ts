/**
 * `policy replay --fail-on-change` on the very policy set that decided must find nothing to change:
 * the event log records, for each phase, the counters that phase's verdict saw (the attempt's before
 * the outcome was counted). A recorded attack, through a real gateway and its real event log, then
 * the compiled CLI.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { CLI_PATH, REPO_ROOT } from '../helpers/processes';
import { startStack } from '../helpers/stack';

interface Line {
  phase: string;
  global_shadow?: boolean;
  counters: Record<string, number>;
  verdict?: { action?: string; rules: string[] };
}

test.each([
  ['enforcing', false],
  ['in global shadow mode', true],
])('a recorded attack (gateway %s) replays through the unchanged set with no change (exit 0)', async (_mode, shadow) => {
  const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], shadow } });
  const stateDir = s.gw.config.stateDir;
  const login = async (user: string, password: string, ip: string): Promise<void> => {
    const res = await request(`${s.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, 'user-agent': 'curl/8' },
      body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=${user}&USER_PASSWORD=${encodeURIComponent(password)}`,
    });
    await res.body.dump();
  };
  try {
    // A guessing run from one unknown device, then the right password from it, and a spray over
    // several logins from one address: decoys and blocks on the way.
    for (let i = 0; i < 14; i++) await login('bob', `guess-${i}`, '203.0.113.77');
    await login('bob', 'Demo-Bob-2024!', '203.0.113.77');
    for (let i = 0; i < 12; i++) await login(['carol', 'dave', 'admin', 'nobody'][i % 4]!, `spray-${i}`, '198.51.100.9');
  } finally {
    await s.close(); // flushes the log
  }
  const log = path.join(stateDir, 'events.jsonl');
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
  // The attack was seen: some attempt was denied by the live verdict (in shadow mode: enforced nothing).
  expect(lines.some((l) => l.phase === 'attempt' && l.verdict?.action !== undefined)).toBe(!shadow);
  expect(lines.some((l) => l.phase === 'outcome')).toBe(true);
  expect(lines.every((l) => (l.global_shadow === true) === shadow)).toBe(true);

  const r = spawnSync(process.execPath, [CLI_PATH, 'policy', 'replay', '--log', log, '--policies', path.join(REPO_ROOT, 'policies'), '--fail-on-change', '--json'], { encoding: 'utf8' });
  const summary = JSON.parse(r.stdout) as { events: number; added: number; removed: number; changes: unknown[] };
  expect(summary.events).toBe(lines.length);
  expect(summary.changes).toEqual([]);
  expect(r.status).toBe(0);

  if (shadow) {
    // The same records read as if enforced: shadow mode only reported blocks, so now they are changes.
    const enforced = path.join(path.dirname(log), 'as-enforced.jsonl');
    writeFileSync(enforced, lines.map((l) => JSON.stringify({ ...l, global_shadow: undefined })).join('\n'));
    const e = spawnSync(process.execPath, [CLI_PATH, 'policy', 'replay', '--log', enforced, '--policies', path.join(REPO_ROOT, 'policies'), '--fail-on-change', '--json'], { encoding: 'utf8' });
    expect((JSON.parse(e.stdout) as { added: number }).added).toBeGreaterThan(0);
    expect(e.status).toBe(1);
  }
});
