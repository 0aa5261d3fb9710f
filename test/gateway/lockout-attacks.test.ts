/**
 * Attacks against the default policies, through the real simulator and gateway: a spray from many
 * addresses, step 1's decoy for an unfamiliar device while the owner keeps working, a suspicious
 * success swallowed, and the decoy's timing against the portal's own failures.
 */
import { request } from 'undici';
import { userId } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { startGateway } from '../../gateway/app';
import { ManualClock } from '../../gateway/lib/clock';
import { startPortalSim } from '../../portal-sim/server';
import { captureLoggers, eventually, startStack, testConfig, type Stack } from '../helpers/stack';
import { api, seedDirectory } from '../admin/helpers';

const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const ATTACKER = 'curl/8.5.0';

async function login(s: Stack, user: string, password: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; setCookie: string[]; ms: number }> {
  const t0 = performance.now();
  const res = await request(`${s.gw.url}/auth/?login=yes`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': FORM, 'user-agent': LAPTOP, ...headers },
    body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: user, USER_PASSWORD: password }).toString(),
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, setCookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []), ms: performance.now() - t0 };
}

const blocked = (s: Stack, user: string): boolean => s.gw.blocks.find('localhost', 'user', userId(TEST_SECRET, 'localhost', user)) !== undefined;

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)]!;
}

describe('attacks on the default policies', () => {
  test('a spray from many addresses (10+ failures from 3+ of them) blocks a user without a second factor', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
    try {
      // The portal-wide REST block needs an account that exists: bob is in the portal's directory.
      expect((await api(s, 'PUT', '/v1/portals/localhost/directory', seedDirectory('localhost'))).status).toBe(200);
      for (let i = 0; i < 12; i++) await login(s, 'bob', `spray-${i}`, { 'x-forwarded-for': `198.51.100.${10 + (i % 4)}`, 'user-agent': ATTACKER });
      await eventually(() => blocked(s, 'bob'));
      expect(s.gw.blocks.find('localhost', 'portal_rest', '')).toBeDefined();
    } finally {
      await s.close();
    }
  });

  test('step 1: an unfamiliar device gets the decoy while the owner keeps logging in on her own laptop', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
    try {
      const own = await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '192.0.2.5' });
      const cookie = own.setCookie.find((c) => c.startsWith('pc_device='))!.split(';')[0]!;
      for (let i = 0; i < 15; i++) await login(s, 'admin', `guess-${i}`, { 'x-forwarded-for': '203.0.113.7', 'user-agent': ATTACKER });
      // The attacker is past step 1's threshold: even the right password is a failure for him …
      s.sim.clearReceived();
      const attacker = await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '203.0.113.7', 'user-agent': ATTACKER });
      expect(attacker.status).toBe(200);
      expect(attacker.body).toContain('Incorrect login or password');
      expect(s.sim.received.map((r) => r.body).join()).not.toContain('Demo-Owner-2024');
      // … and the owner, on her laptop, is untouched: not blocked, and her login works.
      expect(blocked(s, 'admin')).toBe(false);
      expect((await login(s, 'admin', 'Demo-Owner-2024!', { 'x-forwarded-for': '192.0.2.5', cookie })).status).toBe(302);
    } finally {
      await s.close();
    }
  });

  test('a suspicious success is swallowed: the session is ended, the client gets the failure page, the user is blocked', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
    try {
      for (let i = 0; i < 6; i++) await login(s, 'bob', `guess-${i}`, { 'x-forwarded-for': '203.0.113.9', 'user-agent': ATTACKER });
      expect(blocked(s, 'bob')).toBe(false);
      s.sim.clearReceived();
      const guessed = await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '203.0.113.9', 'user-agent': ATTACKER });
      expect(guessed.status).toBe(200);
      expect(guessed.body).toContain('Incorrect login or password');
      expect(guessed.setCookie.join()).not.toMatch(/BITRIX_SM_LOGIN=bob|pc_device=/);
      expect(blocked(s, 'bob')).toBe(true);
      await eventually(() => s.sim.received.some((r) => r.url.startsWith('/?logout=yes')));
    } finally {
      await s.close();
    }
  });
});

describe('timing', () => {
  test('decoys and real failures take the same time (medians over 200 each, portal hash cost 8 ms)', async () => {
    const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { hashCostMs: 8 } });
    try {
      const uid = userId(TEST_SECRET, 'localhost', 'bob');
      s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: uid, login: 'bob', actor: 'operator:test', reason: 'timing test' });
      const real: number[] = [];
      const decoy: number[] = [];
      // Interleaved, so that machine noise falls on both alike.
      for (let i = 0; i < 200; i++) {
        real.push((await login(s, 'carol', `wrong-${i}`, { 'x-forwarded-for': '192.0.2.50' })).ms);
        decoy.push((await login(s, 'bob', 'Demo-Bob-2024!', { 'x-forwarded-for': '192.0.2.51' })).ms);
      }
      const mr = median(real);
      const md = median(decoy);
      process.stdout.write(`decoy timing: real failure median ${mr.toFixed(2)} ms, decoy median ${md.toFixed(2)} ms (${((md / mr - 1) * 100).toFixed(1)}%)\n`);
      expect(Math.abs(md / mr - 1)).toBeLessThan(0.1);
    } finally {
      await s.close();
    }
  });
});

describe('escalation', () => {
  test('a repeat spray from the same address is blocked twice as long', async () => {
    // Time is the gateway's injected clock: two hours pass without sleeping.
    const clock = new ManualClock(Date.now());
    const portal = await startPortalSim({ hashCostMs: 0 });
    const gw = await startGateway(testConfig(portal.url, { trustedProxies: ['127.0.0.1/32'] }), { loggers: captureLoggers().loggers, clock });
    const spray = async (tag: string): Promise<void> => {
      for (let u = 0; u < 11; u++) {
        const res = await request(`${gw.url}/auth/?login=yes`, {
          method: 'POST',
          headers: { host: 'localhost', 'content-type': FORM, 'x-forwarded-for': '198.51.100.99', 'user-agent': ATTACKER },
          body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=${tag}${u}&USER_PASSWORD=x`,
        });
        await res.body.dump();
      }
    };
    try {
      await spray('first');
      const first = gw.blocks.find('localhost', 'ip', '198.51.100.99')!;
      expect(first.endsAtMs! - first.createdAtMs).toBe(15 * 60_000);
      clock.advance(2 * 3600_000); // the block and the counters' hour have passed
      expect(gw.blocks.find('localhost', 'ip', '198.51.100.99')).toBeUndefined();
      await spray('second');
      const second = gw.blocks.find('localhost', 'ip', '198.51.100.99')!;
      expect(second.offences).toBe(2);
      expect(second.endsAtMs! - second.createdAtMs).toBe(30 * 60_000);
    } finally {
      await gw.close();
      await portal.close();
    }
  });
});

test("the portal's REST comes back with the last blocked user of the portal, not before", async () => {
  const s = await startStack();
  try {
    const rest = async (): Promise<number> => {
      const res = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
      await res.body.dump();
      return res.statusCode;
    };
    for (const login of ['bob', 'carol']) s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: userId(TEST_SECRET, 'localhost', login), login, actor: 'operator:test', reason: 'test' });
    s.gw.lockout.block({ portal: 'localhost', kind: 'portal_rest', subject: '', actor: 'operator:test', reason: 'test' });
    expect(await rest()).toBe(403);
    s.gw.lockout.liftUser('localhost', userId(TEST_SECRET, 'localhost', 'bob'), 'support:test');
    expect(await rest()).toBe(403); // carol is still blocked
    s.gw.lockout.liftUser('localhost', userId(TEST_SECRET, 'localhost', 'carol'), 'support:test');
    expect(await rest()).toBe(200);
  } finally {
    await s.close();
  }
});
