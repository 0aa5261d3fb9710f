/**
 * The CLI as a new user meets it: the compiled `bin/portcullis.js` (built by `pretest`), its help, its
 * refusal of a bad configuration, and the demo that `npm start` runs.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { CLI_PATH, spawnProcess, stopAll, tempDir } from '../helpers/processes';

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_') && k !== 'REDIS_URL'));
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => stopAll());

describe('portcullis --help', () => {
  test('lists the commands and explains them', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['serve', 'demo', 'portal']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    expect(r.stdout).toMatch(/security gateway/);
  });
  test('every command has its own help with every option', () => {
    const serve = cli(['serve', '--help']);
    expect(serve.status).toBe(0);
    expect(serve.stdout).toMatch(/--config <file>/);
    expect(serve.stdout).toMatch(/PORTCULLIS_UPSTREAM/);
    expect(serve.stdout).toMatch(/Exit codes/);
    const portal = cli(['portal', '--help']);
    expect(portal.stdout).toMatch(/--no-rest-limit/);
    expect(cli(['demo', '--help']).stdout).toMatch(/--portal-listen/);
  });
  test('an unknown command or option is a usage error (exit 2)', () => {
    expect(cli(['nonsense']).status).toBe(2);
    expect(cli(['serve', '--bogus']).status).toBe(2);
  });
});

describe('portcullis serve refuses a bad configuration', () => {
  test('without an upstream or a secret: exit 2, each problem named', () => {
    const r = cli(['serve']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/PORTCULLIS_UPSTREAM/);
    expect(r.stderr).toMatch(/\[PC_ERR_CONFIG_REQUIRED\]/);
    expect(r.stderr).toMatch(/\[PC_ERR_CONFIG_SECRET\]/);
  });
  test('a broken file: every problem at once with file:line:col, key and allowed values', () => {
    const dir = tempDir();
    const file = path.join(dir, 'portcullis.yaml');
    writeFileSync(file, ['upstream: http://127.0.0.1:1', 'logLevel: loud', 'limits:', '  formBodyMaxByts: 10', ''].join('\n'));
    const r = cli(['serve', '--config', file], { PORTCULLIS_SECRET: 'x'.repeat(32) });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:2:11 logLevel: "loud" is not an allowed value; allowed: fatal, error, warn, info, debug, trace, silent  [PC_ERR_CONFIG_TYPE]`);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:3 limits\\.formBodyMaxByts: unknown key; allowed: formBodyMaxBytes`));
  });
  test('--print-config shows the effective configuration with secrets masked', () => {
    const r = cli(['serve', '--print-config'], { PORTCULLIS_UPSTREAM: 'http://portal.internal', PORTCULLIS_ADMIN_TOKEN: 'very-secret-token', PORTCULLIS_SECRET: 'y'.repeat(32) });
    expect(r.status).toBe(0);
    const cfg = JSON.parse(r.stdout) as { upstream: string; admin: { token: string }; secret: string };
    expect(cfg.upstream).toBe('http://portal.internal');
    expect(cfg.admin.token).toBe('***');
    expect(r.stdout).not.toContain('very-secret-token');
  });
});

describe('portcullis demo (what npm start runs)', () => {
  test('serves the simulator behind the gateway: login, failure page and REST work through it', async () => {
    const demo = await spawnProcess({
      name: 'demo',
      args: [CLI_PATH, 'demo', '--listen', '127.0.0.1:0', '--portal-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--hash-cost-ms', '0'],
      env: { PORTCULLIS_STATE_DIR: tempDir(), PORTCULLIS_LOG_LEVEL: 'warn' },
    });
    const banner = await demo.waitForOutput(/gateway\s+(http:\/\/\S+)/);
    const gateway = banner[1]!;
    expect(demo.output()).toMatch(/bob\s+Demo-Bob-2024!/);
    expect(demo.output()).toMatch(/curl -s http:\/\/\S+\/rest\/1\/demoadminhook001\/user\.current\.json/);

    const form = { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost' };
    const ok = await request(`${gateway}/auth/?login=yes`, { method: 'POST', headers: form, body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=Demo-Bob-2024%21' });
    await ok.body.dump();
    expect(ok.statusCode).toBe(302);
    expect(String(ok.headers['set-cookie'])).toMatch(/PHPSESSID=/);
    const bad = await request(`${gateway}/auth/?login=yes`, { method: 'POST', headers: form, body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=nope' });
    expect(await bad.body.text()).toContain('Incorrect login or password');
    const rest = await request(`${gateway}/rest/1/demoadminhook001/user.current.json`);
    expect(rest.statusCode).toBe(200);
    expect(((await rest.body.json()) as { result: { ID: string } }).result.ID).toBe('1');
    const exit = await demo.stop('SIGTERM');
    expect(exit.code).toBe(0);
  });
});
