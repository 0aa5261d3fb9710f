/**
 * A fast-check generator of raw requests that may reach a portal's login handler (issue 15 §2), in
 * every spelling PHP still reads: methods, origin- and absolute-form targets, page and REST paths,
 * login fields in the query, the body, both or a cookie, PHP key normalisation (`.`, space, `[` → `_`,
 * arrays, a NUL cut, leading spaces), repeated keys, percent-encoding and `+`, separators PHP does not
 * split on (`;`, `&amp;`), url-encoded and multipart bodies with the boundary spellings PHP accepts,
 * bodies past the gateway's 64 KiB buffer, more variables than max_input_vars, chunked framing,
 * HTTP Basic, Digest and Bearer headers, and `Connection` nominations. Secret values (GEN_SECRETS) go
 * wherever a client can put them: login fields, OAuth tokens, webhook codes in every path form.
 *
 * Each request carries `tags`, the features it uses, so a disagreement can be put in its class.
 */
import fc from 'fast-check';
import type { RawRequest } from './helpers';

export interface GenRequest {
  readonly req: RawRequest;
  /** Features used, for grouping disagreements (e.g. `login:query`, `ct:multipart`, `body>64KiB`). */
  readonly tags: readonly string[];
  /** PHP settings to judge it with (see test/helpers/php-oracle.ts). */
  readonly profile: 'bitrix' | 'no-ini' | 'semicolon';
}

/** The portal's name. Not one the gateway's upstream answers to, so a Host lost on the way shows. */
export const PORTAL = 'acme.test';

/**
 * The secret values the generator puts in requests, one per kind, each distinct enough to be found
 * in any output (test/security/secrets.test.ts searches every output of the gateway for them).
 */
export const GEN_SECRETS = {
  password: 'Pw-secret-1!',
  otp: 'Otp-493817',
  checkword: 'Cw-7f3a9e1d2b',
  webhookCode: 'Hk9wEbh00kC0de17',
  oauthToken: 'Oa-tok-8c1f2e9d7b6a',
} as const;
const S = GEN_SECRETS;

type Place = 'query' | 'body' | 'cookie';

interface Field {
  /** The name as PHP must read it before normalisation (decoded). */
  readonly name: string;
  readonly value: string;
  readonly place: Place;
}

const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** One way of writing a (decoded) name or value in a query or url-encoded body. */
type Encoding = 'uri' | 'plus' | 'all' | 'raw';
const encodings: fc.Arbitrary<Encoding> = fc.constantFrom('uri', 'uri', 'plus', 'all', 'raw');

function encode(s: string, how: Encoding): string {
  switch (how) {
    case 'all':
      return pct(s);
    case 'plus':
      return encodeURIComponent(s).replace(/%20/g, '+');
    case 'raw':
      // Only what cannot break the framing is left raw.
      return s.replace(/[%&+#=\s\x00-\x1f\x7f-\uffff]/g, (c) => pct(c));
    default:
      return encodeURIComponent(s);
  }
}

/** Names PHP normalises to `key` (and some it does not: arrays, other case). */
const nameSpelling = (key: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(key) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        key.replace(/_/g, '.'),
        key.replace(/_/g, ' '),
        key.replace('_', '['),
        ` ${key}`,
        `  ${key}`,
        `${key}\0junk`,
        `${key}[]`,
        `${key}[x]`,
        `${key}]`,
        key.toLowerCase(),
        `${key}.`,
      ),
    },
  );

export const LOGINS = ['bob', 'alice', 'Bob', ' bob', 'bob ', 'carol@portal.test', 'бoб', 'o\'neil', 'a+b', 'x&y=z', 'eve;admin'] as const;
const loginValue = fc.constantFrom(...LOGINS);
const typeValue = fc.constantFrom('AUTH', 'AUTH', 'AUTH', 'OTP', 'SEND_PWD', 'CHANGE_PWD', 'REGISTRATION', 'auth', 'AUTH ', '');
const place: fc.Arbitrary<Place> = fc.constantFrom<Place>('query', 'body', 'body', 'query', 'cookie');

/** Fields besides the login's, with their values (`auth`, `access_token`: a REST call's OAuth token). */
const OTHER_VALUES = {
  USER_OTP: S.otp,
  USER_CHECKWORD: S.checkword,
  USER_EMAIL: 'bob@portal.test',
  USER_PHONE_NUMBER: '+15550001',
  USER_CONFIRM_PASSWORD: S.password,
  USER_REMEMBER: 'Y',
  login: 'yes',
  backurl: '/',
  auth: S.oauthToken,
  access_token: S.oauthToken,
} as const;

const fieldsArb: fc.Arbitrary<Field[]> = fc
  .record({
    authForm: fc.option(fc.tuple(nameSpelling('AUTH_FORM'), fc.constantFrom('Y', 'Y', '0', 'yes'), place), { freq: 6, nil: undefined }),
    type: fc.option(fc.tuple(nameSpelling('TYPE'), typeValue, place), { freq: 8, nil: undefined }),
    login: fc.array(fc.tuple(nameSpelling('USER_LOGIN'), loginValue, place), { minLength: 1, maxLength: 3 }),
    password: fc.tuple(nameSpelling('USER_PASSWORD'), place),
    others: fc.subarray(Object.keys(OTHER_VALUES) as (keyof typeof OTHER_VALUES)[], { maxLength: 3 }),
    otherPlace: place,
  })
  .chain((r) => {
    const fields: Field[] = [];
    if (r.authForm) fields.push({ name: r.authForm[0], value: r.authForm[1], place: r.authForm[2] });
    if (r.type) fields.push({ name: r.type[0], value: r.type[1], place: r.type[2] });
    for (const [name, value, p] of r.login) fields.push({ name, value, place: p });
    fields.push({ name: r.password[0], value: S.password, place: r.password[1] });
    for (const o of r.others) fields.push({ name: o, value: OTHER_VALUES[o], place: r.otherPlace });
    return fc.shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length });
  });

/** REST entry points and spellings nginx, Apache and PHP read differently from the gateway. */
const paths = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/', '/auth/', '/crm/', '/bitrix/admin/', '/bitrix/admin/index.php', '/stream/', '/AUTH/', '//auth//', '/upload/x.png', '/bitrix/js/main/core.js', '/oauth/token/') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '/rest/', '/rest/user.current.json', `/rest/1/${S.webhookCode}/user.current`, `/rest/api/1/${S.webhookCode}/user.current`,
      `/rest/01/${S.webhookCode}/user.current.json`, `/local/rest/1/${S.webhookCode}/`, `/bitrix/services/rest/index.php/1/${S.webhookCode}/user.current`,
      `/rest./1/${S.webhookCode}/user.current`, `/rest;x/1/${S.webhookCode}/`, `/rest/1/${S.webhookCode}/a/b`, `/rest%2F1%2F${S.webhookCode}%2Fuser.current`,
      '/local/rest/', '/bitrix/services/rest/index.php', '/bitrix/services/rest/index.php/user.current.json',
      '/rest./', '/rest%2e/', '/REST/', '/rest;a=b/', '//rest/', '/rest%2Fuser.current', '/%72est/', '/restx/', '/rest.php', '/rest/../crm/', '/rest\\user.current',
    ),
  },
);

const urlencodedType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=UTF-8',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencoded;',
  'application/x-www-form-urlencoded,text/plain',
  'application/x-www-form-urlencoded ; charset=windows-1251',
);
/** [Content-Type parameter text, the boundary PHP reads from it]. */
const boundaries = fc.constantFrom<[string, string]>(
  ['boundary=XyZ123', 'XyZ123'],
  ['boundary="XyZ123"', 'XyZ123'],
  ['BOUNDARY=XyZ123', 'XyZ123'],
  ['boundary=XyZ123;', 'XyZ123'],
  ['boundary=a/b=c:d', 'a/b=c:d'],
  ['boundary="a b;c"', 'a b;c'],
  ['charset=utf-8; boundary=XyZ123', 'XyZ123'],
  ['boundary=XyZ123, charset=utf-8', 'XyZ123'],
  ['Boundary=----WebKitFormBoundary7MA4YWxk', '----WebKitFormBoundary7MA4YWxk'],
);
const multipartMedia = fc.constantFrom('multipart/form-data', 'Multipart/Form-Data', 'multipart/form-data ');
const dispositionName = fc.constantFrom<(n: string) => string>(
  (n) => `form-data; name="${n}"`,
  (n) => `form-data; name=${n}`,
  (n) => `form-data; NAME="${n}"`,
  (n) => `form-data;name="${n}"`,
  (n) => `form-data; name="${n}"; filename="f.txt"`,
  (n) => `form-data; name = "${n}"`,
);

const basicUser = fc.oneof(loginValue, fc.constantFrom('bob\0x', ''));
const authorization = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom('Basic ', 'basic ', 'BASIC ', 'Basic  ', 'Basic\t'), basicUser, fc.constantFrom(`:${S.password}`, '', ':'), fc.constantFrom('', '!', '==', ' ')).map(
      ([scheme, user, pw, junk]) => ({ header: `${scheme}${Buffer.from(`${user}${pw}`, 'utf8').toString('base64')}${junk}`, tag: 'auth:basic' }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom('Digest ', 'digest '),
      loginValue,
      loginValue,
      fc.constantFrom<(u: string, v: string) => string>(
        (u) => `username="${u}", realm="portal", nonce="abc", uri="/", response="def"`,
        (u) => `username=${u.replace(/[\s,"]/g, '')}, realm="portal", nonce="abc", uri="/", response="def"`,
        (u) => `username='${u}', nonce='abc', uri='/', response='def'`,
        (u, v) => `username="${u}", xusername="${v}", nonce="abc", uri="/", response="def"`,
        (u, v) => `username="${u}", nonce="abc", uri="/", response="def", username="${v}"`,
        (u) => `realm="portal", username="${u}"`,
      ),
    ).map(([scheme, u, v, f]) => ({ header: `${scheme}${f(u, v)}`, tag: 'auth:digest' })),
  },
  { weight: 1, arbitrary: fc.constant({ header: `Bearer ${S.oauthToken}`, tag: 'auth:bearer' }) },
);

export const requests: fc.Arbitrary<GenRequest> = fc
  .record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE'),
    path: paths,
    pageQuery: fc.constantFrom('', '', 'login=yes', 'login=yes&backurl=%2F'),
    fields: fieldsArb,
    nameEncoding: encodings,
    valueEncoding: encodings,
    querySep: fc.constantFrom('&', '&', '&', ';', '&amp;', '&&'),
    bodyKind: fc.constantFrom('urlencoded', 'urlencoded', 'multipart', 'json', 'none'),
    ctUrl: urlencodedType,
    mpMedia: multipartMedia,
    boundary: boundaries,
    disposition: dispositionName,
    padding: fc.constantFrom('none', 'none', 'none', 'small', 'big-before', 'big-after', 'vars-before'),
    chunked: fc.boolean(),
    absolute: fc.constantFrom<'no' | 'same' | 'other' | 'upper'>('no', 'no', 'no', 'same', 'other', 'upper'),
    auth: fc.option(authorization, { freq: 4, nil: undefined }),
    connection: fc.constantFrom('close', 'close', 'close', 'host, close', 'content-type, close', 'authorization, close', 'cookie, close', 'content-length, close'),
    profile: fc.constantFrom<GenRequest['profile']>('bitrix', 'bitrix', 'bitrix', 'no-ini', 'semicolon'),
  })
  .map((g): GenRequest => {
    const tags = new Set<string>();
    const inQuery = g.fields.filter((f) => f.place === 'query');
    const inBody = g.fields.filter((f) => f.place === 'body');
    const inCookie = g.fields.filter((f) => f.place === 'cookie');
    for (const f of g.fields) tags.add(`login:${f.place}`);
    const pair = (f: Field): string => `${encode(f.name, g.nameEncoding)}=${encode(f.value, g.valueEncoding)}`;

    const queryParts = [...(g.pageQuery ? [g.pageQuery] : []), ...inQuery.map(pair)];
    const query = queryParts.join(g.querySep);
    if (g.querySep !== '&' && queryParts.length > 1) tags.add(`query-sep:${g.querySep}`);

    const headers: [string, string][] = [];
    let body: Buffer | undefined;
    const method = g.method;
    const filler = (n: number): string => 'p'.repeat(n);
    if (g.bodyKind !== 'none' && (inBody.length > 0 || g.padding !== 'none')) {
      tags.add(`ct:${g.bodyKind}`);
      if (g.padding !== 'none') tags.add(`pad:${g.padding}`);
      const bigBytes = 70 * 1024;
      if (g.bodyKind === 'multipart') {
        const [param, boundary] = g.boundary;
        headers.push(['Content-Type', `${g.mpMedia}; ${param}`]);
        const part = (name: string, value: string): string => `--${boundary}\r\nContent-Disposition: ${g.disposition(name)}\r\n\r\n${value}\r\n`;
        const parts = inBody.map((f) => part(f.name, f.value));
        if (g.padding === 'big-before' || g.padding === 'vars-before') parts.unshift(part('pad', filler(bigBytes)));
        if (g.padding === 'big-after') parts.push(part('pad', filler(bigBytes)));
        if (g.padding === 'small') parts.unshift(part('pad', filler(100)));
        body = Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
        if (g.boundary[0] !== 'boundary=XyZ123') tags.add(`boundary:${param}`);
      } else {
        headers.push(['Content-Type', g.bodyKind === 'json' ? 'application/json' : g.ctUrl]);
        const pairs = inBody.map(pair);
        if (g.padding === 'big-before') pairs.unshift(`pad=${filler(bigBytes)}`);
        if (g.padding === 'big-after') pairs.push(`pad=${filler(bigBytes)}`);
        if (g.padding === 'small') pairs.unshift(`pad=${filler(100)}`);
        // The login fields with another USER_LOGIN, more variables than any portal's max_input_vars
        // (10000), then the fields again: PHP stops counting at the limit and keeps the first login.
        if (g.padding === 'vars-before') {
          const first = pairs.map((p) => (/LOGIN/i.test(decodeURIComponent(p.split('=')[0]!.replace(/\+/g, ' '))) ? `${p.split('=')[0]}=first-login` : p));
          pairs.unshift(...first, ...Array.from({ length: 10_050 }, () => 'a'));
        }
        body = Buffer.from(pairs.join('&'), 'latin1');
      }
      if (body.length > 64 * 1024) tags.add('body>64KiB');
    }
    if (inCookie.length > 0) headers.push(['Cookie', inCookie.map((f) => `${f.name.replace(/[;\s\0]/g, '_')}=${encodeURIComponent(f.value)}`).join('; ')]);
    if (g.auth) {
      headers.push(['Authorization', g.auth.header]);
      tags.add(g.auth.tag);
    }
    if (g.connection !== 'close') tags.add(`connection:${g.connection}`);
    headers.push(['Connection', g.connection]);
    if (g.chunked && body !== undefined) {
      headers.push(['Transfer-Encoding', 'chunked']);
      tags.add('chunked');
    }
    const origin = `${g.path}${query ? `?${query}` : ''}`;
    let target = origin;
    if (g.absolute !== 'no') {
      tags.add(`target:absolute-${g.absolute}`);
      const authority = g.absolute === 'same' ? PORTAL : g.absolute === 'upper' ? `${PORTAL.toUpperCase()}:80` : 'other.test';
      target = `http://${authority}${origin}`;
    }
    if (/^\/(rest|local\/rest|bitrix\/services)/i.test(g.path) || /rest/i.test(g.path)) tags.add(`path:${g.path}`);
    const framed = body !== undefined && g.chunked ? chunk(body) : body;
    return {
      req: { method, target, host: PORTAL, headers, ...(framed !== undefined ? { body: framed, contentLength: !g.chunked } : {}) },
      tags: [...tags],
      profile: g.profile,
    };
  });

/** Chunked framing in pieces of up to 16 KiB. */
function chunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += 16 * 1024) {
    const piece = body.subarray(i, i + 16 * 1024);
    out.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}
