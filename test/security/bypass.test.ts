/**
 * Bypass attempts while blocked (issue 7): bob is blocked and the portal's REST is blocked; every
 * request below is one a real portal (PHP behind nginx or Apache, Bitrix's prolog and REST module)
 * would route to its login handler or to REST. For each, over a raw socket (so that absolute-form
 * targets, HTTP/1.0, odd Host values and malformed-but-accepted framing reach the gateway as written):
 *
 *   - the simulator received nothing that carries bob's login or password (in any encoding, nor his
 *     Basic pair), and no REST call (helpers.leaks reads each recorded request as PHP would);
 *   - the client got the portal's own failure page (200, no session of bob: the cookies it got are
 *     tried against the portal itself), or 403 with the REST envelope.
 *
 * The count of variants tried and reached is printed; reached must be 0.
 */
import { ADMIN_HOOK, APP_TOKEN, bobId, BOB_BASIC, BOB_HOOK, BOB_PASSWORD, FAILURE_TEXT, blockBobAndRest, leaks, multipartBody, raw, sessionOf, type RawReply, type RawRequest } from './helpers';
import { startStack, type Stack } from '../helpers/stack';

type VariantKind = 'login' | 'rest';
interface Variant {
  readonly name: string;
  readonly kind: VariantKind;
  readonly req: RawRequest;
  /** The portal itself would not run this login (wrong TYPE case, cookie-only AUTH_FORM, …): its plain page is fine. */
  readonly portalIgnores?: boolean;
  /** The gateway refuses it (400/413) before the portal sees anything: the portal could read it two ways. */
  readonly refused?: boolean;
}

const FORM = 'application/x-www-form-urlencoded';
const creds = (extra: Record<string, string> = {}): string => new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'bob', USER_PASSWORD: BOB_PASSWORD, ...extra }).toString();
const Q = creds();
const formPost = (target: string, body = Q, headers: [string, string][] = [], more: Partial<RawRequest> = {}): RawRequest => ({ method: 'POST', target, headers: [['Content-Type', FORM], ...headers], body, ...more });
const login = (name: string, req: RawRequest, portalIgnores = false): Variant => ({ name, kind: 'login', req, portalIgnores });
const refusedLogin = (name: string, req: RawRequest): Variant => ({ name, kind: 'login', req, refused: true });
const rest = (name: string, req: RawRequest): Variant => ({ name, kind: 'rest', req });
const get = (target: string, headers: [string, string][] = [], more: Partial<RawRequest> = {}): RawRequest => ({ target, headers, ...more });
const basicHdr: [string, string] = ['Authorization', `Basic ${BOB_BASIC}`];
const HOOK = `/rest/1/${ADMIN_HOOK}/user.current`;
const mp = multipartBody([['AUTH_FORM', 'Y'], ['TYPE', 'AUTH'], ['USER_LOGIN', 'bob'], ['USER_PASSWORD', BOB_PASSWORD]]);
const mpFile = multipartBody([['note', 'x'], ['AUTH_FORM', 'Y'], ['TYPE', 'AUTH'], ['USER_LOGIN', 'bob'], ['USER_PASSWORD', BOB_PASSWORD]], '----other', { file: true });
const mpUnquoted = multipartBody([['AUTH_FORM', 'Y'], ['TYPE', 'AUTH'], ['USER_LOGIN', 'bob'], ['USER_PASSWORD', BOB_PASSWORD]], '----unq', { quote: false });
const chunked = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n0\r\n\r\n`;

const LOGIN_VARIANTS: Variant[] = [
  // ---- the form, on its own pages and on any page ----
  login('POST /auth/?login=yes', formPost('/auth/?login=yes')),
  login('POST /auth/ without login=yes', formPost('/auth/')),
  login('POST /crm/ (any page)', formPost('/crm/')),
  login('POST / (root)', formPost('/')),
  login('POST /bitrix/admin/?login=yes', formPost('/bitrix/admin/?login=yes')),
  login('POST /bitrix/admin/index.php', formPost('/bitrix/admin/index.php?login=yes')),
  login('GET /crm/?AUTH_FORM=… (query login)', get(`/crm/?${Q}`)),
  login('GET /?login=yes&AUTH_FORM=…', get(`/?login=yes&${Q}`)),
  login('GET /bitrix/admin/?login=yes&AUTH_FORM=…', get(`/bitrix/admin/?login=yes&${Q}`)),
  login('HEAD /crm/?AUTH_FORM=…', get(`/crm/?${Q}`, [], { method: 'HEAD' })),
  login('PUT /crm/?AUTH_FORM=… (query, any method)', get(`/crm/?${Q}`, [], { method: 'PUT' })),
  login('DELETE /auth/?AUTH_FORM=…', get(`/auth/?${Q}`, [], { method: 'DELETE' })),
  // ---- path spellings of the login page ----
  login('//auth//', formPost('//auth//?login=yes')),
  login('/./auth/./', formPost('/./auth/./?login=yes')),
  login('/crm/../auth/', formPost('/crm/../auth/?login=yes')),
  login('/AUTH/ upper case', formPost('/AUTH/?login=yes')),
  login('/auth;jsessionid=1/', formPost('/auth;jsessionid=1/?login=yes')),
  login('/auth./ trailing dot', formPost('/auth./?login=yes')),
  login('/%61uth/ encoded letter', formPost('/%61uth/?login=yes')),
  login('/auth/index.php', formPost('/auth/index.php?login=yes')),
  // ---- key spellings PHP normalises to AUTH_FORM / USER_LOGIN / USER_PASSWORD ----
  login('AUTH.FORM key in the body', formPost('/auth/', `AUTH.FORM=Y&TYPE=AUTH&USER.LOGIN=bob&USER.PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('AUTH+FORM key in the body', formPost('/auth/', `AUTH+FORM=Y&TYPE=AUTH&USER+LOGIN=bob&USER+PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('AUTH%5FFORM key in the query', get(`/crm/?AUTH%5FFORM=Y&TYPE=AUTH&USER%5FLOGIN=bob&USER%5FPASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('AUTH%20FORM key in the query', get(`/crm/?AUTH%20FORM=Y&TYPE=AUTH&USER%20LOGIN=bob&USER%20PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('AUTH[FORM (unmatched bracket → _)', formPost('/auth/', `AUTH[FORM=Y&TYPE=AUTH&USER[LOGIN=bob&USER[PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('leading spaces in the keys', formPost('/auth/', `+AUTH_FORM=Y&+TYPE=AUTH&++USER_LOGIN=bob&+USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('every byte percent-encoded', formPost('/auth/', Q.replace(/[A-Za-z]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))),
  login('AUTH_FORM as an array', formPost('/auth/', `AUTH_FORM[]=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('login in upper case (BOB)', formPost('/auth/', creds({ USER_LOGIN: 'BOB' }))),
  login('login with spaces around', formPost('/auth/', creds({ USER_LOGIN: '  bob  ' })), true),
  login('duplicate keys, last wins', formPost('/auth/', `USER_LOGIN=carol&${Q}`)),
  login('body wins over query (query names carol)', formPost(`/auth/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=carol&USER_PASSWORD=x`, Q)),
  login('login in the query, password in the body', formPost(`/auth/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob`, `USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('fields split: AUTH_FORM in the body, creds in the query', formPost(`/crm/?TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`, 'AUTH_FORM=Y')),
  // Read otherwise when split on ';' too (arg_separator.input "&;"): refused whole.
  refusedLogin('; as the query separator', get(`/crm/?AUTH_FORM=Y;TYPE=AUTH;USER_LOGIN=bob;USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  login('TYPE in lower case', formPost('/auth/', creds({ TYPE: 'auth' })), true),
  login('TYPE missing', formPost('/auth/', `AUTH_FORM=Y&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`), true),
  login('TYPE=REGISTRATION', formPost('/auth/', creds({ TYPE: 'REGISTRATION' })), true),
  login('AUTH_FORM=0 (non-empty for <> \'\')', formPost('/auth/', creds({ AUTH_FORM: '0' }))),
  login('CHANGE_PWD with the current password', formPost('/auth/?change_password=yes', new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: 'bob', USER_CURRENT_PASSWORD: BOB_PASSWORD, USER_CHECKWORD: 'x', USER_PASSWORD: 'New-Pass-2026!', USER_CONFIRM_PASSWORD: 'New-Pass-2026!' }).toString()), true),
  login('AUTH_FORM in a cookie', get(`/crm/?TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`, [['Cookie', 'AUTH_FORM=Y']]), true),
  // ---- bodies ----
  login('multipart/form-data', { method: 'POST', target: '/auth/', headers: [['Content-Type', mp.contentType]], body: mp.body }),
  login('two Content-Type headers (form first), multipart body', formPost('/auth/', mp.body, [['Content-Type', mp.contentType]]), true),
  login('multipart with a file part, on a page', { method: 'POST', target: '/crm/', headers: [['Content-Type', mpFile.contentType]], body: mpFile.body }),
  login('multipart with unquoted field names', { method: 'POST', target: '/auth/', headers: [['Content-Type', mpUnquoted.contentType]], body: mpUnquoted.body }),
  login('content type with charset', { method: 'POST', target: '/auth/', headers: [['Content-Type', `${FORM}; charset=UTF-8`]], body: Q }),
  login('content type in upper case', { method: 'POST', target: '/auth/', headers: [['Content-Type', 'Application/X-WWW-Form-URLEncoded']], body: Q }),
  login('chunked form body', { method: 'POST', target: '/auth/', headers: [['Content-Type', FORM], ['Transfer-Encoding', 'chunked']], body: chunked(Q) }),
  login('large harmless fields first (under the cap)', formPost('/crm/', `note=${'n'.repeat(30_000)}&${Q}`)),
  // ---- method override headers (PHP ignores them; the body is still $_POST) ----
  login('X-HTTP-Method-Override: GET on a POST', formPost('/auth/', Q, [['X-HTTP-Method-Override', 'GET']])),
  login('X-HTTP-Method-Override: POST on a GET', get(`/crm/?${Q}`, [['X-HTTP-Method-Override', 'POST'], ['X-Method-Override', 'POST']])),
  // ---- HTTP authorization on any path ----
  login('Basic on /crm/', get('/crm/', [basicHdr])),
  login('Basic on /', get('/', [basicHdr])),
  login('Basic on a static-looking path', get('/bitrix/admin/', [basicHdr])),
  login('basic (lower-case scheme), extra spaces', get('/crm/', [['Authorization', `basic   ${BOB_BASIC}  `]])),
  login('Basic for bob and the form for carol', formPost('/auth/', creds({ USER_LOGIN: 'carol', USER_PASSWORD: 'wrong' }), [basicHdr])),
  login('Basic for an unknown user, form for bob', formPost('/auth/', Q, [['Authorization', `Basic ${Buffer.from('nobody:x').toString('base64')}`]])),
  login('Digest username="bob"', get('/crm/', [['Authorization', 'Digest username="bob", realm="portal", nonce="n", uri="/crm/", response="0"']]), true),
  // ---- Host, forwarding headers, protocol versions, request-target forms ----
  login('Host with a port', formPost('/auth/', Q, [], { host: 'localhost:8080' })),
  login('Host in upper case', formPost('/auth/', Q, [], { host: 'LOCALHOST' })),
  login('Host with a trailing dot', formPost('/auth/', Q, [], { host: 'localhost.' })),
  login('X-Forwarded-Host: another portal', formPost('/auth/', Q, [['X-Forwarded-Host', 'acme.bitrix24.local']])),
  login('HTTP/1.0', formPost('/auth/', Q, [], { version: '1.0' })),
  login('absolute-form target, Host names another portal', formPost('http://localhost/auth/?login=yes', Q, [], { host: 'acme.bitrix24.local' })),
  refusedLogin('absolute-form with userinfo and port', get(`http://x:y@LOCALHOST:80/crm/?${Q}`, [], { host: 'solo.bitrix24.local' })),
  login('absolute-form, upper-case scheme', formPost('HTTP://localhost./auth/', Q)),
  // ---- issue 15: one parse of every request ----
  login('query creds, AUTH_FORM in the body, any page', formPost(`/crm/?USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`, 'AUTH_FORM=Y&TYPE=AUTH')),
  login('query creds spelled USER.LOGIN, AUTH%5FFORM in the body', formPost(`/?USER.LOGIN=bob&USER+PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`, 'AUTH%5FFORM=Y&TYPE=AUTH')),
  refusedLogin('absolute-form, escaped authority', formPost('http://localhost%2e/auth/?login=yes', Q)),
  refusedLogin('absolute-form, empty authority, another Host', formPost('http:///localhost/auth/?login=yes', Q, [], { host: 'acme.bitrix24.local' })),
  refusedLogin('/rest./ with a login body', formPost('/rest./', Q)),
  refusedLogin('/REST/ with a login in the query', get(`/REST/?${Q}`)),
  refusedLogin('credentials after 64 KiB, AUTH_FORM in the query', formPost('/auth/?login=yes&AUTH_FORM=Y&TYPE=AUTH', `pad=${'p'.repeat(66_000)}&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(BOB_PASSWORD)}`)),
  // PHP reads this boundary (and the gateway with it); the simulator's busboy does not, so its answer
  // to the decoy is its plain page: what matters is that nothing of bob's reaches it.
  login('multipart boundary=X; (PHP reads X)', { method: 'POST', target: '/auth/', headers: [['Content-Type', 'multipart/form-data; boundary=----semi;']], body: multipartBody([['AUTH_FORM', 'Y'], ['TYPE', 'AUTH'], ['USER_LOGIN', 'bob'], ['USER_PASSWORD', BOB_PASSWORD]], '----semi').body }, true),
  login('Connection: host, close', formPost('/auth/?login=yes', Q, [['Connection', 'host, close']])),
  login('Connection: content-type', formPost('/auth/?login=yes', Q, [['Connection', 'content-type']])),
];

const REST_VARIANTS: Variant[] = [
  rest('webhook .json', get(`${HOOK}.json`)),
  rest('webhook .xml', get(`${HOOK}.xml`)),
  rest('webhook, no suffix', get(HOOK)),
  rest("bob's own webhook", get(`/rest/2/${BOB_HOOK}/user.current.json`)),
  rest('/REST/ upper case', get(`/REST/1/${ADMIN_HOOK}/USER.CURRENT`)),
  rest('//rest//', get(`//rest//1/${ADMIN_HOOK}//user.current`)),
  rest('/./rest/./', get(`/./rest/./1/${ADMIN_HOOK}/user.current`)),
  rest('/crm/../rest/', get(`/crm/../rest/1/${ADMIN_HOOK}/user.current`)),
  rest('/crm/%2e%2e/rest/', get(`/crm/%2e%2e/rest/1/${ADMIN_HOOK}/user.current`)),
  rest('%72 for r', get(`/%72est/1/${ADMIN_HOOK}/user.current.json`)),
  rest('%2F for slashes', get(`/rest%2F1%2F${ADMIN_HOOK}%2Fuser.current`)),
  rest('double-encoded %252F', get(`/rest%252F1%252F${ADMIN_HOOK}%252Fuser.current`)),
  rest('double-encoded letter %2572', get(`/%2572est/1/${ADMIN_HOOK}/user.current`)),
  rest(';params on the prefix', get(`/rest;x=1/1/${ADMIN_HOOK}/user.current`)),
  rest('trailing dot on the prefix', get(`/rest./1/${ADMIN_HOOK}/user.current`)),
  rest('trailing slash', get(`${HOOK}/`)),
  rest('backslashes', get(`/rest\\1\\${ADMIN_HOOK}\\user.current`)),
  rest('overlong UTF-8 slash', get(`/%C0%AFrest/1/${ADMIN_HOOK}/user.current`)),
  rest('encoded NUL in the prefix', get(`/re%00st/1/${ADMIN_HOOK}/user.current`)),
  rest('REST v3 /rest/api/', get(`/rest/api/1/${ADMIN_HOOK}/user.current`)),
  rest('/bitrix/services/rest/index.php?method=', get(`/bitrix/services/rest/index.php?method=user.current&auth=${APP_TOKEN}`)),
  rest('/bitrix/services/rest/index.php/<method> path tail', get(`/bitrix/services/rest/index.php/user.current.json?auth=${APP_TOKEN}`)),
  rest('/bitrix/services/rest/ (no index.php)', get(`/bitrix/services/rest/?method=user.current&auth=${APP_TOKEN}`)),
  rest('services index by POST, method in the body', { method: 'POST', target: '/bitrix/services/rest/index.php', headers: [['Content-Type', FORM]], body: `method=user.current&auth=${APP_TOKEN}` }),
  rest('/local/rest/', get(`/local/rest/1/${ADMIN_HOOK}/user.current.json`)),
  rest('/Local/Rest/ mixed case', get(`/Local/Rest/1/${ADMIN_HOOK}/user.current.json`)),
  rest('OAuth auth= in the query', get(`/rest/user.current.json?auth=${APP_TOKEN}`)),
  rest('OAuth auth= in a form body', { method: 'POST', target: '/rest/crm.deal.list.json', headers: [['Content-Type', FORM]], body: `auth=${APP_TOKEN}` }),
  rest('OAuth Bearer header', get('/rest/user.current.json', [['Authorization', `Bearer ${APP_TOKEN}`]])),
  rest('webhook by aplogin/ap', get(`/rest/user.current?aplogin=1&ap=${ADMIN_HOOK}`)),
  rest('POST JSON body', { method: 'POST', target: `/rest/1/${ADMIN_HOOK}/crm.deal.add`, headers: [['Content-Type', 'application/json']], body: '{"fields":{"TITLE":"x"}}' }),
  rest('POST chunked JSON', { method: 'POST', target: `/rest/1/${ADMIN_HOOK}/crm.deal.list.json`, headers: [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], body: chunked('{"select":["ID"]}') }),
  rest('batch', get(`/rest/1/${ADMIN_HOOK}/batch.json?cmd[a]=user.current`)),
  rest('HEAD', get(HOOK, [], { method: 'HEAD' })),
  rest('OPTIONS', get(`${HOOK}.json`, [], { method: 'OPTIONS' })),
  rest('X-HTTP-Method-Override: DELETE', get(`${HOOK}.json`, [['X-HTTP-Method-Override', 'DELETE']])),
  rest('Basic of bob on a REST path', get('/rest/user.current.json', [basicHdr])),
  rest('Host with a port', get(`${HOOK}.json`, [], { host: 'localhost:80' })),
  rest('Host upper case with a trailing dot', get(`${HOOK}.json`, [], { host: 'LOCALHOST.' })),
  rest('X-Forwarded-Host: another portal', get(`${HOOK}.json`, [['X-Forwarded-Host', 'solo.bitrix24.local']])),
  rest('HTTP/1.0', get(`${HOOK}.json`, [], { version: '1.0' })),
  rest('HTTP/1.0 without Host', get(`${HOOK}.json`, [], { version: '1.0', host: null })),
  rest('absolute-form, Host names another portal', get(`http://localhost${HOOK}.json`, [], { host: 'acme.bitrix24.local' })),
  rest('absolute-form, upper case and port', get(`HTTP://LOCALHOST:80${HOOK}.json`)),
  rest('fragment in the target', get(`${HOOK}.json#/../../crm/`)),
];

const VARIANTS = [...LOGIN_VARIANTS, ...REST_VARIANTS];

function isRestEnvelope(r: RawReply): boolean {
  const body = r.body.toString('utf8');
  if (body === '') return true; // HEAD
  if (body.includes('<error>ACCESS_DENIED</error>')) return true;
  try {
    const j = JSON.parse(body) as { error?: string; error_description?: string };
    return j.error === 'ACCESS_DENIED' && /support/i.test(j.error_description ?? '');
  } catch {
    return false;
  }
}

/** '' when the answer is acceptable, else why not. */
async function judgeAnswer(s: Stack, v: Variant, r: RawReply): Promise<string> {
  if (r.status === 403) return isRestEnvelope(r) ? '' : `403 without the REST envelope: ${r.body.toString('utf8').slice(0, 200)}`;
  // A request that names no portal (HTTP/1.0 without Host) cannot be checked, so it is refused whole.
  if (v.name.endsWith('without Host') && r.status === 400) return '';
  // Two Content-Type headers are malformed (a singleton field): refused whole, before any parsing.
  if (v.name.startsWith('two Content-Type headers') && r.status === 400) return '';
  if (v.refused) return r.status === 400 || r.status === 413 ? '' : `answered ${r.status}, expected a refusal (400/413)`;
  if (v.kind === 'rest') return `REST answered ${r.status}, expected 403`;
  if (r.status !== 200) return `answered ${r.status}, expected the portal's failure page (200)`;
  const cookies = r.headers['set-cookie'] ?? [];
  if (cookies.some((c) => /^BITRIX_SM_(LOGIN|UIDL)=bob/i.test(c))) return 'the portal set a login cookie for bob';
  const who = await sessionOf(s.sim.url, cookies);
  if (who !== null) return `the cookies it got open a session of ${who}`;
  const head = (v.req.method ?? 'GET').toUpperCase() === 'HEAD';
  if (!head && !v.portalIgnores && !r.body.toString('utf8').includes(FAILURE_TEXT)) return "200 without the portal's failure text";
  if (!head && !r.body.toString('utf8').includes('name="USER_LOGIN"') && !r.body.toString('utf8').includes(FAILURE_TEXT)) return '200 that is not a login form';
  return '';
}

describe('bypass attempts while bob and the portal\'s REST are blocked', () => {
  let s: Stack;
  const reached: string[] = [];
  beforeAll(async () => {
    s = await startStack({ sim: { restLimit: false, captchaAfterFailures: 0 } });
    await blockBobAndRest(s);
  });
  afterAll(async () => {
    process.stdout.write(`bypass table: ${VARIANTS.length} variants tried (${LOGIN_VARIANTS.length} login, ${REST_VARIANTS.length} REST), ${reached.length} reached the portal or got a wrong answer${reached.length ? `:\n  ${reached.join('\n  ')}` : ''}\n`);
    await s.close();
  });

  test('the table has at least 60 variants, each with a unique name', () => {
    expect(VARIANTS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(VARIANTS.map((v) => `${v.kind}: ${v.name}`)).size).toBe(VARIANTS.length);
  });

  test.each(VARIANTS.map((v) => [`${v.kind}: ${v.name}`, v] as const))('%s', async (_label, v) => {
    s.sim.clearReceived();
    const r = await raw(s.gw.listen.port, v.req);
    // The decoy is asked of the portal before the answer; give a swallowed success's logout a moment.
    await new Promise((res) => setTimeout(res, 20));
    const problems = await leaks(s.sim.received, { restBlocked: true });
    if (v.kind === 'rest' && s.sim.received.some((x) => !x.aborted)) problems.push(`a REST variant reached the portal: ${s.sim.received.map((x) => x.url).join(', ')}`);
    const wrong = await judgeAnswer(s, v, r);
    if (wrong) problems.push(wrong);
    if (problems.length > 0) reached.push(`${v.kind}: ${v.name}: ${problems.join('; ')}`);
    expect(problems).toEqual([]);
  });

  test('the blocks are still in force after the table (nothing above lifted them)', () => {
    expect(s.gw.blocks.find('localhost', 'user', bobId())).toBeDefined();
    expect(s.gw.blocks.find('localhost', 'portal_rest', '')).toBeDefined();
  });
});

/**
 * The simulator, like a real portal behind a default nginx server block, also answers to its IP
 * address (seed aliases: 127.0.0.1, [::1]). The gateway keys blocks by the canonical Host, so a
 * client that names the portal by its address is another "portal" to the gateway, and the same
 * portal to PHP. Kept apart from the table so that its count stays about path and body spellings.
 */
describe('Host aliases of the same portal', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ sim: { restLimit: false, captchaAfterFailures: 0 } });
    await blockBobAndRest(s);
  });
  afterAll(() => s.close());

  test.each([
    ['login, Host: 127.0.0.1', formPost('/auth/?login=yes', Q, [], { host: '127.0.0.1' })],
    ['REST, Host: 127.0.0.1', get(`${HOOK}.json`, [], { host: '127.0.0.1' })],
    ['login, absolute-form http://[::1]/', formPost('http://[::1]/auth/?login=yes', Q)],
  ] as const)('%s does not reach the portal', async (_label, req) => {
    s.sim.clearReceived();
    const r = await raw(s.gw.listen.port, req);
    const problems = await leaks(s.sim.received, { restBlocked: true });
    expect({ status: r.status, problems }).toEqual({ status: expect.any(Number), problems: [] });
  });
});
