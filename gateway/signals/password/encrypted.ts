/**
 * Passwords the gateway cannot read: the portal's `use_encrypted_auth` option (CRsaSecurity).
 *
 * The portal's script encrypts the protected fields into one form field, `__RSA_DATA`: the string
 * `__RSA_RAND=…&USER_PASSWORD=…&__SHA=…`, zero-padded to the key's chunk size, each chunk raised to the
 * RSA exponent with no padding scheme, each result base64-encoded, the chunks joined by spaces. The
 * portal then overwrites `USER_PASSWORD` from the decrypted data, so whatever arrives in
 * `USER_PASSWORD` beside `__RSA_DATA` (usually nothing, as the script disables the input) is not the
 * password. The wire notes also describe the ciphertext arriving in `USER_PASSWORD` itself; a value
 * shaped like those chunks is recognised too. Either way the password signals are unknown, while the
 * attempt is still counted and can be blocked.
 */
import type { FormFields } from '../../pipeline/request';

export const RSA_DATA_FIELD = '__RSA_DATA';

// One chunk is the base64 of a 512- to 4096-bit number written in its minimal length (so it may be a
// little shorter than the key): 60 to 512 bytes, 80 to 684 base64 characters.
const RSA_CHUNKS = /^[A-Za-z0-9+/]{78,684}={0,2}(?: [A-Za-z0-9+/]{2,684}={0,2})*$/;
const MAX_CIPHERTEXT_CHARS = 16 * 1024;

/** The value looks like the portal's RSA ciphertext, not like something a person typed. */
export function isRsaEncryptedValue(value: string): boolean {
  return value.length >= 78 && value.length <= MAX_CIPHERTEXT_CHARS && RSA_CHUNKS.test(value);
}

/** The form carries the portal's encrypted fields: its `USER_PASSWORD`, if any, is not the password. */
export function formHasEncryptedAuth(form: FormFields | undefined): boolean {
  const data = form?.get(RSA_DATA_FIELD);
  return data !== undefined && data !== '';
}
