/**
 * `portcullis directory sync` and serve's periodic sync, against the real simulator's REST (user.admin,
 * user.get 50 a page): the directory the unblock rules read comes from the portal, phones included;
 * a webhook error imports nothing and leaves the previous directory; the webhook's code never reaches
 * the CLI's output or the gateway's log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import type { Seed } from '../../portal-sim/seed';
import { startGatewayProcess, stopAll, tempDir, type GatewayProcess } from '../helpers/processes';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { api } from '../admin/helpers';
import { cliAsync } from './run-cli';

const cli = cliAsync;

interface Entry {
  login: string;
  email?: string;
  name?: string;
  phone?: string;
  id?: number;
  admin: boolean;
  owner: boolean;
  active: boolean;
}

const ADMIN_HOOK_CODE = 'demoadminhook001';
const hookUrl = (sim: PortalSim, user: number, code: string): string => `${sim.url.replace('127.0.0.1', 'localhost')}/rest/${user}/${code}/`;

/** 120 users (three pages of user.get), user 1 the admin behind the webhook, every 10th dismissed. */
function bigSeed(): Seed {
  const users = Array.from({ length: 120 }, (_, i) => ({
    id: i + 1,
    login: `user${String(i + 1).padStart(3, '0')}`,
    email: `user${i + 1}@big.example`,
    name: `User Number${i + 1}`,
    password: `Big-Demo-Password-${i + 1}`,
    admin: i === 0,
    owner: i === 0,
    active: (i + 1) % 10 !== 0,
    ...(i % 2 === 0 ? { mobile: `+1555000${String(i + 1).padStart(4, '0')}` } : {}),
  }));
  return { portals: [{ host: 'big.example', aliases: ['localhost'], users, webhooks: [{ user_id: 1, code: 'bigadminhook0001' }] }] };
}

describe('portcullis directory sync, from the simulator through the CLI', () => {
  let s: Stack;
  let env: Record<string, string>;
  beforeAll(async () => {
    s = await startStack({ sim: { restLimit: false } });
    env = { PORTCULLIS_ADMIN_URL: s.gw.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(() => s.close());

  const directory = async (portal: string): Promise<Entry[]> => (await api<{ items: Entry[] }>(s, 'GET', `/v1/portals/${portal}/directory`)).body.items;

  test('imports the users, their admin/owner/active flags and phones; never a password; the code is never printed', async () => {
    const run = await cli(['directory', 'sync', '--portal', 'localhost', '--webhook-env', 'HOOK', '--owner-ids', '1'], { ...env, HOOK: hookUrl(s.sim, 1, ADMIN_HOOK_CODE) });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^imported 4 user\(s\) into localhost, removed 0\n {2}read 4 from the portal in 1 page\(s\): 1 admin\(s\), 1 owner\(s\), 1 inactive, 1 with a phone/);
    expect(run.stdout).not.toContain(ADMIN_HOOK_CODE);
    const items = await directory('localhost');
    expect(items.map((e) => [e.login, e.id, e.admin, e.owner, e.active])).toEqual([
      ['admin', 1, true, true, true],
      ['bob', 2, false, false, true],
      ['carol', 3, false, false, true],
      ['dave', 4, false, false, false],
    ]);
    expect(items.find((e) => e.login === 'bob')).toMatchObject({ email: 'bob@demo.example', name: 'Bob Employee', phone: '+15550100002' });
    expect(JSON.stringify(items)).not.toMatch(/Demo-.*-2024!/);
    // A dry run reads and shows, imports nothing, and needs no admin token.
    const dry = await cli(['directory', 'sync', '--portal', 'localhost', '--dry-run', '--json'], { HOOK: hookUrl(s.sim, 1, ADMIN_HOOK_CODE), PORTCULLIS_DIRECTORY_WEBHOOK: hookUrl(s.sim, 1, ADMIN_HOOK_CODE) });
    expect(dry.stderr).toBe('');
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, read: 4, entries: expect.arrayContaining([expect.objectContaining({ login: 'bob', phone: '+15550100002', id: 2 })]) });
    // The people the unblock rules read are the portal's.
    const users = (await api<{ items: { login: string; role?: string; admin: boolean; active_employee: boolean }[] }>(s, 'GET', '/v1/users?portal=localhost')).body.items;
    expect(users.find((u) => u.login === 'dave')!.active_employee).toBe(false);
    expect(users.find((u) => u.login === 'admin')!.admin).toBe(true);
  });

  test('directory import --file: a hand-written directory through the same admin route (no curl needed)', async () => {
    const file = path.join(tempDir(), 'users.json');
    fs.writeFileSync(file, JSON.stringify([{ login: 'olga', email: 'olga@hand.example', admin: true, owner: true, phone: '+15550109999', id: 9 }, { login: 'ivan', active: false }]));
    const run = await cli(['directory', 'import', '--portal', 'hand.example', '--file', file], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('imported 2 user(s) into hand.example, removed 0\n');
    expect((await directory('hand.example')).map((e) => [e.login, e.owner, e.active, e.phone ?? null, e.id ?? null])).toEqual([
      ['ivan', false, false, null, null],
      ['olga', true, true, '+15550109999', 9],
    ]);
    const bad = await cli(['directory', 'import', '--portal', 'hand.example', '--file', path.join(path.dirname(file), 'missing.json')], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot read \(ENOENT\)/);
  });

  test('pages over more than 50 users (start 0, 50, 100) and imports all of them', async () => {
    const big = await startPortalSim({ hashCostMs: 0, restLimit: false, seed: bigSeed() });
    try {
      const run = await cli(['directory', 'sync', '--portal', 'big.example', '--webhook', hookUrl(big, 1, 'bigadminhook0001'), '--owner-ids', '1', '--json'], env);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const out = JSON.parse(run.stdout) as { imported: number; pages: number; inactive: number; with_phone: number; admins: number };
      expect(out).toMatchObject({ imported: 120, pages: 3, inactive: 12, with_phone: 60, admins: 1 });
      const starts = big.received.filter((r) => r.url.includes('/user.get')).map((r) => (JSON.parse(r.body) as { start: number }).start);
      expect(starts).toEqual([0, 50, 100]);
      const items = await directory('big.example');
      expect(items).toHaveLength(120);
      expect(items.find((e) => e.login === 'user120')).toMatchObject({ id: 120, active: false });
      expect(items.find((e) => e.login === 'user051')).toMatchObject({ id: 51, active: true, phone: '+15550000051' });
    } finally {
      await big.close();
    }
  });

  test('a webhook error answer is a clear CLI error and leaves the previous directory in place', async () => {
    const before = await directory('localhost');
    expect(before).toHaveLength(4);
    const wrongCode = 'wrongcode0000000';
    const bad = await cli(['directory', 'sync', '--portal', 'localhost', '--webhook', hookUrl(s.sim, 1, wrongCode)], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/refused user\.admin with INVALID_CREDENTIALS.*nothing was imported, the previous directory of localhost stays {2}\[PC_ERR_DIRECTORY_SYNC\]/);
    expect(bad.stderr).not.toContain(wrongCode);

    // A webhook of a user who is not an administrator could not see everyone: refused, nothing imported.
    const notAdmin = await cli(['directory', 'sync', '--portal', 'localhost', '--webhook', hookUrl(s.sim, 2, 'demobobhook00002')], env);
    expect(notAdmin.status).toBe(1);
    expect(notAdmin.stderr).toMatch(/not an administrator.*\[PC_ERR_DIRECTORY_NOT_ADMIN\]/);

    // The portal is not there at all.
    const down = await cli(['directory', 'sync', '--portal', 'localhost', '--webhook', 'http://127.0.0.1:1/rest/1/somecode12345678/'], env);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1 for user\.admin.*\[PC_ERR_DIRECTORY_SYNC\]/);

    // No webhook: a usage error.
    const none = await cli(['directory', 'sync', '--portal', 'localhost'], env);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no webhook: pass --webhook/);

    expect(await directory('localhost')).toEqual(before);
  });
});

describe("serve's periodic directory sync, in a real gateway process", () => {
  let sim: PortalSim;
  let gw: GatewayProcess;
  const code = ADMIN_HOOK_CODE;
  beforeAll(async () => {
    sim = await startPortalSim({ hashCostMs: 0, restLimit: false });
    const dir = tempDir();
    const config = path.join(dir, 'portcullis.yaml');
    fs.writeFileSync(config, ['portals:', '  localhost:', '    directorySync:', '      webhookUrlEnv: LOCALHOST_DIRECTORY_HOOK', '      intervalMs: 1000', '      ownerIds: [1]', ''].join('\n'));
    gw = await startGatewayProcess({ upstream: sim.url, env: { PORTCULLIS_CONFIG: config, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, LOCALHOST_DIRECTORY_HOOK: hookUrl(sim, 1, code) } });
  }, 30_000);
  afterAll(async () => {
    await stopAll();
    await sim.close();
  });

  const directory = async (): Promise<Entry[]> => {
    const res = await request(`${gw.adminUrl}/v1/portals/localhost/directory`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.body.json()) as { items: Entry[] }).items;
  };
  const until = async (pred: (items: Entry[]) => boolean): Promise<Entry[]> => {
    for (let i = 0; i < 200; i++) {
      const items = await directory();
      if (pred(items)) return items;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the directory never matched; gateway output:\n${gw.output()}`);
  };

  test('syncs at start, follows the portal (a dismissal) on the next run, and never logs the webhook code', async () => {
    const first = await until((items) => items.length === 4);
    expect(first.find((e) => e.login === 'admin')).toMatchObject({ admin: true, owner: true, id: 1 });
    expect(first.find((e) => e.login === 'carol')!.active).toBe(true);
    await gw.waitForOutput(/"portal":"localhost","changed":true,"users":4/);
    // The next runs find the directory as the portal says: nothing written, nothing audited.
    await gw.waitForOutput(/"portal":"localhost","users":4,"changed":false/);

    sim.portal('localhost')!.usersById.get(3)!.active = false; // carol leaves the company
    await until((items) => items.find((e) => e.login === 'carol')?.active === false);

    // The log is written in blocks: wait for the second import's line before reading it all.
    await gw.waitForOutput(/"changed":true[\s\S]*"changed":true/);
    const out = gw.output();
    expect(out.match(/"changed":true/g)).toHaveLength(2);
    expect(out).not.toContain(code);
    const audit = await request(`${gw.adminUrl}/v1/audit?portal=localhost&type=directory_imported`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const events = ((await audit.body.json()) as { items: { actor: string }[] }).items;
    expect(events.map((e) => e.actor)).toEqual(['directory-sync', 'directory-sync']);
  });
});
