/**
 * Issue 15, "one parse, then decide": the classes of requests that the portal (PHP behind nginx) reads
 * one way and a gateway with a second reading of its own read another. Each class is tried against the
 * real simulator behind the real gateway, over raw sockets, in several spellings (fast-check where the
 * spellings combine):
 *
 *   - with bob blocked (and admin in reset_required), his right password never reaches the portal in
 *     any form PHP would read, and never opens a session: the answer is the decoy, or a refusal
 *     (400/413) before anything is forwarded;
 *   - a guess of another user through the same spellings is counted as a login attempt of that user
 *     (its log line says kind login, with the login), or refused before the portal sees it.
 */
import fc from 'fast-check';
import { userId } from '../../gateway/lockout/subjects';
import { TEST_SECRET } from '../helpers/processes';
import { eventually, startStack, type Stack } from '../helpers/stack';
import type { RecordedRequest } from '../../portal-sim/server';
import { BOB_BASIC, BOB_PASSWORD, FAILURE_TEXT, bobId, leaks, raw, sessionOf, type RawReply, type RawRequest } from './helpers';

const FORM = 'application/x-www-form-urlencoded';
const ADMIN_PASSWORD = 'Demo-Owner-2024!';
const enc = encodeURIComponent;
const RUNS = Number(process.env.PC_ONE_PARSE_RUNS ?? 12);

let s: Stack;
let tried = 0;

beforeAll(async () => {
  s = await startStack({ sim: { restLimit: false, captchaAfterFailures: 0 } });
  const a = s.gw.lockout.block({ portal: 'localhost', kind: 'user', subject: bobId(), login: 'bob', actor: 'operator:one-parse', reason: 'issue 15' });
  const b = s.gw.lockout.block({ portal: 'localhost', kind: 'reset_required', subject: userId(TEST_SECRET, 'localhost', 'admin'), login: 'admin', actor: 'operator:one-parse', reason: 'issue 15' });
  await Promise.all([a.durable, b.durable]);
});
afterAll(async () => {
  process.stdout.write(`one-parse: ${tried} requests tried\n`);
  await s.close();
});

/** Sends one request; returns the answer and the problems with what the portal received. */
async function send(req: RawRequest, opts: { user?: string; password?: string } = {}): Promise<{ r: RawReply; problems: string[]; got: RecordedRequest[] }> {
  tried++;
  s.sim.clearReceived();
  const r = await raw(s.gw.listen.port, req);
  await new Promise((res) => setTimeout(res, 15));
  const got = [...s.sim.received]; // before sessionOf asks the portal itself
  const problems = await leaks(got, opts.user === undefined ? {} : { user: opts.user, password: opts.password! });
  if (r.status === 200) {
    const who = await sessionOf(s.sim.url, r.headers['set-cookie'] ?? []);
    if (who !== null) problems.push(`a session of ${who}`);
  } else if (r.status !== 400 && r.status !== 413 && r.status !== 403) {
    problems.push(`answered ${r.status}`);
  }
  return { r, problems, got };
}

/**
 * bob's right password through `req`: decoy or refusal, never the portal. `failurePage: false` where the
 * simulator (busboy, not PHP) cannot read the decoy's body and so answers its plain page.
 */
async function expectHeld(req: RawRequest, opts: { failurePage?: boolean } = {}): Promise<{ r: RawReply; got: RecordedRequest[] }> {
  const { r, problems, got } = await send(req);
  expect({ target: req.target, problems }).toEqual({ target: req.target, problems: [] });
  if (r.status === 200 && opts.failurePage !== false) expect(r.body.toString('utf8')).toContain(FAILURE_TEXT);
  return { r, got };
}

/** A wrong guess for carol through `req`: refused before the portal, or logged as carol's login attempt. */
async function expectCounted(req: RawRequest): Promise<void> {
  const before = s.logs.length;
  const { r, got } = await send(req);
  if (r.status === 400 || r.status === 413) {
    expect(got.filter((x) => !x.aborted)).toEqual([]);
    return;
  }
  await eventually(() => s.logs.slice(before).some((l) => l.kind === 'login' && String(l.login).toLowerCase() === 'carol'));
}

const creds = (login: string, password: string): string => `TYPE=AUTH&USER_LOGIN=${enc(login)}&USER_PASSWORD=${enc(password)}`;

/** Spellings PHP reads as the same key. */
function keySpelling(key: string, how: number): string {
  switch (how % 5) {
    case 0: return key;
    case 1: return key.replace('_', '.');
    case 2: return key.replace('_', '+');
    case 3: return key.replace('_', '%5F');
    default: return key.replace(/[A-Z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
}

// First, before the guesses below can make the default policies block anything: reading every form
// body does not stop a REST call with one from being REST.
describe('0. control', () => {
  test('a REST call with a form body is still REST (and reaches the portal)', async () => {
    const { r, got } = await send({ method: 'POST', target: '/rest/1/demoadminhook001/user.current.json', headers: [['Content-Type', FORM]], body: 'select[]=ID' });
    expect(r.status).toBe(200);
    expect(got.length).toBe(1);
  });
});

describe('1. login fields in the query of a request whose AUTH_FORM is in the body', () => {
  const spelled = fc.record({
    path: fc.constantFrom('/crm/', '/', '/bitrix/tools/x.php', '/auth/', '/company/personal/'),
    k: fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.nat(4)),
    extra: fc.constantFrom('', 'x=1&', 'login=yes&'),
  });
  const build = (p: { path: string; k: [number, number, number, number]; extra: string }, login: string, password: string): RawRequest => ({
    method: 'POST',
    target: `${p.path}?${p.extra}${keySpelling('USER_LOGIN', p.k[0])}=${enc(login)}&${keySpelling('USER_PASSWORD', p.k[1])}=${enc(password)}`,
    headers: [['Content-Type', FORM]],
    body: `${keySpelling('AUTH_FORM', p.k[2])}=Y&${keySpelling('TYPE', p.k[3]).replace('%54', 'T')}=AUTH`,
  });

  test("bob's right password never reaches the portal", async () => {
    await expectHeld({ method: 'POST', target: `/crm/?USER_LOGIN=bob&USER_PASSWORD=${enc(BOB_PASSWORD)}`, headers: [['Content-Type', FORM]], body: 'AUTH_FORM=Y&TYPE=AUTH' });
    await fc.assert(fc.asyncProperty(spelled, async (p) => { await expectHeld(build(p, 'bob', BOB_PASSWORD)); }), { numRuns: RUNS });
  });

  test("carol's guesses are counted", async () => {
    await fc.assert(fc.asyncProperty(spelled, fc.nat(999), async (p, n) => { await expectCounted(build(p, 'carol', `guess-${n}`)); }), { numRuns: RUNS });
  });
});

describe('2. absolute-form targets: forwarded with the authority classified, or refused', () => {
  test.each([
    ['percent-escaped authority', 'http://localhost%2e/auth/?login=yes'],
    ['empty authority, the host in the path', 'http:///localhost/auth/?login=yes'],
    ['userinfo', 'http://x@localhost/auth/'],
    ['another scheme', 'ftp://localhost/auth/'],
    ['backslash in the authority', 'http://localhost\\@acme.bitrix24.local/auth/'],
  ])('%s is refused (400) before the portal sees it', async (_label, target) => {
    const { r } = await send({ method: 'POST', target, host: 'acme.bitrix24.local', headers: [['Content-Type', FORM]], body: `AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` });
    expect(r.status).toBe(400);
    expect(s.sim.received).toEqual([]);
  });

  test.each([
    ['upper case, trailing dot', 'HTTP://LOCALHOST./auth/?login=yes', 'LOCALHOST.'],
    ['a port', 'http://localhost:80/crm/../auth/', 'localhost:80'],
    ['dot segments stay for the portal to read', 'http://localhost/x/%2e%2e/auth/', 'localhost'],
  ])('%s: decoy, and the portal gets the authority and raw path classified', async (_label, target, authority) => {
    const { r, got: all } = await expectHeld({ method: 'POST', target, host: 'acme.bitrix24.local', headers: [['Content-Type', FORM]], body: `AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` });
    expect(r.status).toBe(200);
    const got = all.filter((x) => !x.aborted);
    expect(got.length).toBeGreaterThan(0);
    expect(got.map((x) => x.headers.host)).toEqual(got.map(() => authority));
    expect(got.map((x) => x.url.split('?')[0])).toEqual(got.map(() => target.slice(target.indexOf('/', 8)).split('?')[0]));
  });
});

describe('3. a path only the gateway calls REST, with a login body', () => {
  const restish = fc.constantFrom('/rest./', '/REST/', '/rest;x=1/', '/rest%2e/', '/rest\\', '/Rest/user.current', '/rest /', '/local/rest/', '/rest/1/x/', '/bitrix/services/rest/index.php');
  test("bob's right password: refused, never forwarded", async () => {
    await fc.assert(
      fc.asyncProperty(restish, fc.boolean(), async (path, inQuery) => {
        const req: RawRequest = inQuery
          ? { target: `${path}?AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` }
          : { method: 'POST', target: path, headers: [['Content-Type', FORM]], body: `AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` };
        const { r, problems } = await send(req);
        expect({ path, status: r.status, problems }).toEqual({ path, status: 400, problems: [] });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('4. credentials past the part of the body the gateway can inspect', () => {
  const pad = 'p'.repeat(70 * 1024);
  test.each<[string, RawRequest]>([
    ['AUTH_FORM in the query, credentials after 70 KiB', { method: 'POST', target: '/auth/?login=yes&AUTH_FORM=Y&TYPE=AUTH', headers: [['Content-Type', FORM]], body: `pad=${pad}&USER_LOGIN=bob&USER_PASSWORD=${enc(BOB_PASSWORD)}` }],
    ['AUTH_FORM in the query, any page', { method: 'POST', target: '/crm/?AUTH.FORM=Y', headers: [['Content-Type', FORM]], body: `pad=${pad}&${creds('bob', BOB_PASSWORD)}` }],
    ['AUTH_FORM in a cookie', { method: 'POST', target: '/crm/', headers: [['Content-Type', FORM], ['Cookie', 'AUTH_FORM=Y']], body: `pad=${pad}&${creds('bob', BOB_PASSWORD)}` }],
    ['AUTH_FORM in the body, after the padding', { method: 'POST', target: '/crm/', headers: [['Content-Type', FORM]], body: `pad=${pad}&AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` }],
    ['multipart, AUTH_FORM in the query', { method: 'POST', target: '/auth/?AUTH_FORM=Y', headers: [['Content-Type', 'multipart/form-data; boundary=B']], body: `--B\r\nContent-Disposition: form-data; name="pad"\r\n\r\n${pad}\r\n--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B\r\nContent-Disposition: form-data; name="USER_PASSWORD"\r\n\r\n${BOB_PASSWORD}\r\n--B--\r\n` }],
    ['chunked, AUTH_FORM in the query', { method: 'POST', target: '/auth/?AUTH_FORM=Y&TYPE=AUTH', headers: [['Content-Type', FORM], ['Transfer-Encoding', 'chunked']], body: chunked(`pad=${pad}&USER_LOGIN=bob&USER_PASSWORD=${enc(BOB_PASSWORD)}`) }],
  ])('%s: refused, nothing complete reaches the portal', async (_label, req) => {
    const { r, problems } = await send(req);
    expect({ status: r.status, problems }).toEqual({ status: 413, problems: [] });
  });

  test('60 wrong passwords then the right one: every one refused, none reaches the portal', async () => {
    for (let i = 0; i <= 60; i++) {
      const password = i === 60 ? 'Demo-Carol-2024!' : `guess-${i}`;
      const { r, got } = await send({ method: 'POST', target: '/auth/?login=yes&AUTH_FORM=Y&TYPE=AUTH', headers: [['Content-Type', FORM]], body: `pad=${pad}&USER_LOGIN=carol&USER_PASSWORD=${enc(password)}` });
      expect(r.status).toBe(413);
      expect(got.filter((x) => !x.aborted)).toEqual([]);
    }
  });
});

describe('5. multipart boundaries read as PHP reads them', () => {
  const boundaries = fc.constantFrom<[string, string]>(
    ['X;', 'X'], ['a/b', 'a/b'], ['a=b', 'a=b'], ['a:b', 'a:b'], ['"q;r"', 'q;r'], ['X, text/plain', 'X'], ['X; boundary=Y', 'X'],
  );
  const header = fc.constantFrom('boundary=', 'BOUNDARY=', 'Boundary=', 'charset=utf-8; boundary=');
  const body = (b: string, login: string, password: string, quote: string): string =>
    [['AUTH_FORM', 'Y'], ['TYPE', 'AUTH'], ['USER_LOGIN', login], ['USER_PASSWORD', password]]
      .map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name=${quote}${k}${quote}\r\n\r\n${v}\r\n`)
      .join('') + `--${b}--\r\n`;

  test("bob's right password: decoy or refusal, never a placeholder login", async () => {
    await fc.assert(
      fc.asyncProperty(boundaries, header, fc.constantFrom('"', "'", ''), async ([param, b], h, quote) => {
        await expectHeld({ method: 'POST', target: '/auth/', headers: [['Content-Type', `multipart/form-data; ${h}${param}`]], body: body(b, 'bob', BOB_PASSWORD, quote) }, { failurePage: false });
      }),
      { numRuns: RUNS },
    );
    expect(s.logs.some((l) => String(l.login ?? '').includes('unparsed'))).toBe(false);
  });

  test("carol's guesses are counted under carol", async () => {
    await fc.assert(
      fc.asyncProperty(boundaries, header, fc.nat(999), async ([param, b], h, n) => {
        await expectCounted({ method: 'POST', target: '/crm/', headers: [['Content-Type', `multipart/form-data; ${h}${param}`]], body: body(b, 'carol', `guess-${n}`, '"') });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('6. Connection: cannot remove what the classification read', () => {
  test.each([
    ['host, close', [['Content-Type', FORM]]],
    ['content-type', [['Content-Type', FORM]]],
    ['Host, Content-Type, Cookie, X-Forwarded-For', [['Content-Type', FORM], ['Cookie', 'PHPSESSID=x']]],
    ['keep-alive, host', [['Content-Type', FORM]]],
  ] as [string, [string, string][]][])('Connection: %s', async (nominated, headers) => {
    const { got: all } = await expectHeld({ method: 'POST', target: '/auth/?login=yes', headers: [...headers, ['Connection', nominated]], body: `AUTH_FORM=Y&${creds('bob', BOB_PASSWORD)}` });
    const got = all.filter((x) => !x.aborted);
    expect(got.length).toBeGreaterThan(0);
    for (const x of got) {
      expect(x.headers.host).toBe('localhost');
      expect(x.headers['content-type']).toBe(FORM);
    }
  });

  test('Connection: authorization with Basic of bob: the decoy, no Basic of bob upstream', async () => {
    await expectHeld({ target: '/crm/', headers: [['Authorization', `Basic ${BOB_BASIC}`], ['Connection', 'authorization']] });
  });
});

describe('9. HTTP authorization and a form in one request: every login checked', () => {
  const adminForm = `AUTH_FORM=Y&${creds('admin', ADMIN_PASSWORD)}`;
  const held = async (req: RawRequest): Promise<void> => {
    const { r, problems } = await send(req, { user: 'admin', password: ADMIN_PASSWORD });
    expect({ target: req.target, status: r.status === 200 || r.status === 403 ? 'held' : r.status, problems }).toEqual({ target: req.target, status: 'held', problems: [] });
  };
  test.each<[string, RawRequest]>([
    ['Basic of nobody, form of admin (reset_required)', { method: 'POST', target: '/auth/', headers: [['Content-Type', FORM], ['Authorization', `Basic ${Buffer.from('nobody:x').toString('base64')}`]], body: adminForm }],
    ['Basic of carol, form of admin in the query', { target: `/crm/?${adminForm}`, headers: [['Authorization', `Basic ${Buffer.from('carol:wrong').toString('base64')}`]] }],
    ['Digest of nobody, form of admin', { method: 'POST', target: '/crm/', headers: [['Content-Type', FORM], ['Authorization', 'Digest username="nobody", realm="r", nonce="n", uri="/", response="0"']], body: adminForm }],
    ['Basic of admin on a page', { target: '/crm/', headers: [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`]] }],
    ['Basic of admin on REST', { target: '/rest/user.current.json', headers: [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`]] }],
  ])('%s: the old password never reaches the portal', async (_label, req) => {
    await held(req);
  });
});

function chunked(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
}
