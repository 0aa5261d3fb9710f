/**
 * Enumeration (issue 7): an attacker must not learn from the failure answer whether a login exists or
 * whether it is blocked. Four kinds of failed login, interleaved so that machine noise falls on all
 * alike, with the simulator's password hash cost at 8 ms:
 *
 *   existing, not blocked      carol, a wrong password            (the portal's own failure)
 *   non-existing, not blocked  a login nobody has                 (the portal's own failure)
 *   existing, blocked          bob, his RIGHT password            (the decoy)
 *   non-existing, blocked      "ghost", blocked by an operator    (the decoy)
 *
 * Each kind: byte-identical answers after stripVolatile (status, body, the set of header names, the
 * set of Set-Cookie names), and the median time of every kind within 10% of every other's.
 *
 * The login policies are left out (only the REST policies are loaded): a few hundred failures would
 * otherwise, rightly, block carol and the addresses, and this test is about the answers, not scoring.
 * The simulator's own CAPTCHA counter is off, for the reason docs/lockout.md gives (a limit of the decoy).
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { stripVolatile } from '../../portal-sim/server';
import { userId } from '../../gateway/lockout/subjects';
import { REPO_ROOT, TEST_SECRET, tempDir } from '../helpers/processes';
import { startStack, type Stack } from '../helpers/stack';
import { BOB_PASSWORD, FAILURE_TEXT, median } from './helpers';

const ROUNDS = Number(process.env.PORTCULLIS_ENUM_ROUNDS ?? 250);
const FORM = 'application/x-www-form-urlencoded';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

interface Answer {
  status: number;
  body: string;
  headerNames: string[];
  cookieNames: string[];
  ms: number;
}

async function attempt(s: Stack, login: string, password: string, ip: string): Promise<Answer> {
  const t0 = performance.now();
  const res = await request(`${s.gw.url}/auth/?login=yes`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': FORM, 'user-agent': UA, 'x-forwarded-for': ip },
    body: new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: login, USER_PASSWORD: password, backurl: '/crm/' }).toString(),
  });
  const body = await res.body.text();
  const ms = performance.now() - t0;
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return {
    status: res.statusCode,
    body: stripVolatile(body),
    headerNames: Object.keys(res.headers).filter((h) => h !== 'date').sort(),
    cookieNames: cookies.map((c) => c.split('=')[0]!).sort(),
    ms,
  };
}

const KINDS = ['existing', 'non-existing', 'existing-blocked', 'non-existing-blocked'] as const;
type Kind = (typeof KINDS)[number];

describe('enumeration: existing or not, blocked or not, the failure answer is the same', () => {
  let s: Stack;
  beforeAll(async () => {
    const policies = tempDir('portcullis-policies-');
    for (const f of ['rest-webhooks.yaml', 'rest-apps.yaml']) copyFileSync(path.join(REPO_ROOT, 'policies', f), path.join(policies, f));
    s = await startStack({ sim: { hashCostMs: 8, captchaAfterFailures: 0 }, config: { trustedProxies: ['127.0.0.1/32'], policiesDir: policies } });
    await s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: userId(TEST_SECRET, 'localhost', 'bob'), login: 'bob', actor: 'operator:test', reason: 'enumeration' }).durable;
    await s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: userId(TEST_SECRET, 'localhost', 'ghost'), login: 'ghost', actor: 'operator:test', reason: 'enumeration' }).durable;
  });
  afterAll(() => s.close());

  test(`${ROUNDS} rounds of the four kinds, interleaved: identical bytes, medians within 10%`, async () => {
    const answers: Record<Kind, Answer[]> = { existing: [], 'non-existing': [], 'existing-blocked': [], 'non-existing-blocked': [] };
    const run = (kind: Kind, i: number): Promise<Answer> => {
      const ip = `198.18.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
      switch (kind) {
        case 'existing':
          return attempt(s, 'carol', `wrong-${i}-Xy7`, ip);
        case 'non-existing':
          return attempt(s, `nobody${i}x`, `wrong-${i}-Xy7`, ip);
        case 'existing-blocked':
          return attempt(s, 'bob', BOB_PASSWORD, ip);
        default:
          return attempt(s, 'ghost', `wrong-${i}-Xy7`, ip);
      }
    };
    // Warm-up (connections, JIT), not measured.
    for (let i = 0; i < 10; i++) for (const k of KINDS) await run(k, i);
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate the order every round, so that no kind always follows the same one.
      for (let j = 0; j < KINDS.length; j++) {
        const kind = KINDS[(i + j) % KINDS.length]!;
        answers[kind].push(await run(kind, i));
      }
    }
    const reference = answers.existing[0]!;
    expect(reference.status).toBe(200);
    expect(reference.body).toContain(FAILURE_TEXT);
    for (const kind of KINDS) {
      for (const a of answers[kind]) {
        expect({ kind, status: a.status, headerNames: a.headerNames, cookieNames: a.cookieNames }).toEqual({ kind, status: reference.status, headerNames: reference.headerNames, cookieNames: reference.cookieNames });
        if (a.body !== reference.body) expect({ kind, body: a.body }).toEqual({ kind, body: reference.body });
      }
    }
    const medians = Object.fromEntries(KINDS.map((k) => [k, median(answers[k].map((a) => a.ms))])) as Record<Kind, number>;
    const lo = Math.min(...Object.values(medians));
    const hi = Math.max(...Object.values(medians));
    process.stdout.write(`enumeration timing (${ROUNDS} each, hash cost 8 ms): ${KINDS.map((k) => `${k} ${medians[k].toFixed(2)} ms`).join(', ')}; spread ${((hi / lo - 1) * 100).toFixed(1)}%\n`);
    expect(hi / lo - 1).toBeLessThan(0.1);
  });

  test('HEAD with a login: a blocked user and an unblocked one get the same answer', async () => {
    const q = (login: string, pw: string): string => new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: login, USER_PASSWORD: pw }).toString();
    const head = async (login: string, pw: string): Promise<number> => {
      const res = await request(`${s.gw.url}/crm/?${q(login, pw)}`, { method: 'HEAD', headers: { host: 'localhost', 'x-forwarded-for': '198.19.0.1' } });
      await res.body.dump();
      return res.statusCode;
    };
    const open = await head('carol', 'wrong-head');
    const blocked = await head('bob', BOB_PASSWORD);
    expect({ blocked }).toEqual({ blocked: open });
  });
});

describe('enumeration with the default policies loaded', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ sim: { captchaAfterFailures: 0 }, config: { trustedProxies: ['127.0.0.1/32'] } });
    await s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: userId(TEST_SECRET, 'localhost', 'bob'), login: 'bob', actor: 'operator:test', reason: 'enumeration' }).durable;
  });
  afterAll(() => s.close());

  const q = (login: string, pw: string, type = 'AUTH'): string => new URLSearchParams({ AUTH_FORM: 'Y', TYPE: type, USER_LOGIN: login, USER_PASSWORD: pw }).toString();
  const send = async (method: 'HEAD' | 'GET', login: string, pw: string, type?: string): Promise<number> => {
    const res = await request(`${s.gw.url}/crm/?${q(login, pw, type)}`, { method, headers: { host: 'localhost', 'x-forwarded-for': '198.19.0.2' } });
    await res.body.dump();
    return res.statusCode;
  };

  test('HEAD with a login: blocked bob gets what unblocked carol gets', async () => {
    const open = await send('HEAD', 'carol', 'wrong-head');
    const blocked = await send('HEAD', 'bob', BOB_PASSWORD);
    expect({ blocked }).toEqual({ blocked: open });
  });

  test('a login form the portal ignores (TYPE=auth): blocked bob gets what unblocked carol gets', async () => {
    const open = await send('GET', 'carol', 'wrong-type', 'auth');
    const blocked = await send('GET', 'bob', BOB_PASSWORD, 'auth');
    expect({ blocked }).toEqual({ blocked: open });
  });
});
