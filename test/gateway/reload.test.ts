/**
 * Policy reload on a running gateway: through the admin API, on a file change, and on SIGHUP (the
 * compiled CLI); a broken set leaves the last good one serving; no request fails during 50 reloads.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { DEFAULT_PORTAL_SETTINGS } from '../../gateway/config/defaults';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../helpers/stack';
import { REPO_ROOT, startGatewayProcess, startSimProcess, stopAll, tempDir } from '../helpers/processes';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function copyDefaults(): string {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(path.join(REPO_ROOT, 'policies'))) {
    if (f.endsWith('.yaml')) copyFileSync(path.join(REPO_ROOT, 'policies', f), path.join(dir, f));
  }
  return dir;
}

async function policies(s: Stack): Promise<{ version: string; last_reload: { ok: boolean; errors: { message: string }[] } }> {
  const res = await request(`${s.gw.adminUrl}/v1/policies`, { headers: auth });
  return (await res.body.json()) as never;
}

afterAll(() => stopAll());

describe('policy reload', () => {
  test('through the admin API: a changed set swaps in; a broken one is refused and the last good one serves', async () => {
    const dir = copyDefaults();
    const s = await startStack({ config: { policiesDir: dir } });
    try {
      const before = await policies(s);
      const file = path.join(dir, 'spraying.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('counters.ip_users_succeeding_1d >= 10', 'counters.ip_users_succeeding_1d >= 12'));
      const ok = await request(`${s.gw.adminUrl}/v1/policies/reload`, { method: 'POST', headers: auth });
      const okBody = (await ok.body.json()) as { ok: boolean; version: string };
      expect(ok.statusCode).toBe(200);
      expect(okBody.ok).toBe(true);
      expect(okBody.version).not.toBe(before.version);

      writeFileSync(path.join(dir, 'broken.yaml'), 'version: portcullis/v1\nname: broken\non: [login]\nrules:\n  - { id: typo, when: device.knwon, score: 1 }\nactions:\n  - { at: 1, do: deny_attempt }\n');
      const bad = await request(`${s.gw.adminUrl}/v1/policies/reload`, { method: 'POST', headers: auth });
      const badBody = (await bad.body.json()) as { ok: boolean; version: string; errors: { message: string; line: number }[] };
      expect(bad.statusCode).toBe(422);
      expect(badBody.ok).toBe(false);
      expect(badBody.version).toBe(okBody.version); // still the last good set
      expect(badBody.errors[0]!.message).toMatch(/broken\.yaml:5:\d+ .*device\.knwon.*allowed: device\.known/);
      const after = await policies(s);
      expect(after.version).toBe(okBody.version);
      expect(after.last_reload.ok).toBe(false);
      // Still serving, with the last good set.
      const res = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const metrics = await (await request(`${s.gw.adminUrl}/metrics`, { headers: auth })).body.text();
      expect(metrics).toMatch(/portcullis_policy_reloads_total\{result="failed",trigger="admin_api"\} 1/);
    } finally {
      await s.close();
    }
  });

  test('on a file change (debounced), without being asked', async () => {
    const dir = copyDefaults();
    const s = await startStack({ config: { policiesDir: dir } });
    try {
      const before = (await policies(s)).version;
      const file = path.join(dir, 'spraying.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('>= 10', '>= 11'));
      await eventually(() => s.gw.policies.current().version !== before, 5000);
      expect(s.gw.policies.lastResult().trigger).toBe('file_change');
    } finally {
      await s.close();
    }
  });

  test('no request fails during 50 reloads under load', async () => {
    const dir = copyDefaults();
    // The portal's own REST bucket would answer 503 under this load: off, so every 5xx would be ours.
    const s = await startStack({
      config: { policiesDir: dir, portalDefaults: { ...DEFAULT_PORTAL_SETTINGS, rest: { ...DEFAULT_PORTAL_SETTINGS.rest, limit: { burst: 0, drainPerSecond: 5 } } } },
      sim: { restLimit: false },
    });
    try {
      let stop = false;
      const statuses: number[] = [];
      const load = (async () => {
        const workers = Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const isLogin = (i + w) % 2 === 0;
            const res = isLogin
              ? await request(`${s.gw.url}/auth/?login=yes`, {
                  method: 'POST',
                  headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' },
                  body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=user${w}&USER_PASSWORD=wrong${i}`,
                })
              : await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
            await res.body.dump();
            statuses.push(res.statusCode);
          }
        });
        await Promise.all(workers);
      })();
      const file = path.join(dir, 'spraying.yaml');
      const text = readFileSync(file, 'utf8');
      const versions = new Set<string>();
      for (let i = 0; i < 50; i++) {
        writeFileSync(file, text.replace('>= 10', `>= ${10 + (i % 7)}`));
        const r = s.gw.reloadPolicies('admin_api');
        expect(r.ok).toBe(true);
        versions.add(r.version);
        // Requests answered between every two reloads, however fast this machine is today: the
        // count below then says "reloads interleaved with traffic", not "the machine was quick".
        const before = statuses.length;
        while (statuses.length < before + 2) await new Promise((r2) => setTimeout(r2, 5));
      }
      stop = true;
      await load;
      expect(versions.size).toBe(7);
      expect(statuses.length).toBeGreaterThanOrEqual(100);
      expect(statuses.filter((x) => x >= 500)).toEqual([]);
      expect(s.logs.filter((l) => l.msg === 'request' && l.error_code)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('SIGHUP reloads the compiled gateway', async () => {
    const dir = copyDefaults();
    const sim = await startSimProcess({ hashCostMs: 0 } as never);
    const gw = await startGatewayProcess({ upstream: sim.url!, env: { PORTCULLIS_POLICIES: dir, PORTCULLIS_LOG_LEVEL: 'info' } } as never);
    const file = path.join(dir, 'spraying.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('>= 10', '>= 13'));
    // The file watcher may beat SIGHUP to it; either way, SIGHUP must produce its own reload line.
    gw.child.kill('SIGHUP');
    await gw.waitForOutput(/"trigger":"sighup".*"msg":"policies loaded"/, 10_000);
  });
});
