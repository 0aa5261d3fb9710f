/**
 * The admin CLI (`bin/portcullis.js`, compiled by `npm run build`) against a running gateway: blocks
 * list|add|lift, the support flow's requests, users, posture, audit tail; --json; and its failures:
 * a wrong token and an unreachable API exit 1 with the code, a usage error exits 2.
 *
 * The gateway runs in this process, so the CLI is run asynchronously (a synchronous spawn would stop
 * the event loop that has to answer it).
 */
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { importSeedDirectories } from '../admin/helpers';
import { spawn } from 'node:child_process';
import { CLI_PATH } from '../helpers/processes';
import { cliAsync } from './run-cli';

const cli = cliAsync;

describe('the admin CLI against a running gateway', () => {
  let s: Stack;
  let env: Record<string, string>;
  beforeAll(async () => {
    s = await startStack({ sim: { restLimit: false } });
    await importSeedDirectories(s);
    env = { PORTCULLIS_ADMIN_URL: s.gw.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(() => s.close());

  test('blocks add, list (table and --json) and lift', async () => {
    const add = await cli(['blocks', 'add', '--portal', 'localhost', '--user', 'bob', '--with-rest', '--reason', 'phishing report', '--duration', '2h', '--operator', 'olga'], env);
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    expect(add.stdout).toMatch(/^blocked:/);
    expect(add.stdout).toMatch(/user\s+bob\s+operator:admin\s+phishing report/);

    const table = await cli(['blocks', 'list', '--portal', 'localhost'], env);
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+PORTAL\s+KIND\s+USER\/SUBJECT\s+BY\s+REASON/);
    expect(table.stdout).toMatch(/portal_rest/);

    const json = await cli(['blocks', 'list', '--kind', 'user', '--json', '--url', s.gw.adminUrl, '--token', ADMIN_TOKEN], {});
    expect(json.status).toBe(0);
    const items = (JSON.parse(json.stdout) as { items: { id: string; user: string }[] }).items;
    expect(items.map((b) => b.user)).toEqual(['bob']);

    const lift = await cli(['blocks', 'lift', items[0]!.id, '--operator', 'olga'], env);
    expect(lift.status).toBe(0);
    expect(lift.stdout).toMatch(/bob must now set a new password \(reset_required\)/);
    const after = JSON.parse((await cli(['blocks', 'list', '--json'], env)).stdout) as { items: { kind: string }[] };
    expect(after.items.map((b) => b.kind)).toEqual(['reset_required']);
  });

  test('the support flow: requests file, verify, approve; users show; posture; audit tail', async () => {
    await cli(['blocks', 'add', '--portal', 'acme.bitrix24.local', '--user', 'owner@acme.example', '--with-rest', '--reason', 'takeover', '--operator', 'olga'], env);
    const filed = await cli(['requests', 'file', '--portal', 'acme.bitrix24.local', '--user', 'owner@acme.example', '--name', 'Olga Acme', '--email', 'owner@acme.example', '--by', 'sales@acme.example', '--json'], env);
    expect(filed.status).toBe(0);
    const id = (JSON.parse(filed.stdout) as { id: string }).id;
    const early = await cli(['requests', 'approve', id, '--by', 'sam'], env);
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/verify their identity first.*\[PC_ERR_ADMIN_IDENTITY_REQUIRED\]/);
    expect((await cli(['requests', 'verify', id, '--by', 'sam', '--method', 'video call'], env)).status).toBe(0);
    const list = await cli(['requests', 'list', '--state', 'identity_verified'], env);
    expect(list.stdout).toMatch(/owner@acme\.example\s+owner\s+sales@acme\.example\s+employee\s+identity_verified/);
    const approved = await cli(['requests', 'approve', id, '--by', 'sam'], env);
    expect(approved.status).toBe(0);
    expect(approved.stdout).toMatch(/state\s+approved/);

    const users = await cli(['users', 'show', 'acme.bitrix24.local'], env);
    expect(users.stdout).toMatch(/owner@acme\.example\s+Olga Acme\s+owner\s+reset_required/);
    const one = await cli(['users', 'show', 'acme.bitrix24.local', 'owner@acme.example', '--json'], env);
    expect(JSON.parse(one.stdout)).toMatchObject({ login: 'owner@acme.example', state: 'reset_required' });

    const posture = await cli(['posture', 'acme.bitrix24.local'], env);
    expect(posture.status).toBe(0);
    expect(posture.stdout).toMatch(/^Posture of acme\.bitrix24\.local: 5 user\(s\)/);
    expect(posture.stdout).toMatch(/blocks in the last 30 days: 2 \(user_blocked 1, rest_blocked 1\)/);

    const tail = await cli(['audit', 'tail', '--portal', 'acme.bitrix24.local', '-n', '50'], env);
    expect(tail.status).toBe(0);
    expect(tail.stdout).toMatch(/unblock_request_approved\s+support:admin\s+owner@acme\.example/);
    const lines = tail.stdout.trim().split('\n');
    // Oldest first, like tail: the block comes before the approval.
    expect(lines.findIndex((l) => /user_blocked/.test(l))).toBeLessThan(lines.findIndex((l) => /unblock_request_approved/.test(l)));

    const sole = await cli(['blocks', 'add', '--portal', 'solo.bitrix24.local', '--user', 'solo@solo.example', '--reason', 'x'], env);
    expect(sole.status).toBe(0);
    const refused = await cli(['requests', 'file', '--portal', 'solo.bitrix24.local', '--user', 'solo@solo.example', '--name', 'Sol Only', '--email', 'solo@solo.example', '--by', 'solo@solo.example', '--channel', 'sales_email'], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/registering a new account.*\[PC_ERR_ADMIN_SOLE_USER\]/);
  });

  test('tables print ids whole, so they paste into `blocks lift`; only free text is cut', async () => {
    const login = `a.very.long.login.name.for.the.table.test.${'x'.repeat(40)}@example.com`;
    const reason = `reported by the security team after ${'a long investigation, '.repeat(6)}end`;
    expect((await cli(['blocks', 'add', '--portal', 'localhost', '--user', login, '--reason', reason, '--operator', 'olga'], env)).status).toBe(0);
    const json = JSON.parse((await cli(['blocks', 'list', '--user', login, '--json'], env)).stdout) as { items: { id: string }[] };
    const table = await cli(['blocks', 'list', '--user', login], env);
    const rows = table.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(1);
    const id = rows[0]!.split(/\s+/)[0]!;
    expect(id).toBe(json.items[0]!.id);
    expect(rows[0]).toContain(login);
    expect(rows[0]).not.toContain(reason);
    expect(rows[0]).toMatch(/reported by the security team after a long.*…/);
    const lift = await cli(['blocks', 'lift', id, '--operator', 'olga'], env);
    expect(lift.stderr).toBe('');
    expect(lift.status).toBe(0);
  });

  test('users show LOGIN reads as lines, not a JSON blob', async () => {
    await cli(['blocks', 'add', '--portal', 'localhost', '--user', 'carol', '--reason', 'phishing report', '--operator', 'olga'], env);
    const one = await cli(['users', 'show', 'localhost', 'carol'], env);
    expect(one.status).toBe(0);
    expect(one.stdout).not.toMatch(/[{}]/);
    expect(one.stdout).toMatch(/^state\s+blocked$/m);
    expect(one.stdout).toMatch(/^in_directory\s+yes$/m);
    expect(one.stdout).toMatch(/^last_success\s+never seen$/m);
    // The actor is the admin token's name (the test's token is the built-in "admin"), never the --operator the caller claims.
    expect(one.stdout).toMatch(/^block\s+blocked since \d{4}-\d\d-\d\dT[\d:.]+Z, by operator:admin: phishing report$/m);
    const blockId = /^block_id\s+(\S+)$/m.exec(one.stdout)![1]!;
    expect((await cli(['blocks', 'lift', blockId, '--operator', 'olga'], env)).status).toBe(0);
  });

  test('audit tail -f prints every event once: never the last one again', async () => {
    const child = spawn(process.execPath, [CLI_PATH, 'audit', 'tail', '--portal', 'localhost', '-n', '3', '-f', '--interval-ms', '50'], {
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_'))), ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 400 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 25));
      expect(out).toMatch(re);
    };
    try {
      await waitFor(/^AT\s+PORTAL/m);
      // Two new events, one after the other: by the time the second is printed, the tail has polled
      // several times since the first batch, each poll asking from the last event's millisecond on.
      await cli(['blocks', 'add', '--portal', 'localhost', '--ip', '203.0.113.7', '--reason', 'tail one', '--operator', 'olga'], env);
      await waitFor(/tail one/);
      await cli(['blocks', 'add', '--portal', 'localhost', '--ip', '203.0.113.8', '--reason', 'tail two', '--operator', 'olga'], env);
      await waitFor(/tail two/);
    } finally {
      child.kill('SIGTERM');
    }
    // at, portal, type, actor, user: the table cuts long details, the followed lines do not.
    const lines = out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(0, 5).join(' '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines).size).toBe(lines.length);
  });

  test('a wrong token: exit 1 and a clear message with the code', async () => {
    const r = await cli(['blocks', 'list'], { ...env, PORTCULLIS_ADMIN_TOKEN: 'wrong-token' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused the token \(401\): check --token or PORTCULLIS_ADMIN_TOKEN\s+\[PC_ERR_ADMIN_UNAUTHORIZED\]/);
    expect(r.stderr).not.toContain('wrong-token');
    expect(r.stdout).toBe('');
  });

  test('an unreachable API: exit 1 naming the URL; no token at all and bad options: exit 2', async () => {
    const down = await cli(['blocks', 'list', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the admin API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\).*\[PC_ERR_ADMIN_UNREACHABLE\]/);
    const noToken = await cli(['blocks', 'list', '--url', s.gw.adminUrl]);
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toMatch(/no admin token/);
    expect((await cli(['blocks', 'add', '--portal', 'localhost', '--reason', 'x'], env)).status).toBe(2);
    expect((await cli(['blocks', 'add', '--portal', 'localhost', '--user', 'a', '--ip', '1.2.3.4', '--reason', 'x'], env)).status).toBe(2);
    expect((await cli(['blocks', 'add', '--user', 'a', '--reason', 'x'], env)).status).toBe(2);
    expect((await cli(['requests', 'nonsense'], env)).status).toBe(2);
    // A refusal by the API (invalid field) is exit 1 with the API's code.
    const invalid = await cli(['blocks', 'add', '--portal', 'localhost', '--prefix', '10.0.0.0/8', '--reason', 'x'], env);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/\[PC_ERR_ADMIN_INVALID_FIELD\]/);
  });

  test('--help explains each command', async () => {
    const top = await cli(['--help']);
    for (const cmd of ['blocks', 'requests', 'users', 'posture', 'audit']) expect(top.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const blocks = await cli(['blocks', 'add', '--help']);
    expect(blocks.status).toBe(0);
    expect(blocks.stdout).toMatch(/--prefix <cidr>/);
    expect(blocks.stdout).toMatch(/PORTCULLIS_ADMIN_URL/);
    const requests = await cli(['requests', '--help']);
    expect(requests.stdout).toMatch(/sales_email/);
    expect(requests.stdout).toMatch(/verify/);
  });
});
