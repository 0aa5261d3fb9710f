/**
 * The path the portal would route on.
 *
 * Layers that read the path behind us, and what each does to it:
 * - nginx decodes `%XX` once (including `%2F`), resolves `/./` and `/../` and merges `//` before it
 *   matches locations;
 * - Bitrix's `urlrewrite.php` (the 404 handler that maps `#^/rest/#` to the REST service) matches on
 *   `urldecode(REQUEST_URI)`: the raw URI decoded once more;
 * - a two-tier install (nginx in front of Apache, as BitrixVM ships it) can decode twice, Apache on
 *   Windows or a case-insensitive file system ignores case, trailing dots and spaces, and treats `\`
 *   as `/`; some stacks cut `;params`.
 *
 * A path that ANY of those layers would route to REST or to the login handler must be classified as
 * such, so this function takes the union: it decodes until nothing changes (bounded), folds overlong
 * UTF-8 encodings of ASCII, turns `\` into `/`, drops NUL bytes, cuts `;params` per segment, strips
 * trailing dots and spaces per segment, folds empty segments and resolves dot segments (never above
 * the root). Case is kept (webhook codes are case-sensitive); callers compare prefixes
 * case-insensitively. It never throws, and the same input always gives the same output.
 */
import { bytesToText, hexValue, stringToBytes } from './bytes';

/** Anything that might need work. Clean paths (the vast majority) skip everything below. */
const NEEDS_WORK = /[%\\;\0\x80-\uffff]|\/\/|\/\.|\.\/|\.$| \/| $/;

/** Decoding rounds before we stop: `%25252F` needs three. More is an attack, and still bounded. */
const MAX_DECODE_ROUNDS = 4;

export function canonicalPath(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  if (!NEEDS_WORK.test(rawPath)) return rawPath.charCodeAt(0) === 0x2f ? rawPath : `/${rawPath}`;
  return normaliseSegments(bytesToText(decodeBytes(stringToBytes(rawPath))));
}

/** Percent-decode and fold overlong UTF-8 until stable; drop NUL; `\` → `/`. */
function decodeBytes(input: Buffer): Buffer {
  let bytes = input;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = foldOverlongAscii(percentDecode(bytes));
    if (next.equals(bytes)) break;
    bytes = next;
  }
  const out = Buffer.allocUnsafe(bytes.length);
  let j = 0;
  for (const b of bytes) {
    if (b === 0) continue;
    out[j++] = b === 0x5c ? 0x2f : b;
  }
  return out.subarray(0, j);
}

function percentDecode(src: Buffer): Buffer {
  if (src.indexOf(0x25) < 0) return src;
  const out = Buffer.allocUnsafe(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]!);
      const lo = hexValue(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[j++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[j++] = c;
  }
  return out.subarray(0, j);
}

/**
 * Overlong UTF-8 forms of ASCII (`%C0%AF` for `/`, `%E0%80%AE` for `.`) become the ASCII byte.
 * Modern servers reject them; old IIS-era decoders did not. Folding them is the conservative choice.
 */
function foldOverlongAscii(src: Buffer): Buffer {
  let hasLead = false;
  for (const b of src) {
    if (b === 0xc0 || b === 0xc1 || b === 0xe0 || b === 0xf0) { hasLead = true; break; }
  }
  if (!hasLead) return src;
  const out = Buffer.allocUnsafe(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    const len = b === 0xc0 || b === 0xc1 ? 2 : b === 0xe0 ? 3 : b === 0xf0 ? 4 : 0;
    if (len > 0 && i + len <= src.length) {
      let value = len === 2 ? b & 0x1f : len === 3 ? b & 0x0f : b & 0x07;
      let ok = true;
      for (let k = 1; k < len; k++) {
        const cont = src[i + k]!;
        if ((cont & 0xc0) !== 0x80) { ok = false; break; }
        value = (value << 6) | (cont & 0x3f);
      }
      if (ok && value < 0x80) {
        out[j++] = value;
        i += len - 1;
        continue;
      }
    }
    out[j++] = b;
  }
  return out.subarray(0, j);
}

function normaliseSegments(decoded: string): string {
  const parts = decoded.split('/');
  const trailingSlash = decoded.endsWith('/') || /(^|\/)\.{1,2}$/.test(decoded);
  const stack: string[] = [];
  for (const part of parts) {
    let seg = part;
    const semi = seg.indexOf(';');
    if (semi >= 0) seg = seg.slice(0, semi);
    if (seg === '.' || seg === '') continue;
    if (seg === '..') { stack.pop(); continue; }
    // Windows drops trailing dots and spaces from names: "rest." and "rest " open "rest".
    seg = seg.replace(/[. ]+$/, '');
    if (seg === '') continue;
    stack.push(seg);
  }
  if (stack.length === 0) return '/';
  return `/${stack.join('/')}${trailingSlash ? '/' : ''}`;
}
