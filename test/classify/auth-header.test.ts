/**
 * The Digest username is read as the portal reads it (CHTTP::ParseDigest): found by the php-cgi
 * differential test (issue 15 §2), where `xusername="eve"` after `username="bob"` logged in as eve at
 * the portal while the gateway counted bob.
 */
import fc from 'fast-check';
import { readAuthorization } from '../../gateway/pipeline/classify/auth-header';

const digest = (params: string): string | undefined => {
  const a = readAuthorization(`Digest ${params}`);
  return a?.scheme === 'digest' ? a.username : undefined;
};
const REST = 'nonce="n", uri="/", response="r"';

describe('Digest username, as the portal parses it', () => {
  test.each([
    ['plain', `username="bob", ${REST}`, 'bob'],
    ['bare', `username=bob, ${REST}`, 'bob'],
    ['single quotes', `username='bob', ${REST}`, 'bob'],
    ['a later xusername wins (unanchored match)', `username="bob", xusername="eve", ${REST}`, 'eve'],
    ['a later username wins', `username="bob", ${REST}, username="eve"`, 'eve'],
    ['an earlier xusername loses to a later username', `fakeusername="eve", username="bob", ${REST}`, 'bob'],
    ['a backslash is not an escape', `username="b\\"ob", ${REST}`, 'b\\'],
    ['spaces around = (the portal finds none; kept as a login anyway)', `username = "bob", ${REST}`, 'bob'],
  ])('%s', (_name, params, login) => {
    expect(digest(params)).toBe(login);
  });

  test('whatever names come first, the last username-like part is the login', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.@-]{0,15}$/);
    fc.assert(
      fc.property(name, name, fc.constantFrom('x', 'my', 'proxy_'), fc.constantFrom('"', "'"), (first, last, prefix, q) => {
        expect(digest(`username=${q}${first}${q}, ${REST}, ${prefix}username=${q}${last}${q}`)).toBe(last);
      }),
    );
  });
});
