/**
 * Byte-level helpers shared by the path and parameter decoders.
 *
 * Node hands us request targets and header values as strings whose characters are the raw bytes
 * (latin1). PHP works on bytes too, so every decoder here works on bytes and turns them into text
 * only at the end, the same way each time (never throwing).
 */
import { isUtf8 } from 'node:buffer';

const NON_LATIN1 = /[^\x00-\xff]/;

/**
 * The bytes a string stands for. A string of byte-characters (all ≤ 0xFF, as Node gives us) maps
 * one char to one byte; a string that already holds wider characters (tests, fuzzers, callers that
 * decoded for us) is taken as text and encoded as UTF-8.
 */
export function stringToBytes(s: string): Buffer {
  return NON_LATIN1.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1');
}

/**
 * Bytes to text: UTF-8 when the bytes are valid UTF-8, else one char per byte (latin1). The fallback
 * is lossless, so two different non-UTF-8 logins (a cp1251 portal) never collapse into the same
 * string of replacement characters.
 */
export function bytesToText(b: Uint8Array): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return isUtf8(buf) ? buf.toString('utf8') : buf.toString('latin1');
}

/** Value of one hex digit, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** PHP's trim() character set: " \t\n\r\0\x0B". */
export function phpTrim(s: string): string {
  return s.replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');
}
