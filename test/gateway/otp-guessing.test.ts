/**
 * The one-time-code step is counted (issue 15, item 10), against the real simulator and gateway:
 * carol (second factor on) has her password known to an attacker, who guesses the six-digit code.
 *
 *   - 300 wrong codes in a row, then the right one: the right one opens no session;
 *   - over run lengths, fresh password steps (new portal sessions) every few codes, a made-up
 *     USER_LOGIN sent with the code (the portal ignores it), the code in the query or the body, one
 *     address or several: at most 10 wrong codes reach the portal, and the right code after the run
 *     opens no session;
 *   - carol's own typos (1 to 3 wrong codes, then the right one) log her in.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../../gateway/app';
import { ManualClock } from '../../gateway/lib/clock';
import { userId } from '../../gateway/lockout/subjects';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import { TEST_SECRET } from '../helpers/processes';
import { captureLoggers, testConfig } from '../helpers/stack';
import { sessionOf } from '../security/helpers';

const FORM = 'application/x-www-form-urlencoded';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CAROL_PASSWORD = 'Demo-Carol-2024!';
const CAROL_OTP = '246810';
/** Never hex, so never one of the decoy's random substitutes. */
const wrongCode = (i: number): string => `w${String(i).padStart(5, '0')}`;
const WRONG_SENT = /USER_OTP=w\d{5}/;

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}

const cookiePairs = (setCookie: readonly string[]): string[] => setCookie.map((c) => c.split(';')[0]!).filter((c) => !/=(deleted)?$/.test(c));

describe('one-time-code guessing', () => {
  let sim: PortalSim;
  let gw: RunningGateway;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    sim = await startPortalSim({ hashCostMs: 0 });
    gw = await startGateway(testConfig(sim.url, { trustedProxies: ['127.0.0.1/32'] }), { loggers: captureLoggers().loggers, clock });
  });
  afterAll(async () => {
    await gw.close();
    await sim.close();
  });

  async function post(fields: Record<string, string>, headers: Record<string, string>, via: 'body' | 'query' = 'body'): Promise<Reply> {
    const q = new URLSearchParams(fields).toString();
    const res = await request(`${gw.url}/auth/?login=yes${via === 'query' ? `&${q}` : ''}`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': FORM, 'user-agent': UA, ...headers },
      body: via === 'body' ? q : 'x=1',
    });
    return { status: res.statusCode, body: await res.body.text(), setCookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []) };
  }

  /**
   * The password step: carol's right password, answered with the code form; the portal session's
   * cookies. Undefined when the gateway refused it (carol blocked by the run so far).
   */
  async function passwordStep(ip: string): Promise<string[] | undefined> {
    const r = await post({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'carol', USER_PASSWORD: CAROL_PASSWORD }, { 'x-forwarded-for': ip });
    return r.body.includes('USER_OTP') ? cookiePairs(r.setCookie) : undefined;
  }
  const carolBlocked = (): boolean => gw.blocks.find('localhost', 'user', userId(TEST_SECRET, 'localhost', 'carol')) !== undefined;

  async function code(session: string[], otp: string, ip: string, extra: Record<string, string> = {}, via: 'body' | 'query' = 'body'): Promise<Reply> {
    return post({ AUTH_FORM: 'Y', TYPE: 'OTP', USER_OTP: otp, ...extra }, { 'x-forwarded-for': ip, cookie: session.join('; ') }, via);
  }

  /** A fresh hour, and carol not blocked (a run may end in her block, by design). */
  function nextRun(): void {
    clock.advance(2 * 3600_000);
    const b = gw.blocks.record('localhost', 'user', userId(TEST_SECRET, 'localhost', 'carol'));
    if (b) gw.lockout.lift(b, 'operator:test');
  }

  /** The answer's cookies over the session's (a browser keeps the newer PHPSESSID): carol's session at the portal? */
  async function opensSession(r: Reply, session: string[]): Promise<boolean> {
    const jar = new Map([...session, ...cookiePairs(r.setCookie)].map((c) => [c.slice(0, c.indexOf('=')), c] as const));
    return r.status === 302 && (await sessionOf(sim.url, [...jar.values()])) === 'Carol Twostep';
  }

  test('300 wrong codes in a row, then the right one: no session', async () => {
    nextRun();
    sim.clearReceived();
    const session = (await passwordStep('203.0.113.40'))!;
    for (let i = 0; i < 300; i++) await code(session, wrongCode(i), '203.0.113.40');
    const reached = sim.received.filter((r) => WRONG_SENT.test(r.body)).length;
    const right = await code(session, CAROL_OTP, '203.0.113.40');
    expect(await opensSession(right, session)).toBe(false);
    expect(right.body).not.toContain(CAROL_OTP);
    expect(reached).toBeLessThanOrEqual(5);
  }, 60_000);

  test('over many spellings of the run, at most 10 wrong codes reach the portal and the right one opens no session', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 10, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(undefined, 'bob', 'carol', 'nobody-x'),
        fc.constantFrom('body' as const, 'query' as const),
        fc.boolean(),
        async (run, relogEvery, formLogin, via, rotate) => {
          nextRun();
          sim.clearReceived();
          let session: string[] = [];
          for (let i = 0; i < run; i++) {
            const ip = rotate ? `198.51.100.${30 + (i % 6)}` : '198.51.100.30';
            if (i % relogEvery === 0) {
              const fresh = await passwordStep(ip);
              // Refused: carol is blocked (20 wrong codes in an hour), by design; no new session.
              if (fresh === undefined) {
                expect(carolBlocked()).toBe(true);
                break;
              }
              session = fresh;
            }
            await code(session, wrongCode(i), ip, formLogin ? { USER_LOGIN: formLogin } : {}, via);
          }
          const reached = sim.received.filter((r) => WRONG_SENT.test(`${r.url} ${r.body}`)).length;
          expect(reached).toBeLessThanOrEqual(10);
          const right = await code(session, CAROL_OTP, rotate ? '198.51.100.99' : '198.51.100.30', formLogin ? { USER_LOGIN: formLogin } : {}, via);
          expect(await opensSession(right, session)).toBe(false);
        },
      ),
      { numRuns: 10 },
    );
  }, 120_000);

  test('a code step in a session left pending before carol was blocked gets the decoy, the right code included', async () => {
    nextRun();
    const session = (await passwordStep('192.0.2.31'))!;
    await gw.lockout.block({ portal: 'localhost', kind: 'user', subject: userId(TEST_SECRET, 'localhost', 'carol'), login: 'carol', actor: 'operator:test', reason: 'test' }).durable;
    sim.clearReceived();
    const right = await code(session, CAROL_OTP, '192.0.2.31');
    expect(await opensSession(right, session)).toBe(false);
    expect(sim.received.map((r) => r.body).join('\n')).not.toContain(CAROL_OTP);
    nextRun();
  });

  test("carol's own typos (1 to 3 wrong codes, then the right one) log her in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.constantFrom('body' as const, 'query' as const), async (typos, via) => {
        nextRun();
        const session = (await passwordStep('192.0.2.30'))!;
        expect(session).toBeDefined();
        for (let i = 0; i < typos; i++) {
          const r = await code(session, wrongCode(i), '192.0.2.30', {}, via);
          expect(r.body).toContain('USER_OTP');
        }
        const right = await code(session, CAROL_OTP, '192.0.2.30', {}, via);
        expect(await opensSession(right, session)).toBe(true);
      }),
      { numRuns: 8 },
    );
  }, 60_000);
});
