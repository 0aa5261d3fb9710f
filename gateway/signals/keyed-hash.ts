/**
 * The one keyed hash of the gateway: every identifier or secret that must be compared or used as a key
 * without being kept (a device fingerprint, an attempted password, an OAuth token, a cookie signature)
 * goes through here, so that DESIGN §5 ("identifiers used in keys are keyed hashes; passwords, webhook
 * codes and tokens are never stored") holds in one place.
 *
 * Construction: HMAC-SHA256 keyed by a per-purpose subkey, HMAC(secret, "portcullis/v1/" + purpose).
 * Domain separation is in the key, not only in the message, so the same input hashed for two purposes
 * gives unrelated values (a device hash can never equal a password hash), and a leak of one purpose's
 * hashes tells nothing about another's. Parts are length-prefixed, so ("ab","c") and ("a","bc") differ.
 * The output is the first 128 bits, base64url (22 characters): collision-safe for counting and
 * comparison, short enough for store keys.
 */
import { createHmac } from 'node:crypto';

export type Secret = string | Buffer;

/** Every purpose a keyed hash is computed for. Adding one is adding a word here, never reusing one. */
export type HashPurpose =
  | 'device_fingerprint'
  | 'device_cookie_signature'
  | 'password_attempt'
  | 'rest_app'
  | 'identifier';

/** Bytes kept from the HMAC: 128 bits. */
export const KEYED_HASH_BYTES = 16;

const SUBKEY_CACHE_LIMIT = 64;
// Subkeys are derived once per (secret, purpose): a gateway has one secret (two while rotating).
const subkeys = new Map<string, Buffer>();

function subkey(secret: Secret, purpose: HashPurpose): Buffer {
  if (secret.length === 0) throw new TypeError('keyed hash: the deployment secret is empty');
  const cacheKey = `${purpose}\0${typeof secret === 'string' ? `s${secret}` : `b${secret.toString('base64')}`}`;
  let key = subkeys.get(cacheKey);
  if (key === undefined) {
    key = createHmac('sha256', secret).update(`portcullis/v1/${purpose}`).digest();
    if (subkeys.size >= SUBKEY_CACHE_LIMIT) subkeys.clear();
    subkeys.set(cacheKey, key);
  }
  return key;
}

/** The full 32-byte keyed MAC of `parts` for `purpose` (cookie signatures compare these bytes). */
export function keyedMac(secret: Secret, purpose: HashPurpose, parts: readonly string[]): Buffer {
  const mac = createHmac('sha256', subkey(secret, purpose));
  const len = Buffer.allocUnsafe(4);
  for (const part of parts) {
    // Length in UTF-8 bytes, then the bytes: unambiguous for any content, including separators.
    len.writeUInt32BE(Buffer.byteLength(part, 'utf8'));
    mac.update(len);
    mac.update(part, 'utf8');
  }
  return mac.digest();
}

/** A keyed hash of `parts` for `purpose`: 128 bits, base64url, 22 characters. */
export function keyedHash(secret: Secret, purpose: HashPurpose, ...parts: readonly string[]): string {
  return keyedMac(secret, purpose, parts).subarray(0, KEYED_HASH_BYTES).toString('base64url');
}

/**
 * keyedHash for identifiers that recur on every request of an integration (webhook codes, OAuth tokens,
 * logins), remembered in a bounded map: an HMAC per request was a visible cost on the REST path. The
 * map holds the inputs in process memory (as the request itself did), never anywhere else. Never use
 * it for passwords: an attempted password must not outlive its request.
 */
const identifierMemo = new Map<string, string>();
const IDENTIFIER_MEMO_LIMIT = 10_000;
const IDENTIFIER_MEMO_KEY_CHARS = 1024;

export function keyedHashCached(secret: string, purpose: Exclude<HashPurpose, 'password_attempt'>, ...parts: readonly string[]): string {
  const key = `${purpose}\0${secret.length}\0${parts.join('\0')}\0${secret}`;
  let hash = identifierMemo.get(key);
  if (hash === undefined) {
    hash = keyedHash(secret, purpose, ...parts);
    // A key longer than any real identifier is not remembered (10 000 of them would be the heap).
    if (key.length > IDENTIFIER_MEMO_KEY_CHARS) return hash;
    // Oldest first out: Map iterates in insertion order.
    if (identifierMemo.size >= IDENTIFIER_MEMO_LIMIT) identifierMemo.delete(identifierMemo.keys().next().value!);
    identifierMemo.set(key, hash);
  }
  return hash;
}
