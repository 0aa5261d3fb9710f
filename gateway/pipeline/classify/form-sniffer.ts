/**
 * Does a form body too large to buffer put a non-empty `AUTH_FORM` into `$_POST`?
 *
 * The edge feeds it the body as it streams to the portal, without holding it. If the answer becomes
 * yes, the request is a login attempt (the prolog runs the login handler on `$_REQUEST["AUTH_FORM"]`),
 * and the gateway aborts the upstream request before it completes.
 *
 * The answer is sticky: once a non-empty `AUTH_FORM` went by, it stays true even if a later pair
 * empties it again (PHP's last-wins would then skip the login). A false "login" only counts an
 * attempt; a missed one is a bypass.
 *
 * urlencoded bodies run through a small byte state machine that applies PHP's decoding and key rules
 * exactly (see php-params.ts). multipart bodies run through PHP's own multipart reading
 * (php-multipart.ts) with bounded memory; where that reading depends on php.ini (a file named like a
 * login field, a field past max_input_vars' default, or parts read or scanned depending on upload
 * settings in a body that mentions `AUTH…FORM` anywhere) the answer is yes, conservatively.
 */
import { hexValue } from './bytes';
import { formKind } from './form-body';
import { PhpMultipartReader } from './php-multipart';

export interface SniffResult {
  /** A non-empty AUTH_FORM was seen in the body (sticky). */
  readonly authForm: boolean;
  /** Bytes fed. */
  readonly bytes: number;
  /** PHP's reading of the multipart body depends on php.ini (see php-multipart.ts). */
  readonly parseError: boolean;
}

const TARGET = 'AUTH_FORM';
/** Keys longer than this (after dropping leading spaces) cannot normalise to AUTH_FORM. */
const KEY_CAP = 32;

export class FormSniffer {
  private readonly urlencoded: UrlencodedAuthFormScanner | undefined;
  private readonly multipart: PhpMultipartReader | undefined;
  private readonly loose = new LooseAuthFormScan();
  private found = false;
  private fed = 0;

  constructor(contentType: string) {
    const kind = formKind(contentType);
    if (kind === 'urlencoded') {
      this.urlencoded = new UrlencodedAuthFormScanner(() => { this.found = true; });
    } else if (kind === 'multipart') {
      const reader = new PhpMultipartReader(contentType, 16); // only "non-empty?" is asked
      reader.onField = (key, nonEmpty) => {
        if (key === TARGET && nonEmpty) this.found = true;
      };
      this.multipart = reader;
    }
  }

  /** True as soon as the body is known to carry a non-empty AUTH_FORM (or a reading PHP might make so). */
  get detected(): boolean {
    const m = this.multipart;
    return this.found || (m !== undefined && (m.ambiguous !== undefined || (m.divergent !== undefined && this.loose.seen)));
  }

  write(chunk: Buffer): void {
    this.fed += chunk.length;
    if (this.urlencoded) {
      this.urlencoded.write(chunk);
    } else if (this.multipart) {
      this.loose.write(chunk);
      this.multipart.write(chunk);
    }
  }

  /** Finish the body. */
  async end(): Promise<SniffResult> {
    if (this.urlencoded) this.urlencoded.end();
    if (this.multipart) this.multipart.end();
    const m = this.multipart;
    return { authForm: this.detected, bytes: this.fed, parseError: m !== undefined && (m.ambiguous !== undefined || m.divergent !== undefined) };
  }
}

/**
 * PHP's urlencoded post handler as a state machine over bytes: split on `&`, key up to the first `=`,
 * `+` and `%XX` decoded, then the key rules of php_register_variable_ex. Holds at most KEY_CAP bytes.
 */
class UrlencodedAuthFormScanner {
  private inKey = true;
  private pct = 0; // 0: none; 1: saw '%'; 2: saw '%' and one hex digit
  private pctHi = 0;
  private pctRaw = 0;
  private key = new KeyNormaliser();
  private valueBytes = 0;

  constructor(private readonly onFound: () => void) {}

  write(chunk: Buffer): void {
    for (const b of chunk) {
      if (b === 0x26) { // '&' ends the pair, even in the middle of a %-escape
        this.flushPct();
        this.endPair();
        continue;
      }
      if (!this.inKey) {
        this.valueBytes++;
        if (this.valueBytes === 1 && this.key.isTarget()) this.onFound();
        continue;
      }
      if (b === 0x3d) { // '=' ends the key
        this.flushPct();
        this.inKey = false;
        if (this.key.isTarget() && this.key.isArray()) this.onFound();
        continue;
      }
      this.keyByte(b);
    }
  }

  end(): void {
    this.flushPct();
    this.endPair();
  }

  private keyByte(b: number): void {
    if (this.pct === 1) {
      const v = hexValue(b);
      if (v >= 0) { this.pct = 2; this.pctHi = v; this.pctRaw = b; return; }
      this.pct = 0;
      this.key.push(0x25);
      this.keyByte(b);
      return;
    }
    if (this.pct === 2) {
      const v = hexValue(b);
      this.pct = 0;
      if (v >= 0) { this.key.push(this.pctHi * 16 + v); return; }
      this.key.push(0x25);
      this.key.push(this.pctRaw);
      this.keyByte(b);
      return;
    }
    if (b === 0x25) { this.pct = 1; return; }
    this.key.push(b === 0x2b ? 0x20 : b);
  }

  private flushPct(): void {
    if (!this.inKey || this.pct === 0) { this.pct = 0; return; }
    this.key.push(0x25);
    if (this.pct === 2) this.key.push(this.pctRaw);
    this.pct = 0;
  }

  private endPair(): void {
    // "AUTH_FORM[]" with no '=' is still an array holding '' (non-empty to PHP).
    if (this.inKey && this.key.isTarget() && this.key.isArray()) this.onFound();
    this.inKey = true;
    this.pct = 0;
    this.key = new KeyNormaliser();
    this.valueBytes = 0;
  }
}

/** php_register_variable_ex's key rules, fed one decoded byte at a time, bounded memory. */
class KeyNormaliser {
  private started = false;
  private truncated = false; // a NUL ended the C string
  private baseOverflow = false;
  private restOverflow = false;
  private inBracket = false;
  private closeSeen = false;
  private base = '';
  private rest = '';

  push(b: number): void {
    if (this.truncated) return;
    if (b === 0) { this.truncated = true; return; }
    if (!this.started) {
      if (b === 0x20) return;
      this.started = true;
    }
    if (!this.inBracket) {
      if (b === 0x5b) { this.inBracket = true; return; }
      if (this.base.length >= KEY_CAP) this.baseOverflow = true;
      else this.base += String.fromCharCode(b === 0x20 || b === 0x2e ? 0x5f : b);
      return;
    }
    if (b === 0x5d) this.closeSeen = true;
    if (this.rest.length >= KEY_CAP) this.restOverflow = true;
    else this.rest += String.fromCharCode(b === 0x20 || b === 0x2e || b === 0x5b ? 0x5f : b);
  }

  isArray(): boolean {
    return this.inBracket && this.closeSeen;
  }

  isTarget(): boolean {
    if (this.baseOverflow || this.base === '') return false;
    if (!this.inBracket || this.closeSeen) return this.base === TARGET;
    return !this.restOverflow && `${this.base}_${this.rest}` === TARGET;
  }
}

/** Rolling, case-insensitive scan for `auth` then `form` within a few bytes, across chunk edges. */
class LooseAuthFormScan {
  seen = false;
  private tail = '';

  write(chunk: Buffer): void {
    if (this.seen) return;
    const text = this.tail + chunk.toString('latin1');
    if (/auth[^a-z0-9]{0,12}form/i.test(text) || /auth%5[bBfF]form/i.test(text)) this.seen = true;
    this.tail = text.slice(-24);
  }
}
