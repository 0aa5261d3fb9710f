/**
 * Login fields a portal reads one way or another depending on its php.ini. Both classes were found by
 * the differential test against real PHP (test/security/php-differential.test.ts):
 * - a cookie named like a login field: with request_order "GP" $_REQUEST has no cookies, with no
 *   php.ini at all (variables_order "EGPCS") a cookie overrides the body;
 * - a login field past max_input_vars: PHP stops reading there and keeps an earlier value (or none).
 * - a query with `;`: a portal with arg_separator.input "&;" splits there, one with "&" does not (found
 *   by the secrets test: `USER_LOGIN=x;auth=<token>` made the token part of a logged login).
 * - a multipart part whose unquoted name PHP reads (`name=AUTH[FORM`, AUTH_FORM to PHP; found by the
 *   differential test): the multipart reader (php-multipart.ts) now reads it as PHP does.
 * The classifier refuses them (`refused`), and the classify stage answers 400; a form body whose
 * reading depends on max_input_vars is `unreadable` (form-body.ts), which the edge answers 400.
 */
import fc from 'fast-check';
import { AMBIGUOUS, classify, parseFormBody, readFormBody } from '../../gateway/pipeline/classify';
import { classifyStage } from '../../gateway/pipeline/classify-stage';
import type { RequestContext } from '../../gateway/pipeline/context';
import type { FormFields } from '../../gateway/pipeline/request';
import { head, multipart, URLENCODED } from './helpers';

const LOGIN = 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=pw';

async function classifyPost(target: string, body: string, headers: Record<string, string> = {}) {
  const form: FormFields = await parseFormBody(URLENCODED, Buffer.from(body, 'latin1'));
  const h = head('POST', target, { 'content-type': URLENCODED, ...headers });
  const stage = await classifyStage().run({ head: h, form } as unknown as RequestContext);
  return { ...classify(h, form), answer: stage };
}

describe('a cookie that contradicts the form', () => {
  it.each([
    ['another login', 'USER_LOGIN=alice'],
    ['another TYPE', 'TYPE=SEND_PWD'],
    ['an empty login', 'USER_LOGIN='],
    ['a key PHP mangles into USER_LOGIN', 'USER.LOGIN=alice'],
  ])('%s: refused', async (_name, cookie) => {
    const r = await classifyPost('/auth/', LOGIN, { cookie });
    expect(r.classified.reason.endsWith(AMBIGUOUS)).toBe(true);
    expect(r.answer).toMatchObject({ status: 400, reason: 'refused:ambiguous_login' });
  });

  it.each([
    ['the same login', 'USER_LOGIN=bob'],
    ['unrelated cookies', 'PHPSESSID=s1; BITRIX_SM_LOGIN=alice; USER_LANG=ru'],
  ])('%s: the form login, not refused', async (_name, cookie) => {
    const r = await classifyPost('/auth/', LOGIN, { cookie });
    expect(r.classified).toMatchObject({ kind: 'login', principal: { login: 'bob' }, reason: 'auth_form:post' });
    expect(r.answer).toBeUndefined();
  });

  it('a cookie alone (no form) is read as before', async () => {
    const h = head('GET', '/crm/', { cookie: 'AUTH_FORM=Y; TYPE=AUTH; USER_LOGIN=ck' });
    expect(classify(h, undefined).classified).toMatchObject({ kind: 'login', principal: { login: 'ck' }, reason: 'auth_form:cookie' });
  });

  it('any cookie login other than the form one is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/), async (login) => {
        fc.pre(login !== 'bob');
        const r = await classifyPost('/auth/', LOGIN, { cookie: `x=1; USER_LOGIN=${login}` });
        expect(r.answer?.status).toBe(400);
      }),
      { numRuns: 50 },
    );
  });
});

describe('a login field past max_input_vars', () => {
  const filler = (n: number): string => Array.from({ length: n }, (_, i) => `v${i}=`).join('&');

  it.each([
    ['in the body', `${LOGIN}&${filler(1000)}&USER_LOGIN=alice`, 'input_vars:USER_LOGIN'],
    ['TYPE in the body', `AUTH_FORM=Y&USER_LOGIN=bob&${filler(1000)}&TYPE=AUTH`, 'input_vars:TYPE'],
  ])('%s: unreadable (the edge refuses it)', (_name, body, why) => {
    expect(readFormBody(URLENCODED, Buffer.from(body, 'latin1')).unreadable).toBe(why);
  });

  it('in a multipart body: unreadable', () => {
    const parts = [{ name: 'AUTH_FORM', value: 'Y' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'bob' }];
    const mp = multipart([...parts, ...Array.from({ length: 1000 }, (_, i) => ({ name: `v${i}`, value: '' })), { name: 'USER_LOGIN', value: 'alice' }]);
    expect(readFormBody(mp.contentType, mp.body).unreadable).toMatch(/^multipart:input_vars/);
  });

  it('in the query: refused', async () => {
    const r = await classifyPost(`/auth/?AUTH_FORM=Y&${filler(1000)}&USER_LOGIN=alice`, LOGIN);
    expect(r.answer).toMatchObject({ status: 400, reason: 'refused:input_vars:USER_LOGIN' });
  });

  it('many variables but the login fields first: the login, not refused', async () => {
    const body = `${LOGIN}&${filler(5000)}`;
    expect(readFormBody(URLENCODED, Buffer.from(body, 'latin1')).unreadable).toBeUndefined();
    const r = await classifyPost('/auth/', body);
    expect(r.classified).toMatchObject({ kind: 'login', principal: { login: 'bob' } });
    expect(r.answer).toBeUndefined();
  });
});

describe('a query a portal splits on ";" and another does not', () => {
  it('a password after a ";" is refused, and never becomes part of the login', () => {
    const h = head('GET', '/auth/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob;USER_PASSWORD=Secret-pw-1');
    const { classified } = classify(h, undefined);
    expect(classified.reason.endsWith(AMBIGUOUS)).toBe(true);
    expect(classified.principal.login).toBe('bob');
    expect(JSON.stringify(classified)).not.toContain('Secret-pw-1');
  });

  it.each([
    ['AUTH_FORM only after a ";"', '/crm/?x=1;AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob'],
    ['another login after a ";"', '/auth/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&x=1;USER_LOGIN=alice'],
  ])('%s: refused', async (_name, target) => {
    const answer = await classifyStage().run({ head: head('GET', target), form: undefined } as unknown as RequestContext);
    expect(answer).toMatchObject({ status: 400, reason: 'refused:ambiguous_login' });
  });

  it('a ";" that changes nothing the login handler reads: the login', () => {
    const { classified } = classify(head('GET', '/auth/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&backurl=/a;b'), undefined);
    expect(classified).toMatchObject({ kind: 'login', principal: { login: 'bob' }, reason: 'auth_form:query' });
  });
});

describe('a multipart part name PHP reads unquoted', () => {
  const B = 'XyZ123';
  const body = (disposition: string): Buffer =>
    Buffer.from(`--${B}\r\nContent-Disposition: form-data; name=TYPE\r\n\r\nAUTH\r\n--${B}\r\nContent-Disposition: form-data; ${disposition}\r\n\r\nY\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--${B}--\r\n`);
  const run = async (disposition: string) => {
    const contentType = `multipart/form-data; boundary=${B}`;
    const form = await parseFormBody(contentType, body(disposition));
    const h = head('POST', '/crm/', { 'content-type': contentType });
    return classifyStage().run({ head: h, form } as unknown as RequestContext);
  };

  it.each(['name=AUTH[FORM', 'name=AUTH_FORM', 'name="AUTH[FORM"'])('%s: AUTH_FORM, read as PHP reads it', async (d) => {
    expect(await run(d)).toBeUndefined();
    const form = await parseFormBody('multipart/form-data; boundary=XyZ123', body(d));
    expect(classify(head('POST', '/crm/', { 'content-type': 'multipart/form-data; boundary=XyZ123' }), form).classified).toMatchObject({ kind: 'login', principal: { login: 'bob' } });
  });

  it('name=note[x]: no login field, not refused', async () => {
    expect(await run('name=note[x]')).toBeUndefined();
  });

  it('a browser form (quoted names) is a login', async () => {
    const mp = multipart([{ name: 'AUTH_FORM', value: 'Y' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'bob' }]);
    const form = await parseFormBody(mp.contentType, mp.body);
    expect(classify(head('POST', '/auth/', { 'content-type': mp.contentType }), form).classified).toMatchObject({ kind: 'login', principal: { login: 'bob' } });
  });
});
