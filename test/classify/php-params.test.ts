/** PHP's variable parsing rules (php-src main/php_variables.c, PHP 8), one by one. */
import { ARRAY_MARKER, mergeRequest, normaliseKey, parseCookieVars, parseQuery, phpUrlDecode } from '../../gateway/pipeline/classify';

const keys = (qs: string) => [...parseQuery(qs).entries()];

describe('phpUrlDecode', () => {
  it.each([
    ['a+b', 'a b'],
    ['%41%42', 'AB'],
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
    ['%D0%B0', 'а'],
    ['%FF', '\xff'], // not UTF-8: kept byte for byte (latin1), never U+FFFD
    ['plain', 'plain'],
  ])('%s → %j', (input, out) => expect(phpUrlDecode(input)).toBe(out));

  it('rawurldecode keeps +', () => expect(phpUrlDecode('a+b%20c', false)).toBe('a+b c'));
});

describe('normaliseKey', () => {
  it.each([
    ['AUTH_FORM', 'AUTH_FORM', false],
    ['AUTH.FORM', 'AUTH_FORM', false],
    ['AUTH FORM', 'AUTH_FORM', false],
    ['   AUTH_FORM', 'AUTH_FORM', false],
    ['\tAUTH_FORM', '\tAUTH_FORM', false], // only spaces are dropped
    ['AUTH[FORM', 'AUTH_FORM', false], // '[' without ']' becomes '_'
    ['AUTH[FO.RM', 'AUTH_FO_RM', false],
    ['AUTH[FO[RM', 'AUTH_FO_RM', false],
    ['AUTH_FORM[]', 'AUTH_FORM', true],
    ['AUTH_FORM[x]', 'AUTH_FORM', true],
    ['AUTH_FORM[ ]', 'AUTH_FORM', true],
    ['AUTH_FORM[a][b', 'AUTH_FORM', true],
    ['AUTH_FORM[x]junk', 'AUTH_FORM', true],
    ['a.b[c.d]', 'a_b', true], // mangling stops at the first '['
    ['AUTH_FORM\0junk', 'AUTH_FORM', false], // C string: ends at NUL
    ['auth_form', 'auth_form', false], // case is kept
  ])('%j → %j (array %s)', (name, key, isArray) => {
    expect(normaliseKey(name)).toEqual({ key, isArray });
  });

  it.each(['', '   ', '[x]', ' [x]', '\0AUTH_FORM'])('drops %j', (name) => expect(normaliseKey(name)).toBeNull());

  it('drops a __Host-/__Secure- prefix made by mangling, keeps a real one', () => {
    expect(normaliseKey('..Host-x')).toBeNull();
    expect(normaliseKey(' _.Secure-x')).toBeNull();
    expect(normaliseKey('__Host-x')).toEqual({ key: '__Host-x', isArray: false });
  });
});

describe('parseQuery', () => {
  it('splits on & only, skips empty pairs, value-less keys are empty', () => {
    expect(keys('a=1&&b&c=3;d=4')).toEqual([['a', '1'], ['b', ''], ['c', '3;d=4']]);
  });

  it('can split on ; too (arg_separator.input "&;")', () => {
    expect(keys('a=1;b=2').length).toBe(1);
    expect([...parseQuery('a=1;b=2', '&;').entries()]).toEqual([['a', '1'], ['b', '2']]);
  });

  it('decodes names and values, + as space', () => {
    expect(keys('AUTH%5FFORM=Y&USER_LOGIN=a+b%2Bc')).toEqual([['AUTH_FORM', 'Y'], ['USER_LOGIN', 'a b+c']]);
  });

  it('last value wins; arrays become the marker', () => {
    const m = parseQuery('x=1&x=2&arr[]=a&arr[k]=b&s=1&s[]=2&t[]=1&t=2');
    expect(m.get('x')).toBe('2');
    expect(m.get('arr')).toBe(ARRAY_MARKER);
    expect(m.get('s')).toBe(ARRAY_MARKER); // a string replaced by an array
    expect(m.get('t')).toBe('2'); // an array replaced by a string
  });

  it('only the first = splits key and value', () => {
    expect(keys('a=b=c')).toEqual([['a', 'b=c']]);
  });

  it('ignores max_input_vars: reads every pair', () => {
    const qs = Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join('&') + '&AUTH_FORM=Y';
    expect(parseQuery(qs).get('AUTH_FORM')).toBe('Y');
  });

  it('never throws on garbage', () => {
    expect(() => parseQuery('%%%=%&\0=\0&[=]&]]=[[&=&==')).not.toThrow();
  });
});

describe('parseCookieVars', () => {
  it('names are not decoded, values are rawurldecoded, first wins, leading space dropped', () => {
    const m = parseCookieVars('a=1; a=2;  AUTH%5FFORM=Y; b=x+y%20z; AUTH.FORM=Z');
    expect(m.get('a')).toBe('1');
    expect(m.has('AUTH_FORM')).toBe(true);
    expect(m.get('AUTH_FORM')).toBe('Z');
    expect(m.get('AUTH%5FFORM')).toBe('Y');
    expect(m.get('b')).toBe('x+y z');
  });
});

describe('mergeRequest', () => {
  it('is $_REQUEST with request_order GP: post wins', () => {
    const merged = mergeRequest(new Map([['a', 'q'], ['b', 'q']]), new Map([['a', 'p']]));
    expect([...merged.entries()]).toEqual([['a', 'p'], ['b', 'q']]);
  });
});
