import { keyedHash } from '../../gateway/signals';

describe('keyedHash', () => {
  it('is 128 bits of base64url, and deterministic', () => {
    const h = keyedHash('secret-1', 'device_fingerprint', 'a', 'b');
    expect(h).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(keyedHash('secret-1', 'device_fingerprint', 'a', 'b')).toBe(h);
  });

  it('differs by purpose: a device hash never equals a password hash of the same input', () => {
    expect(keyedHash('secret-1', 'device_fingerprint', 'same')).not.toBe(keyedHash('secret-1', 'password_attempt', 'same'));
    expect(keyedHash('secret-1', 'rest_app', 'same')).not.toBe(keyedHash('secret-1', 'identifier', 'same'));
  });

  it('differs by secret (string or bytes)', () => {
    expect(keyedHash('secret-1', 'identifier', 'x')).not.toBe(keyedHash('secret-2', 'identifier', 'x'));
    expect(keyedHash(Buffer.from('secret-1'), 'identifier', 'x')).toBe(keyedHash('secret-1', 'identifier', 'x'));
  });

  it('keeps part boundaries: ("ab","c") differs from ("a","bc")', () => {
    expect(keyedHash('k', 'identifier', 'ab', 'c')).not.toBe(keyedHash('k', 'identifier', 'a', 'bc'));
  });

  it('never contains its input', () => {
    const input = 'correcthorsebatterystaple';
    const h = keyedHash('k', 'password_attempt', input);
    for (let i = 0; i + 4 <= input.length; i++) expect(h).not.toContain(input.slice(i, i + 4));
  });

  it('refuses an empty secret (a configuration error, found at the first use)', () => {
    expect(() => keyedHash('', 'identifier', 'x')).toThrow(TypeError);
  });
});
