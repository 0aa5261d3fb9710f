/**
 * The differential test against real PHP (issue 15 §2). PHP's own request parsing is the judge of what
 * a portal sees; the gateway must classify every login PHP would run, or refuse the request.
 *
 * The rig, all real: the gateway's edge (createEdgeServer: Node's HTTP parser, body buffering, the
 * form sniffer, forwarding through undici) with the real classify stage, in front of an upstream that
 * hands each request it receives to `php-cgi` as a web server hands it to PHP-FPM
 * (test/helpers/php-oracle.ts, test/fixtures/php/prolog.php). PHP judges what the gateway forwarded,
 * so a second reading of the target or a header removed on the way counts too. The policy stages are
 * left out: they decide what to do with a classification, and this test checks the classification.
 *
 * Generated requests (test/security/php-requests.ts) go one at a time, each judged by PHP with one of
 * three php.ini profiles (test/helpers/php-oracle.ts): a Bitrix24 portal's, none at all (cookies in
 * $_REQUEST), and a portal that splits queries on ";" too. A case fails when PHP ran the
 * login handler (AUTH_FORM non-empty and TYPE one of AUTH, OTP, SEND_PWD, CHANGE_PWD, REGISTRATION, or
 * HTTP Basic/Digest) with a principal the gateway did not classify the same way (kind and login,
 * trimmed and case-folded as counters key them), or for another portal than the one classified,
 * unless the gateway refused it (400/413) before PHP saw a complete request.
 *
 * Disagreements are grouped by class, each with its smallest example; the run prints its seed.
 * Runs: PORTCULLIS_PHP_DIFF_RUNS (default 300; `npm run soak` runs 5000); PORTCULLIS_PHP_DIFF_SEED
 * replays. Skipped, loudly, only when no php-cgi is installed (Debian: apt-get install php8.2-cgi).
 */
import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEdgeServer } from '../../gateway/edge/server';
import { Upstream } from '../../gateway/edge/forward';
import { createWebSocketRelay } from '../../gateway/edge/websocket';
import { systemClock } from '../../gateway/lib/clock';
import { CidrSet } from '../../gateway/lib/ip';
import { classifyStage } from '../../gateway/pipeline/classify-stage';
import { canonicalPortal } from '../../gateway/pipeline/classify/host';
import { phpTrim } from '../../gateway/pipeline/classify/bytes';
import type { Classified } from '../../gateway/pipeline/request';
import { composePipeline } from '../../gateway/pipeline/stages';
import { BITRIX_PHP, PHP_PROFILES, findPhpCgi, runPhp, type PhpLogin, type PhpView } from '../helpers/php-oracle';
import { stopAll } from '../helpers/processes';
import { testConfig } from '../helpers/stack';
import { buildRaw, rawExchange } from './helpers';
import { PORTAL, requests, type GenRequest } from './php-requests';

const RUNS = Math.max(1, Number(process.env.PORTCULLIS_PHP_DIFF_RUNS ?? 300));
const SEED = process.env.PORTCULLIS_PHP_DIFF_SEED !== undefined ? Number(process.env.PORTCULLIS_PHP_DIFF_SEED) : Date.now() % 2 ** 31;
const PHP_CGI = findPhpCgi();
jest.setTimeout(Math.max(120_000, RUNS * 400));

interface Seen {
  classified?: Classified;
  status: number;
  errorCode?: string;
}

interface Reached {
  view?: PhpView;
  aborted: boolean;
  /** php-cgi failed: the case is not judged, and the run fails. */
  oracleError?: string;
}

const norm = (s: string | null | undefined): string | undefined => {
  if (typeof s !== 'string') return undefined;
  const t = phpTrim(s).toLowerCase();
  return t === '' ? undefined : t;
};

const EXPECTED_KIND: Record<string, string> = {
  AUTH: 'login', REGISTRATION: 'login', OTP: 'otp', SEND_PWD: 'password_recovery', CHANGE_PWD: 'password_change', basic: 'login', digest: 'login',
};

/** The principal PHP's attempt acts on: the login, or for recovery the e-mail or phone; none for OTP (the session's). */
function principalOf(a: PhpLogin): string | undefined {
  if (a.type === 'OTP') return undefined;
  if (a.type === 'SEND_PWD') return norm(a.login) ?? norm(a.email) ?? norm(a.phone);
  return norm(a.login);
}

/** Why the gateway's classification does not cover what PHP ran; [] when it does. */
export function judge(view: PhpView, c: Classified | undefined): string[] {
  const problems: string[] = [];
  const attempts = view.logins.filter((a) => a.via === 'basic' || a.via === 'digest' || principalOf(a) !== undefined || a.type === 'OTP');
  if (attempts.length === 0) return problems;
  if (c === undefined) return ['PHP ran a login the gateway never classified'];
  const p = c.principal;
  const known = new Set([p.login, p.email, p.phone, ...(p.alsoLogins ?? [])].map(norm).filter((x): x is string => x !== undefined));
  for (const a of attempts) {
    const what = a.via === 'basic' || a.via === 'digest' ? a.via : `form ${a.type} ($_${a.via.toUpperCase()})`;
    const expected = EXPECTED_KIND[a.type ?? a.via]!;
    const principal = principalOf(a);
    const kindOk = c.kind === expected || (c.kind === 'rest' && (principal === undefined ? /auth_form|basic|digest/.test(c.reason) : true));
    if (!kindOk) problems.push(`${what}: PHP runs it, another kind at the gateway`);
    else if (principal !== undefined && !known.has(principal)) {
      problems.push(`${what}: PHP's principal is not the gateway's (${known.size === 0 ? 'gateway has none' : 'gateway has another'})`);
    }
  }
  const phpPortal = canonicalPortal(view.host);
  if (phpPortal !== c.portal) {
    problems.push('PHP served another portal than the one classified');
  }
  return problems;
}

const FORM = 'application/x-www-form-urlencoded';
const LOGIN_BODY = 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=Pw-secret-1!';
const pinned = (name: string, req: GenRequest['req'], profile: GenRequest['profile'] = 'bitrix'): GenRequest => ({ req: { host: PORTAL, ...req }, tags: [`pinned:${name}`], profile });
/**
 * One spelling of each class found so far, run before the generated ones whatever the seed. `itemN-`:
 * a class of issue 15's numbered items, fixed in the edge and classifier by that work (until it is
 * merged, these fail here, by design: the test reports every class and tolerates none); `fixed-`: a
 * class this test found and the classifier now gets right.
 */
const PINNED: readonly GenRequest[] = [
  pinned('item1-query-not-read', { method: 'POST', target: '/crm/?USER_LOGIN=bob&USER_PASSWORD=x', headers: [['Content-Type', FORM]], body: 'AUTH_FORM=Y&TYPE=AUTH' }),
  pinned('item3-rest-dot', { method: 'POST', target: '/rest./', headers: [['Content-Type', FORM]], body: LOGIN_BODY }),
  pinned('item1-rest-body', { method: 'POST', target: '/rest/user.current.json', headers: [['Content-Type', FORM]], body: LOGIN_BODY }),
  pinned('item4-past-64KiB', { method: 'POST', target: '/auth/?login=yes&AUTH_FORM=Y&TYPE=AUTH', headers: [['Content-Type', FORM]], body: `pad=${'p'.repeat(70 * 1024)}&USER_LOGIN=bob&USER_PASSWORD=x` }),
  pinned('item5-boundary-trailing-semicolon', { method: 'POST', target: '/auth/', headers: [['Content-Type', 'multipart/form-data; boundary=X;']], body: multipart('X', LOGIN_BODY) }),
  pinned('item5-boundary-unquoted-specials', { method: 'POST', target: '/auth/', headers: [['Content-Type', 'multipart/form-data; boundary=a/b=c:d']], body: multipart('a/b=c:d', LOGIN_BODY) }),
  pinned('fixed-max-input-vars', { method: 'POST', target: '/auth/', headers: [['Content-Type', FORM]], body: `${LOGIN_BODY}&${'a&'.repeat(10_050)}&USER_LOGIN=alice` }),
  pinned('fixed-cookie-wins-without-ini', { method: 'POST', target: '/auth/', headers: [['Content-Type', FORM], ['Cookie', 'USER_LOGIN=alice']], body: LOGIN_BODY }, 'no-ini'),
  pinned('fixed-semicolon-query', { method: 'POST', target: '/auth/?AUTH_FORM=Y&USER_LOGIN=bob;USER_PASSWORD=x', headers: [['Content-Type', FORM]], body: 'TYPE=AUTH' }),
  pinned('fixed-max-input-vars-multipart', { method: 'POST', target: '/auth/', headers: [['Content-Type', 'multipart/form-data; boundary=XyZ123']], body: multipart('XyZ123', `${LOGIN_BODY}&${'a=&'.repeat(10_050)}USER_LOGIN=alice`) }),
  pinned('fixed-semicolon-portal', { method: 'GET', target: '/crm/?x=1;AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob' }, 'semicolon'),
  pinned('fixed-multipart-unquoted-name', { method: 'POST', target: '/crm/', headers: [['Content-Type', 'multipart/form-data; boundary=XyZ123']], body: multipart('XyZ123', LOGIN_BODY).replace('name="AUTH_FORM"', 'name=AUTH[FORM') }),
  pinned('fixed-digest-xusername', { target: '/crm/', headers: [['Authorization', 'Digest username="bob", xusername="alice", nonce="n", uri="/", response="r"']] }),
  pinned('fixed-basic-nul-user', { target: '/crm/', headers: [['Authorization', `Basic ${Buffer.from('bob\0x:pw').toString('base64')}`]] }),
  pinned('item2-absolute-other-host', { method: 'POST', target: 'http://other.test/auth/', headers: [['Content-Type', FORM]], body: LOGIN_BODY }),
  pinned('item6-connection-host', { method: 'POST', target: '/auth/', host: 'Acme.Test:80', headers: [['Content-Type', FORM], ['Connection', 'host, close']], body: LOGIN_BODY }),
  pinned('item9-basic-and-recovery', { method: 'POST', target: '/auth/', headers: [['Content-Type', FORM], ['Authorization', `Basic ${Buffer.from('bob:pw').toString('base64')}`]], body: 'AUTH_FORM=Y&TYPE=SEND_PWD&USER_LOGIN=alice' }),
];

function multipart(boundary: string, urlencoded: string): string {
  const parts = urlencoded.split('&').map((p) => p.split('='));
  return `${parts.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('')}--${boundary}--\r\n`;
}

const show = (g: GenRequest): string => {
  const raw = buildRaw(g.req).toString('latin1');
  const cut = raw.length > 700 ? `${raw.slice(0, 500)}…[${raw.length - 600} bytes]…${raw.slice(-100)}` : raw;
  return `[php ${g.profile}] ${cut.replace(/\r\n/g, '⏎')}`;
};

(PHP_CGI ? describe : describe.skip)('differential: the classifier against real PHP (php-cgi)', () => {
  let edge: http.Server;
  let bridge: http.Server;
  let upstream: Upstream;
  // Written by the record stage and the bridge, read after each exchange (one request at a time).
  const last: { seen?: Seen | undefined; reached?: Reached | undefined } = {};
  let profile = BITRIX_PHP;

  beforeAll(async () => {
    // The portal: every request it receives goes to PHP, as nginx passes it to PHP-FPM.
    bridge = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('aborted', () => {
        last.reached = { aborted: true };
      });
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        runPhp(PHP_CGI!, { method: req.method ?? 'GET', target: req.url ?? '/', headers, body: Buffer.concat(chunks) }, profile).then(
          (view) => {
            last.reached = { view, aborted: false };
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          },
          (err: Error) => {
            last.reached = { aborted: false, oracleError: err.message };
            res.writeHead(500).end(err.message);
          },
        );
      });
    });
    await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
    const config = testConfig(upstreamUrl);
    upstream = new Upstream(upstreamUrl, config.limits);
    edge = createEdgeServer({
      config,
      clock: systemClock,
      pipeline: composePipeline({
        before: [classifyStage({ aliases: config.portalAliases })],
        observe: [],
        record: [{ name: 'record', run: (ctx) => { last.seen = { classified: ctx.classified, status: ctx.status, ...(ctx.errorCode ? { errorCode: ctx.errorCode } : {}) }; } }],
      }),
      upstream,
      trustedProxies: new CidrSet([]),
      websockets: createWebSocketRelay(upstreamUrl, () => undefined),
      onInternalError: () => undefined,
      onEdgeError: () => undefined,
      onUpgrade: () => undefined,
    });
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    await new Promise((r) => edge.close(r));
    await upstream.close();
    await new Promise((r) => bridge.close(r));
    await stopAll();
  });

  test(`${RUNS} generated requests, PHP and the gateway agree on every login (seed ${SEED})`, async () => {
    const port = (edge.address() as AddressInfo).port;
    const classes = new Map<string, { count: number; example: GenRequest; size: number }>();
    let phpLogins = 0;
    let refused = 0;
    const oracleErrors: string[] = [];
    const cases = [...PINNED, ...fc.sample(requests, { numRuns: RUNS, seed: SEED })];
    for (const g of cases) {
      last.seen = undefined;
      last.reached = undefined;
      profile = PHP_PROFILES[g.profile];
      const reply = await rawExchange(port, buildRaw(g.req), { timeoutMs: 20_000 });
      for (let i = 0; i < 100 && last.seen === undefined && reply.status !== 0 && reply.status !== 400 && reply.status !== 431; i++) await new Promise((r) => setTimeout(r, 5));
      // (read through casts: TypeScript cannot see the callbacks that filled them during the await)
      const seen = last.seen as Seen | undefined;
      const status = seen?.status ?? reply.status;
      if (status === 400 || status === 413 || status === 431) refused++;
      const reached = last.reached as Reached | undefined;
      if (reached?.oracleError !== undefined) oracleErrors.push(`${reached.oracleError.slice(0, 300)} for ${show(g).slice(0, 300)}`);
      const view = reached?.view;
      if (view === undefined) continue; // PHP never saw a complete request: nothing ran
      if (view.logins.length > 0) phpLogins++;
      for (const problem of judge(view, seen?.classified)) {
        const gw = seen?.classified ? ` — gateway ${seen.classified.kind} (${seen.classified.reason.replace(/:(type_unknown|registration)/g, '')})` : '';
        const key = `${problem}${gw}${g.tags.some((t) => t === 'body>64KiB') ? ', body > 64 KiB' : ''}${status === 400 || status === 413 ? ` [yet answered ${status}]` : ''}${g.tags[0]?.startsWith('pinned:') ? ` [${g.tags[0]}]` : ''}`;
        const size = buildRaw(g.req).length;
        const prev = classes.get(key);
        if (!prev) classes.set(key, { count: 1, example: g, size });
        else {
          prev.count++;
          if (size < prev.size) Object.assign(prev, { example: g, size });
        }
      }
    }
    const lines = [`php-differential: ${cases.length} requests (seed ${SEED}), PHP ran a login in ${phpLogins}, the gateway refused ${refused}; ${classes.size} classes of disagreement`];
    for (const [cls, { count, example }] of classes) lines.push(`  ${cls}: ${count}×, tags ${example.tags.join(' ')}\n      e.g. ${show(example)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(oracleErrors).toEqual([]);
    expect(phpLogins).toBeGreaterThan(0);
    expect([...classes.keys()]).toEqual([]);
  });
});

if (!PHP_CGI) {
  process.stderr.write('\n*** php-differential: SKIPPED: no php-cgi found (install Debian\'s php8.2-cgi; .ci/run does). The classifier is NOT checked against PHP. ***\n\n');
}
