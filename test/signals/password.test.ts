import {
  attemptedPasswordHash,
  bundledCommonPasswords,
  characterCounts,
  containsLogin,
  formHasEncryptedAuth,
  isRsaEncryptedValue,
  passwordSignals,
  UNKNOWN_PASSWORD,
} from '../../gateway/signals';

const lists = { common: bundledCommonPasswords() };

/** What the portal's rsasecurity.js sends: space-joined base64 chunks of a 1024-bit RSA result. */
function rsaLikeCiphertext(chunks: number): string {
  const chunk = (seed: number) => Buffer.from(Array.from({ length: 127 }, (_, i) => (i * 31 + seed * 7) & 255)).toString('base64');
  return Array.from({ length: chunks }, (_, i) => chunk(i)).join(' ');
}

describe('password.length and password.classes', () => {
  it.each([
    ['abc', 3, 1],
    ['abcDEF', 6, 2],
    ['abcDEF123', 9, 3],
    ['abcDEF123!', 10, 4],
    ['1234567890', 10, 1],
    ['пароль', 6, 1],
    ['ПарольЁ9', 8, 3],
    ['😀😀', 2, 1], // a surrogate pair is one character
  ])('%s: length %i, classes %i', (pw, length, classes) => {
    expect(characterCounts(pw)).toEqual({ length, classes });
    const s = passwordSignals(pw, undefined, lists);
    expect(s.length).toBe(length);
    expect(s.classes).toBe(classes);
  });
});

describe('password.strength', () => {
  it('scores trivial passwords 0 and a long random one 4', () => {
    expect(passwordSignals('123456', undefined, lists).strength).toBe(0);
    expect(passwordSignals('aaaaaaaa', undefined, lists).strength).toBe(0);
    expect(passwordSignals('qX7#pL9!vR2$mK4&nB8z', undefined, lists).strength).toBe(4);
    expect(passwordSignals('correct horse battery staple', undefined, lists).strength).toBe(4);
  });

  it('scores a password built from the login lower than the same shape without it', () => {
    const withLogin = passwordSignals('kowalski2019', 'kowalski', lists).strength;
    const without = passwordSignals('kowalski2019', 'someone', lists).strength;
    expect(withLogin).toBeLessThan(without);
  });

  it('can be skipped when no policy reads it', () => {
    expect(passwordSignals('qX7#pL9!vR2$mK4&nB8z', undefined, lists, { strength: false }).strength).toBe(0);
  });
});

describe('password.common', () => {
  it.each(['123456', 'password', 'qwerty123', 'PASSWORD', 'Password1', 'p@ssw0rd', 'iloveyou'])('%s is common', (pw) => {
    expect(passwordSignals(pw, undefined, lists).common).toBe(true);
  });

  it.each(['qX7#pL9!vR2$mK4&nB8z', 'Xv93-kQp2-Lm8z-Rt4w', 'correct horse battery staple zebra'])('%s is not', (pw) => {
    expect(passwordSignals(pw, undefined, lists).common).toBe(false);
  });

  it('a common password scores strength 0 whatever its shape', () => {
    const s = passwordSignals('Password1', undefined, lists);
    expect(s.common).toBe(true);
    expect(s.strength).toBe(0);
  });

  it('holds the 300,000 entries it claims in about 720 KB', () => {
    expect(lists.common.size).toBe(300_000);
    expect(lists.common.byteLength).toBeLessThan(750_000);
  });
});

describe('password.contains_login', () => {
  it('finds the login case-insensitively', () => {
    expect(passwordSignals('MyJohnSmith!', 'johnsmith', lists).contains_login).toBe(true);
    expect(passwordSignals('myjohnsmith!', 'JohnSmith', lists).contains_login).toBe(true);
    expect(passwordSignals('Wx9!random', 'johnsmith', lists).contains_login).toBe(false);
  });

  it("finds an e-mail login's local part", () => {
    expect(containsLogin('j.smith2024', 'J.Smith@corp.example')).toBe(true);
    expect(containsLogin('smith2024', 'j.smith@corp.example')).toBe(false);
  });

  it('ignores a login too short to mean anything, and an absent one', () => {
    expect(containsLogin('abcdef', 'ab')).toBe(false);
    expect(containsLogin('abcdef', undefined)).toBe(false);
    expect(containsLogin('abcdef', '')).toBe(false);
  });
});

describe('password.present', () => {
  it('is true for a readable password and false when none was sent', () => {
    expect(passwordSignals('hunter2', 'bob', lists).present).toBe(true);
    expect(passwordSignals(undefined, 'bob', lists)).toEqual(UNKNOWN_PASSWORD);
    expect(passwordSignals('', 'bob', lists)).toEqual(UNKNOWN_PASSWORD);
  });

  it('is false for an RSA-encrypted value (use_encrypted_auth), and nothing is computed from it', () => {
    for (const chunks of [1, 2, 3]) {
      const value = rsaLikeCiphertext(chunks);
      expect(isRsaEncryptedValue(value)).toBe(true);
      expect(passwordSignals(value, 'bob', lists)).toEqual(UNKNOWN_PASSWORD);
    }
  });

  it('is false when the form carries __RSA_DATA, whatever USER_PASSWORD holds', () => {
    const form = new Map([['USER_LOGIN', 'bob'], ['USER_PASSWORD', 'placeholder'], ['__RSA_DATA', rsaLikeCiphertext(1)]]);
    expect(formHasEncryptedAuth(form)).toBe(true);
    expect(formHasEncryptedAuth(new Map([['USER_PASSWORD', 'x']]))).toBe(false);
    expect(formHasEncryptedAuth(undefined)).toBe(false);
    expect(passwordSignals('placeholder', 'bob', lists, { encryptedAuth: formHasEncryptedAuth(form) })).toEqual(UNKNOWN_PASSWORD);
  });

  it('does not mistake a typed password for ciphertext', () => {
    for (const pw of ['hunter2', 'correct horse battery staple', 'aB3$'.repeat(30), 'A'.repeat(50)]) {
      expect(isRsaEncryptedValue(pw)).toBe(false);
    }
  });
});

describe('huge passwords', () => {
  it.each([
    ['64 KiB', 64 * 1024],
    ['1 MB', 1024 * 1024],
  ])('a %s password gives defined values (strength reads only the first 32 characters)', (_label, size) => {
    const pw = 'aB3$'.repeat(size / 4);
    const s = passwordSignals(pw, 'john', lists);
    expect(s).toEqual({ present: true, length: size, classes: 4, strength: expect.any(Number), common: false, contains_login: false });
    // The cost bound is structural, not timed: the strength of a huge password is the strength of its head.
    expect(s.strength).toBe(passwordSignals(pw.slice(0, 32), 'john', lists).strength);
  });

  it('a password of lone surrogates and control characters does not throw', () => {
    const pw = '\ud800\udfff\ud800x\u0000\u202e'.repeat(1000);
    expect(() => passwordSignals(pw, 'x\ud800', lists)).not.toThrow();
  });
});

describe('attemptedPasswordHash', () => {
  const attempt = { portal: 'acme.example', login: 'bob', client: 'dev-1', password: 'Winter2025!' };

  it('is the same for the same client retrying the same password (so it is counted once)', () => {
    expect(attemptedPasswordHash('s3cret-value', attempt)).toBe(attemptedPasswordHash('s3cret-value', { ...attempt, login: 'BOB' }));
  });

  it('differs by password, client, login, portal and secret', () => {
    const base = attemptedPasswordHash('s3cret-value', attempt);
    expect(attemptedPasswordHash('s3cret-value', { ...attempt, password: 'Winter2025?' })).not.toBe(base);
    expect(attemptedPasswordHash('s3cret-value', { ...attempt, client: 'dev-2' })).not.toBe(base);
    expect(attemptedPasswordHash('s3cret-value', { ...attempt, login: 'alice' })).not.toBe(base);
    expect(attemptedPasswordHash('s3cret-value', { ...attempt, portal: 'other.example' })).not.toBe(base);
    expect(attemptedPasswordHash('another-secret', attempt)).not.toBe(base);
  });

  it('never contains the password', () => {
    const h = attemptedPasswordHash('s3cret-value', { ...attempt, password: 'abcdefghijklmnopqrstuvwxyz' });
    expect(h).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(h.toLowerCase()).not.toContain('abc');
  });

  it('hashes a 1 MB password whole (no prefix collision)', () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(attemptedPasswordHash('s3cret-value', { ...attempt, password: big + 'a' })).not.toBe(
      attemptedPasswordHash('s3cret-value', { ...attempt, password: big + 'b' }),
    );
  });
});
