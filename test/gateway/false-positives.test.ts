/**
 * Ordinary users never pay (issue 14 §1, §2): each scenario of the issue through the real simulator
 * and the real gateway, with the default policies, a freshly deployed gateway (every device is new)
 * and a trusted ingress. Each scenario checks the owner is let in and not blocked, that the portal's
 * REST is untouched, and (where the issue asks) that the attack beside it is still caught.
 */
import fc from 'fast-check';
import path from 'node:path';
import { request } from 'undici';
import { userId } from '../../gateway/lockout/subjects';
import { loadSeed, type Seed } from '../../portal-sim/server';
import { TEST_SECRET } from '../helpers/processes';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { api, seedDirectory } from '../admin/helpers';

const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const ATTACKER = 'python-requests/2.31';
const HOST = 'localhost';
const HOOK = '/rest/1/demoadminhook001/user.current.json';
const BOB = 'Demo-Bob-2024!';

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}

/** A browser: it keeps the cookies it is given (per name), as a person's laptop does. */
class Client {
  private readonly jar = new Map<string, string>();
  constructor(
    readonly ip: string,
    readonly ua: string,
  ) {}

  cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  has(name: string): boolean {
    return this.jar.has(name);
  }

  async form(s: Stack, path: string, fields: Record<string, string>): Promise<Reply> {
    const res = await request(`${s.gw.url}${path}`, {
      method: 'POST',
      headers: { host: HOST, 'content-type': FORM, 'user-agent': this.ua, 'x-forwarded-for': this.ip, ...(this.jar.size ? { cookie: this.cookie() } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
    const body = await res.body.text();
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    for (const c of setCookie) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: res.statusCode, body, setCookie };
  }

  login(s: Stack, user: string, password: string): Promise<Reply> {
    return this.form(s, '/auth/?login=yes', { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password });
  }

  otp(s: Stack, code: string): Promise<Reply> {
    return this.form(s, '/auth/?login=yes', { AUTH_FORM: 'Y', TYPE: 'OTP', USER_OTP: code });
  }

  /** Recovery by e-mail (or phone) through the gateway, then the change with the check word received. */
  async recover(s: Stack, who: { login?: string; phone?: string }, newPassword: string): Promise<Reply> {
    const id: Record<string, string> = who.login !== undefined ? { USER_LOGIN: who.login } : { USER_PHONE_NUMBER: who.phone! };
    await this.form(s, '/auth/?forgot_password=yes', { AUTH_FORM: 'Y', TYPE: 'SEND_PWD', ...id });
    const checkword = s.sim.mailbox(HOST, who.login ?? loginOfPhone(who.phone!))!;
    expect(checkword).toBeDefined();
    return this.form(s, '/auth/?change_password=yes', { AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', ...id, USER_CHECKWORD: checkword, USER_PASSWORD: newPassword, USER_CONFIRM_PASSWORD: newPassword });
  }
}

const loggedIn = (r: Reply): boolean => r.status === 302 && r.setCookie.some((c) => c.startsWith('BITRIX_SM_LOGIN='));
const refused = (r: Reply): boolean => r.status === 200 && r.body.includes('Incorrect login or password');
const uid = (login: string): string => userId(TEST_SECRET, HOST, login);
const userBlocked = (s: Stack, login: string): boolean => s.gw.blocks.find(HOST, 'user', uid(login)) !== undefined;
const restBlocked = (s: Stack): boolean => s.gw.blocks.find(HOST, 'portal_rest', '') !== undefined;

async function rest(s: Stack): Promise<number> {
  const res = await request(`${s.gw.url}${HOOK}`, { headers: { host: HOST } });
  await res.body.dump();
  return res.statusCode;
}

/** The bundled seed, with an office of colleagues on localhost, and bob's phone number. */
const PHONES: Record<string, string> = { bob: '+1 (555) 010-4477' };
function loginOfPhone(phone: string): string {
  return Object.entries(PHONES).find(([, p]) => p.replace(/\D/g, '') === phone.replace(/\D/g, ''))![0];
}
function officeSeed(colleagues: number): Seed {
  const seed = loadSeed(path.join(__dirname, '../../portal-sim/seed.yaml'));
  const local = seed.portals.find((p) => p.host === HOST)!;
  for (const u of local.users) if (PHONES[u.login]) u.mobile = PHONES[u.login];
  for (let i = 1; i <= colleagues; i++) {
    local.users.push({ id: 100 + i, login: `colleague${i}`, email: `colleague${i}@demo.example`, name: `Colleague ${i}`, password: `Office-Pass-${i}-2024!`, admin: false, owner: false, active: true });
  }
  return seed;
}

async function stack(opts: { colleagues?: number; directory?: boolean } = {}): Promise<Stack> {
  const s = await startStack({ sim: { seed: officeSeed(opts.colleagues ?? 0) }, config: { trustedProxies: ['127.0.0.1/32'] } });
  if (opts.directory) {
    const entries = [...seedDirectory(HOST), ...Array.from({ length: opts.colleagues ?? 0 }, (_, k) => ({ login: `colleague${k + 1}` }))].map((e) => (PHONES[e.login as string] ? { ...e, phone: PHONES[e.login as string] } : e));
    const r = await api(s, 'PUT', `/v1/portals/${HOST}/directory`, entries);
    if (r.status !== 200) throw new Error(`directory import: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return s;
}

/** Guesses at `login` from three addresses until the user is blocked (the seed's block). */
async function attackUntilBlocked(s: Stack, login: string): Promise<number> {
  let n = 0;
  for (; n < 60 && !userBlocked(s, login); n++) await new Client(`203.0.113.${20 + (n % 3)}`, ATTACKER).login(s, login, `guess-${n}`);
  await eventually(() => userBlocked(s, login));
  return n;
}

/** Typos a person makes: the right password with a slip (never the password itself). */
const typo = fc.tuple(fc.nat({ max: BOB.length - 1 }), fc.constantFrom('x', '1', '!', '', 'Q')).map(([at, ch]) => BOB.slice(0, at) + ch + BOB.slice(at + 1));

describe('attacks are still caught', () => {
  test('brute force on one user: fewer than 20 guesses reach the portal, from one client, a client changing its device, or many addresses', async () => {
    const shapes: [string, (i: number) => Client][] = [
      ['one address, one tool', () => new Client('203.0.113.70', ATTACKER)],
      ['one address, a new device every guess', (i) => new Client('203.0.113.71', `${LAPTOP} Build/${i}`)],
      ['ten addresses', (i) => new Client(`198.51.100.${100 + (i % 10)}`, ATTACKER)],
    ];
    for (const [shape, client] of shapes) {
      const s = await stack({ directory: true });
      try {
        for (let i = 0; i < 60; i++) await client(i).login(s, 'bob', `guess-${i}`);
        const reached = s.sim.received.filter((r) => /USER_LOGIN=bob&/.test(String(r.body ?? '')) && /guess-\d+/.test(String(r.body ?? ''))).length;
        process.stdout.write(`brute force (${shape}): ${reached} of 60 guesses reached the portal; bob blocked: ${userBlocked(s, 'bob')}\n`);
        expect(reached).toBeLessThan(20);
      } finally {
        await s.close();
      }
    }
  });
});

describe('a. five typos then the right password, on a new laptop', () => {
  test('is let in, not blocked, and the portal REST is untouched (any 1..9 typos, any spelling)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(typo, { minLength: 1, maxLength: 9 }), async (typos) => {
        const s = await stack({ directory: true });
        try {
          const laptop = new Client('192.0.2.10', LAPTOP);
          for (const t of typos) if (t !== BOB) expect(refused(await laptop.login(s, 'bob', t))).toBe(true);
          const ok = await laptop.login(s, 'bob', BOB);
          expect(loggedIn(ok)).toBe(true);
          expect(ok.setCookie.some((c) => c.startsWith('pc_device='))).toBe(true);
          expect(userBlocked(s, 'bob')).toBe(false);
          expect(restBlocked(s)).toBe(false);
          expect(await rest(s)).toBe(200);
        } finally {
          await s.close();
        }
      }),
      { numRuns: 4 },
    );
  });
});

describe('b. an office behind one NAT address', () => {
  test('22 colleagues each mistyping once then succeeding: the address is not blocked; a spray from an address where nobody succeeds still is', async () => {
    const s = await stack({ colleagues: 22 });
    try {
      for (let i = 1; i <= 22; i++) {
        const laptop = new Client('192.0.2.77', LAPTOP.replace('14_0', `14_${i}`));
        expect(refused(await laptop.login(s, `colleague${i}`, `office-pass-${i}-2024`))).toBe(true);
        expect(loggedIn(await laptop.login(s, `colleague${i}`, `Office-Pass-${i}-2024!`))).toBe(true);
      }
      expect(s.gw.blocks.find(HOST, 'ip', '192.0.2.77')).toBeUndefined();
      // The spray: one address, eleven users, nobody succeeding.
      for (let i = 1; i <= 11; i++) await new Client('198.51.100.66', ATTACKER).login(s, i % 2 ? `colleague${i}` : `ghost-${i}@demo.example`, 'Spring2024!');
      expect(s.gw.blocks.find(HOST, 'ip', '198.51.100.66')).toBeDefined();
      expect(s.gw.blocks.find(HOST, 'ip', '192.0.2.77')).toBeUndefined();
      expect(restBlocked(s)).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe('c. eight old guesses, then recovery by e-mail through the gateway', () => {
  test('the first login with the new password is let in, not blocked (the guesses came from three places)', async () => {
    const s = await stack({ directory: true });
    try {
      // Home laptop, phone on the mobile network, then the office: eight old passwords in all.
      const places = [new Client('192.0.2.10', LAPTOP), new Client('198.51.100.200', PHONE), new Client('192.0.2.77', LAPTOP)];
      for (let i = 0; i < 8; i++) expect(refused(await places[i % 3]!.login(s, 'bob', `Old-Bob-${2016 + i}!`))).toBe(true);
      const laptop = places[2]!;
      expect((await laptop.recover(s, { login: 'bob' }, 'New-Bob-Pass-2025?')).body).toContain('Password has been changed');
      expect(loggedIn(await laptop.login(s, 'bob', 'New-Bob-Pass-2025?'))).toBe(true);
      expect(userBlocked(s, 'bob')).toBe(false);
      expect(restBlocked(s)).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe('d. a phone with a stale saved password', () => {
  test('the same wrong password 40 times is not blocked nor decoyed; the fixed password then works', async () => {
    const s = await stack({ directory: true });
    try {
      const phone = new Client('198.51.100.40', PHONE);
      for (let i = 0; i < 40; i++) expect(refused(await phone.login(s, 'bob', 'Demo-Bob-2023!'))).toBe(true);
      expect(userBlocked(s, 'bob')).toBe(false);
      expect(loggedIn(await phone.login(s, 'bob', BOB))).toBe(true); // a decoy would have been the failure page
      expect(restBlocked(s)).toBe(false);
      expect(await rest(s)).toBe(200);
    } finally {
      await s.close();
    }
  });

  test('different guesses from that phone are still stopped at the tenth (step 1)', async () => {
    const s = await stack({ directory: true });
    try {
      const thief = new Client('198.51.100.41', PHONE);
      for (let i = 0; i < 10; i++) await thief.login(s, 'bob', `guess-${i}`);
      s.sim.clearReceived();
      expect(refused(await thief.login(s, 'bob', BOB))).toBe(true);
      expect(s.sim.received.map((r) => r.body ?? '').join()).not.toContain('Demo-Bob');
    } finally {
      await s.close();
    }
  });
});

describe('e. a second-factor user', () => {
  test('gets the device cookie on the one-time-code step that opens the session, and an attack elsewhere never denies that laptop', async () => {
    const s = await stack({ directory: true });
    try {
      const laptop = new Client('192.0.2.30', LAPTOP);
      const step1 = await laptop.login(s, 'carol', 'Demo-Carol-2024!');
      expect(step1.body).toContain('USER_OTP');
      expect(laptop.has('pc_device')).toBe(false); // the password alone does not make a device known
      const step2 = await laptop.otp(s, '246810');
      expect(loggedIn(step2)).toBe(true);
      expect(step2.setCookie.some((c) => c.startsWith('pc_device='))).toBe(true);
      const user = await api(s, 'GET', `/v1/users/${HOST}/carol`);
      expect(user.body.known_devices).toBeGreaterThanOrEqual(1);

      // An attack on carol from three addresses: denied (a second factor: step 1 only), never blocked.
      for (let i = 0; i < 40; i++) await new Client(`203.0.113.${40 + (i % 3)}`, ATTACKER).login(s, 'carol', `guess-${i}`);
      expect(userBlocked(s, 'carol')).toBe(false);
      const again = await laptop.login(s, 'carol', 'Demo-Carol-2024!');
      expect(again.body).toContain('USER_OTP'); // the portal's own second step, not the decoy
      expect(loggedIn(await laptop.otp(s, '246810'))).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('a code step in a session the gateway did not see a password step for learns nothing, however it names the user', async () => {
    const s = await stack({ directory: true });
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('field', 'cookie', 'both', 'other-session'), fc.constantFrom('carol', 'CAROL', ' carol '), async (how, name) => {
          const stranger = new Client('203.0.113.50', LAPTOP);
          const headers: Record<string, string> = {};
          if (how === 'cookie' || how === 'both') headers.cookie = `BITRIX_SM_LOGIN=${encodeURIComponent(name)}`;
          if (how === 'other-session') {
            // A password step of the stranger's own (a wrong one) opens a session the gateway never ties to carol.
            await stranger.login(s, name, 'not-carols-password');
          }
          const fields: Record<string, string> = { AUTH_FORM: 'Y', TYPE: 'OTP', USER_OTP: '246810', ...(how === 'field' || how === 'both' ? { USER_LOGIN: name } : {}) };
          const res = await request(`${s.gw.url}/auth/?login=yes`, {
            method: 'POST',
            headers: { host: HOST, 'content-type': FORM, 'user-agent': LAPTOP, 'x-forwarded-for': stranger.ip, ...(stranger.cookie() ? { cookie: [stranger.cookie(), headers.cookie].filter(Boolean).join('; ') } : headers) },
            body: new URLSearchParams(fields).toString(),
          });
          await res.body.dump();
          expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.startsWith('pc_device='))).toBe(false);
          expect((await api(s, 'GET', `/v1/users/${HOST}/carol`)).body.known_devices ?? 0).toBe(0);
        }),
        { numRuns: 8 },
      );
    } finally {
      await s.close();
    }
  });
});

describe('f. an invented login', () => {
  test("wrong passwords for a ghost login never put the portal's REST on 403 (any ghost, one address or three)", async () => {
    const s = await stack({ directory: true });
    try {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[a-z0-9]{4,12}$/), fc.boolean(), async (name, spread) => {
          const ghost = `ghost-${name}@demo.example`;
          for (let i = 0; i < 35; i++) await new Client(spread ? `203.0.113.${60 + (i % 3)}` : '203.0.113.60', ATTACKER).login(s, ghost, `guess-${i}`);
          expect(restBlocked(s)).toBe(false);
          expect(await rest(s)).toBe(200);
        }),
        { numRuns: 3 },
      );
      // A real account blocked afterwards takes the REST down; support lifts it, and the REST comes back:
      // the invented logins' own blocks do not keep it down.
      await attackUntilBlocked(s, 'bob');
      expect(restBlocked(s)).toBe(true);
      await s.gw.lockout.liftUser(HOST, uid('bob'), 'support:test').evidence;
      expect(restBlocked(s)).toBe(false);
      expect(await rest(s)).toBe(200);
    } finally {
      await s.close();
    }
  });

  test('portal-wide REST blocks are limited per portal per day: past the limit, user blocks only, a warning and a metric', async () => {
    const s = await stack({ colleagues: 4, directory: true });
    try {
      for (let i = 1; i <= 4; i++) {
        await attackUntilBlocked(s, `colleague${i}`);
        if (i <= 3) {
          expect(restBlocked(s)).toBe(true);
          s.gw.lockout.liftUser(HOST, uid(`colleague${i}`), 'support:test');
          expect(restBlocked(s)).toBe(false);
        }
      }
      expect(userBlocked(s, 'colleague4')).toBe(true);
      expect(restBlocked(s)).toBe(false);
      await eventually(() => s.logs.some((l) => l.alert === 'portal_rest_block_withheld' && l.reason === 'daily_limit'));
      const metrics = await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } });
      expect(await metrics.body.text()).toMatch(/portcullis_portal_rest_blocks_withheld_total\{reason="daily_limit"\} 1/);
    } finally {
      await s.close();
    }
  });
});

describe("g. the article's restore path", () => {
  test('support approves; any number of old-password attempts never re-block; recovery passes; the new password logs in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 45 }), fc.boolean(), async (oldTries, byPhone) => {
        const s = await stack({ directory: true });
        try {
          const laptop = new Client('192.0.2.10', LAPTOP);
          expect(loggedIn(await laptop.login(s, 'bob', BOB))).toBe(true);
          await attackUntilBlocked(s, 'bob');
          expect(await rest(s)).toBe(403);

          // A colleague asks, support approves: user and REST lifted, reset_required.
          const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: HOST, blocked_user: 'bob', name: 'Bob Employee', email: 'bob@demo.example', requested_by: 'admin', channel: 'employee' });
          expect(filed.status).toBe(201);
          expect((await api(s, 'POST', `/v1/unblock-requests/${filed.body.id}/approve`, { approved_by: 'sam' })).status).toBe(200);
          expect(await rest(s)).toBe(200);

          // The old password fails, as the article says, however often and from wherever.
          const phone = new Client('198.51.100.9', PHONE);
          for (let i = 0; i < oldTries; i++) expect(refused(await (i % 2 ? phone : laptop).login(s, 'bob', BOB))).toBe(true);
          expect(userBlocked(s, 'bob')).toBe(false);
          expect((await api(s, 'GET', `/v1/users/${HOST}/bob`)).body.state).toBe('reset_required');

          // Recovery and change pass (by e-mail, or by phone with no login), and the new password works.
          const changed = await laptop.recover(s, byPhone ? { phone: '+1 555 010 4477' } : { login: 'bob' }, 'Fresh-Bob-2025#');
          expect(changed.body).toContain('Password has been changed');
          expect((await api(s, 'GET', `/v1/users/${HOST}/bob`)).body.state).toBe('active');
          expect(loggedIn(await laptop.login(s, 'bob', 'Fresh-Bob-2025#'))).toBe(true);
          expect(userBlocked(s, 'bob')).toBe(false);
          expect(await rest(s)).toBe(200);
        } finally {
          await s.close();
        }
      }),
      { numRuns: 3 },
    );
  });

  test("a change by phone ends reset_required for the directory's owner of that phone, and only for them", async () => {
    for (const listed of [true, false]) {
      const s = await stack({ directory: true });
      try {
        if (!listed) {
          // The same directory without bob's phone: the gateway cannot know whose phone it is.
          const r = await api(s, 'PUT', `/v1/portals/${HOST}/directory`, seedDirectory(HOST));
          expect(r.status).toBe(200);
        }
        s.gw.lockout.block({ portal: HOST, kind: 'user', subject: uid('bob'), login: 'bob', actor: 'operator:test', reason: 'test' });
        await s.gw.lockout.liftUser(HOST, uid('bob'), 'support:test').evidence;
        const phone = new Client('198.51.100.9', PHONE);
        expect((await phone.recover(s, { phone: '+1-555-010-4477' }, 'Phone-Reset-2025%')).body).toContain('Password has been changed');
        const state = (await api(s, 'GET', `/v1/users/${HOST}/bob`)).body.state;
        expect(state).toBe(listed ? 'active' : 'reset_required');
        expect(loggedIn(await phone.login(s, 'bob', 'Phone-Reset-2025%'))).toBe(listed);
      } finally {
        await s.close();
      }
    }
  });
});
