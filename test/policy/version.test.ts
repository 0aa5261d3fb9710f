/**
 * The policy set version is a hash of the files' names and contents, whatever the spelling of the
 * folder: `policy lint` in CI and a running replica report the same version for the same files.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { CLI_PATH, REPO_ROOT, startGatewayProcess, stopAll, tempDir } from '../helpers/processes';
import { ADMIN_TOKEN } from '../helpers/stack';

afterAll(() => stopAll());

function lintVersion(folder: string, cwd: string): string {
  const r = spawnSync(process.execPath, [CLI_PATH, 'policy', 'lint', folder, '--json'], { encoding: 'utf8', cwd });
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { version: string }).version;
}

test('policy lint and a running gateway report one version for every spelling of the folder', async () => {
  const root = tempDir();
  const dir = path.join(root, 'policies');
  mkdirSync(dir);
  for (const f of readdirSync(path.join(REPO_ROOT, 'policies'))) if (f.endsWith('.yaml')) copyFileSync(path.join(REPO_ROOT, 'policies', f), path.join(dir, f));
  symlinkSync(dir, path.join(root, 'linked'));

  const spellings: [string, string][] = [
    [dir, REPO_ROOT],
    [`${dir}/`, REPO_ROOT],
    [path.join(root, '.', 'policies', '.') + '/', REPO_ROOT],
    ['policies', root],
    ['./policies/', root],
    [path.join(root, 'linked'), REPO_ROOT],
  ];
  const versions = spellings.map(([folder, cwd]) => lintVersion(folder, cwd));
  expect(new Set(versions).size).toBe(1);

  const gw = await startGatewayProcess({ upstream: 'http://127.0.0.1:9', policiesDir: `${path.join(root, 'linked')}/`, env: { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN } });
  const res = await request(`${gw.adminUrl}/v1/policies`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(((await res.body.json()) as { version: string }).version).toBe(versions[0]);

  // The contents (and the names) are the version: one changed character is another version.
  const file = path.join(dir, 'login-takeover.yaml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n# reviewed\n`);
  expect(lintVersion(dir, REPO_ROOT)).not.toBe(versions[0]);
}, 60_000);
