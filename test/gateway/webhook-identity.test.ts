/**
 * One webhook, one key (issue 15, items 11 and 12), against the real simulator and gateway:
 *
 *   - the webhook's user id is read as the portal reads it (PHP's intval): `/rest/02/…`, `/rest/+2/…`,
 *     ` 2`, `2.0`, the services index's PATH_INFO form and its `?aplogin=&ap=` form are all webhook
 *     2 with the same code, so its breaker and counters hold under every spelling;
 *   - a breaker (`limit` of 0 requests, as rest-webhooks.yaml's leaked-webhook action) answers the
 *     final 403 envelope, not a retryable 503;
 *   - the code never reaches a log line, in any spelling;
 *   - a user block (without the portal-wide REST block) refuses that user's webhooks when the
 *     directory gives the user's numeric id, and leaves other users' webhooks running.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { phpIntval } from '../../gateway/pipeline/classify/rest-route';
import { webhookSubject } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { startStack, type Stack } from '../helpers/stack';
import { api } from '../admin/helpers';
import { ADMIN_HOOK, APP_TOKEN, BOB_HOOK, bobId } from '../security/helpers';
import { userId } from '../../gateway/lockout/subjects';

/** Spellings of user id n that PHP's intval reads as n (path-safe: percent-encoded where needed). */
const spellingsOf = (n: number): string[] => ['', '0', '00', '000', '%2B', '%20', '%09'].map((p) => `${p}${n}`).concat([`${n}.0`, `${n}.9`, `${n}e0`, `${n}abc`]);
const ID_SPELLINGS = spellingsOf(2);

function spell(entry: number, id: string, code: string, method: string): string {
  switch (entry) {
    case 0: return `/rest/${id}/${code}/${method}`;
    case 1: return `/rest/api/${id}/${code}/${method}`;
    case 2: return `/bitrix/services/rest/index.php/${id}/${code}/${method}`;
    case 3: return `/bitrix/services/rest/index.php?aplogin=${id}&ap=${code}&method=${method}`;
    case 4: return `//rest//${id}/${code}/${method}`;
    default: return `/REST/${id}/${code}/${method}.json`;
  }
}

async function call(s: Stack, target: string, ip = '198.51.100.7'): Promise<{ status: number; body: string }> {
  const res = await request(`${s.gw.url}${target}`, { headers: { host: 'localhost', 'x-forwarded-for': ip, 'user-agent': 'integration/1.0' } });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('phpIntval reads a webhook user id as PHP does', () => {
  test.each([
    ['2', '2'], ['02', '2'], ['+2', '2'], [' 2', '2'], ['\t\n2', '2'], ['2abc', '2'], ['2.9', '2'], ['2e1', '20'], ['-3', '-3'],
    ['abc', '0'], ['', '0'], ['0x1A', '0'], ['.5', '0'], ['99999999999999999999', '9223372036854775807'], ['1e400', '9223372036854775807'],
  ])('%j → %s', (input, expected) => {
    expect(phpIntval(input)).toBe(expected);
  });
});

describe('a webhook under any spelling is one webhook', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
  });
  afterAll(async () => {
    await s.close();
  });

  test('a breaker on webhook 2 holds under every spelling, answers 403, and the code is never logged', async () => {
    const subject = `webhook:${webhookSubject(TEST_SECRET, 'localhost', '2', BOB_HOOK)}`;
    const { durable } = s.gw.lockout.block({ portal: 'localhost', kind: 'limit', subject, actor: 'operator:test', reason: 'breaker', rate: { requests: 0, perMs: 60_000 } });
    await durable;
    s.sim.clearReceived();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...ID_SPELLINGS), fc.constantFrom('user.current', 'crm.deal.list', 'batch'), async (entry, id, method) => {
        const r = await call(s, spell(entry, id, BOB_HOOK, method));
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body)).toMatchObject({ error: 'ACCESS_DENIED' });
        expect(JSON.parse(r.body).error_description).toMatch(/webhook/i);
      }),
      { numRuns: 60 },
    );
    expect(s.sim.received.filter((r) => r.url.includes(BOB_HOOK))).toEqual([]);
    // Another webhook is untouched.
    expect((await call(s, `/rest/1/${ADMIN_HOOK}/user.current`, '203.0.113.10')).status).toBe(200);
    expect(s.rawLogs()).not.toContain(BOB_HOOK);
    expect(s.rawLogs()).not.toContain(ADMIN_HOOK);
  });

  test("rest-webhooks.yaml's leaked-webhook breaker counts every spelling as one webhook, then answers 403", async () => {
    // Five addresses in five networks, each with its own spelling: one webhook seen from 5 IPs. The policy's action is
    // a limit of 0 requests (a breaker): from then on the webhook gets 403, whatever the spelling.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(s, spell(i % 5, spellingsOf(1)[i + 1]!, ADMIN_HOOK, 'user.current'), `203.0.${110 + i}.10`)).status);
    const after = await call(s, spell(0, '001', ADMIN_HOOK, 'user.current'), '203.0.113.99');
    // (The simulator does not serve the `?aplogin=&ap=` form: its 401 is the portal's, not a refusal.)
    expect(statuses.slice(0, 4).filter((st) => st === 403 || st === 503)).toEqual([]);
    expect(after.status).toBe(403);
    expect(JSON.parse(after.body)).toMatchObject({ error: 'ACCESS_DENIED' });
    expect(s.rawLogs()).not.toContain(ADMIN_HOOK);
  });
});

describe("a blocked user's own webhooks are refused with the user", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
    // The directory with the portal's numeric ids (as the directory sync from user.get fills them).
    const r = await api(s, 'PUT', '/v1/portals/localhost/directory', [
      { login: 'admin', admin: true, owner: true, id: 1 },
      { login: 'bob', id: 2 },
    ]);
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await s.close();
  });

  test('bob blocked (user only, no portal-wide REST block): his webhook gets 403 in every spelling; the admin\'s runs', async () => {
    expect((await call(s, `/rest/2/${BOB_HOOK}/user.current`)).status).toBe(200);
    await s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: bobId(), login: 'bob', actor: 'operator:test', reason: 'takeover' }).durable;
    expect(s.gw.blocks.find('localhost', 'portal_rest', '')).toBeUndefined();
    s.sim.clearReceived();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...ID_SPELLINGS), async (entry, id) => {
        const r = await call(s, spell(entry, id, BOB_HOOK, 'user.current'));
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body)).toMatchObject({ error: 'ACCESS_DENIED' });
      }),
      { numRuns: 40 },
    );
    expect(s.sim.received.filter((r) => r.url.includes(BOB_HOOK))).toEqual([]);
    expect((await call(s, `/rest/1/${ADMIN_HOOK}/user.current`)).status).toBe(200);
  });

  test("an app acting as a blocked user is refused once its token's user is learned from user.current", async () => {
    // The app's token acts as the admin (user 1). Before the block, its user.current call passes and
    // tells the gateway whose token it is.
    const spellings = [
      (m: string) => ({ path: `/rest/${m}.json?auth=${APP_TOKEN}` }),
      (m: string) => ({ path: `/rest/${m}?access_token=${APP_TOKEN}` }),
      (m: string) => ({ path: `/rest/${m}.json`, headers: { authorization: `Bearer ${APP_TOKEN}` } }),
      (m: string) => ({ path: `/bitrix/services/rest/index.php?method=${m}&auth=${APP_TOKEN}` }),
    ];
    const go = async (sp: { path: string; headers?: Record<string, string> }) => {
      const res = await request(`${s.gw.url}${sp.path}`, { headers: { host: 'localhost', ...sp.headers } });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const learned = await go(spellings[0]!('user.current'));
    expect(learned.status).toBe(200);
    expect(JSON.parse(learned.body).result.ID).toBe('1');
    const admin = userId(TEST_SECRET, 'localhost', 'admin');
    await s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: admin, login: 'admin', actor: 'operator:test', reason: 'takeover' }).durable;
    for (const sp of spellings) {
      for (const m of ['crm.deal.list', 'user.current', 'batch']) {
        const r = await go(sp(m));
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body)).toMatchObject({ error: 'ACCESS_DENIED' });
      }
    }
    expect(s.rawLogs()).not.toContain(APP_TOKEN);
    s.gw.lockout.lift(s.gw.blocks.record('localhost', 'user', admin)!, 'operator:test');
  });

  test('the directory listing shows the id it was given', async () => {
    const r = await api<{ items: { login: string; id?: number }[] }>(s, 'GET', '/v1/portals/localhost/directory');
    expect(r.body.items.find((u) => u.login === 'bob')?.id).toBe(2);
  });
});
