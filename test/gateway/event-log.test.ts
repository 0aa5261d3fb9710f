/**
 * The gateway's policy event log feeds `portcullis policy replay`: real traffic is recorded, then
 * replayed through a stricter policy set with the compiled CLI, which reports the blocks it would add.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { CLI_PATH, REPO_ROOT, tempDir } from '../helpers/processes';
import { startStack } from '../helpers/stack';

test('recorded logins replay through a changed policy set', async () => {
  const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
  const stateDir = s.gw.config.stateDir;
  for (let i = 0; i < 8; i++) {
    const res = await request(`${s.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.77', 'user-agent': 'curl/8' },
      body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=carol&USER_PASSWORD=guess${i}`,
    });
    await res.body.dump();
  }
  await s.close(); // flushes the log
  const log = path.join(stateDir, 'events.jsonl');
  expect(existsSync(log)).toBe(true);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; phase: string; signals: Record<string, unknown>; counters: Record<string, number> });
  expect(lines.filter((l) => l.phase === 'attempt')).toHaveLength(8);
  expect(lines[0]).toMatchObject({ kind: 'login', signals: { 'request.ip': '203.0.113.77', 'user.login': 'carol' } });
  expect(readFileSync(log, 'utf8')).not.toMatch(/guess\d/);

  // A stricter copy of the defaults: step 1 at 5 failures instead of 10.
  const strict = tempDir();
  mkdirSync(strict, { recursive: true });
  for (const f of readdirSync(path.join(REPO_ROOT, 'policies'))) if (f.endsWith('.yaml')) copyFileSync(path.join(REPO_ROOT, 'policies', f), path.join(strict, f));
  const file = path.join(strict, 'login-takeover.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('counters.device_passwords_unknown_15m >= 10', 'counters.device_passwords_unknown_15m >= 5'));
  const r = spawnSync(process.execPath, [CLI_PATH, 'policy', 'replay', '--log', log, '--policies', strict, '--json'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(JSON.stringify(summary)).toMatch(/unknown-device-burst/);
});
