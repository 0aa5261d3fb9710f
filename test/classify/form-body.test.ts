/** Buffered form bodies: which Content-Types PHP parses, and the $_POST they give. */
import { formKind, isFormContentType, parseFormBody, readFormBody } from '../../gateway/pipeline/classify';
import { multipart, URLENCODED } from './helpers';

describe('form content types (SAPI: lower-cased, cut at ; , or space)', () => {
  it.each<[string | undefined, string | undefined]>([
    ['application/x-www-form-urlencoded', 'urlencoded'],
    ['application/x-www-form-urlencoded; charset=UTF-8', 'urlencoded'],
    ['APPLICATION/X-WWW-FORM-URLENCODED', 'urlencoded'],
    ['application/x-www-form-urlencoded,text/plain', 'urlencoded'],
    ['multipart/form-data; boundary=x', 'multipart'],
    ['Multipart/Form-Data;boundary=x', 'multipart'],
    ['application/json', undefined],
    ['text/plain', undefined],
    ['multipart/mixed; boundary=x', undefined],
    ['application/x-www-form-urlencodedx', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (ct, kind) => {
    expect(formKind(ct)).toBe(kind);
    expect(isFormContentType(ct)).toBe(kind !== undefined);
  });
});

describe('parseFormBody', () => {
  it('urlencoded: PHP keys, + and %XX, last wins', async () => {
    const f = await parseFormBody(URLENCODED, Buffer.from('AUTH.FORM=Y&TYPE=AUTH&USER_LOGIN=a+b&USER_LOGIN=c%40d&x[]=1'));
    expect(Object.fromEntries(f)).toEqual({ AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'c@d', x: '[array]' });
  });

  it('urlencoded: UTF-8 values', async () => {
    const f = await parseFormBody(URLENCODED, Buffer.from('USER_LOGIN=%D0%B0%D0%B4%D0%BC%D0%B8%D0%BD'));
    expect(f.get('USER_LOGIN')).toBe('админ');
  });

  it('multipart: fields with PHP-normalised names', async () => {
    const { contentType, body } = multipart([
      { name: 'AUTH FORM', value: 'Y' },
      { name: 'TYPE', value: 'AUTH' },
      { name: 'USER_LOGIN', value: 'пользователь' },
      { name: 'USER_PASSWORD', value: 'p@ss word' },
      { name: 'arr[a]', value: '1' },
    ]);
    const f = await parseFormBody(contentType, body);
    expect(Object.fromEntries(f)).toEqual({
      AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: 'пользователь', USER_PASSWORD: 'p@ss word', arr: '[array]',
    });
  });

  it('multipart: a file part is $_FILES, not $_POST; named like a login field, the body is unreadable', async () => {
    const { contentType, body } = multipart([
      { name: 'USER_LOGIN', value: 'real' },
      { name: 'upload', value: 'binary', filename: 'z.bin' },
    ]);
    expect(Object.fromEntries(await parseFormBody(contentType, body))).toEqual({ USER_LOGIN: 'real' });
    const named = multipart([{ name: 'AUTH_FORM', value: 'Y', filename: 'x.txt' }, { name: 'USER_LOGIN', value: 'real' }]);
    expect(readFormBody(named.contentType, named.body).unreadable).toBe('multipart:file_part_named_AUTH_FORM');
  });

  it('multipart: no boundary PHP can find gives an empty $_POST, never a placeholder', async () => {
    const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="AUTH_FORM"\r\n\r\nY\r\n--b');
    expect((await parseFormBody('multipart/form-data', body)).size).toBe(0);
    const truncated = await parseFormBody('multipart/form-data; boundary=b', body);
    expect(truncated.get('AUTH_FORM')).toBe('Y');
  });

  it('urlencoded: a login field past the first 1000 pairs is unreadable (max_input_vars)', () => {
    const pad = Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&');
    expect(readFormBody(URLENCODED, Buffer.from(`${pad}&USER_LOGIN=carol`)).unreadable).toBe('input_vars:USER_LOGIN');
    expect(readFormBody(URLENCODED, Buffer.from(`${pad}&harmless=1`)).unreadable).toBeUndefined();
  });

  it('other content types give an empty map', async () => {
    expect((await parseFormBody('application/json', Buffer.from('{"AUTH_FORM":"Y"}'))).size).toBe(0);
  });
});
