/**
 * `multipart/form-data` read the way PHP reads it into `$_POST` (php-src `main/rfc1867.c`,
 * `rfc1867_post_handler` and its multipart buffer), so that the classifier sees exactly the fields the
 * portal's prolog sees. A general-purpose parser (busboy) refuses bodies PHP reads, and reads bodies PHP
 * does not; either way the gateway and the portal would disagree on the login.
 *
 * What PHP does, and what this reader does the same way:
 * - the boundary: the first `boundary` in the whole Content-Type (case-sensitive first, then any case;
 *   `xboundary=` counts), then the first `=` after it; a value starting with `"` runs to the next `"`
 *   (no `"` after it: no boundary, an empty `$_POST`), otherwise to the first `,` or `;`, spaces, `/`,
 *   `=` and `:` included;
 * - lines end at LF (one CR before it dropped), are C strings (cut at a NUL) and are cut every
 *   `max(boundary + 6, 5120)` bytes (PHP's buffer size);
 * - a part starts after a line that is exactly `--boundary` (preamble, epilogue and everything else are
 *   scanned line by line: a part after the closing delimiter still counts); its header lines run to the
 *   first empty line; a line starting with white space, or without `:`, continues the previous header;
 *   the first header whose name is `Content-Disposition` (any case, no trimming) is the one read;
 * - Content-Disposition is split on `;` (quotes respected), each `key=value` with `key` compared
 *   case-insensitively with `name` and `filename` (last wins); the value is quoted (`"` or `'`, backslash
 *   escapes) or runs to white space; `form-data` itself is never checked;
 * - no Content-Disposition: the part is skipped; neither name nor filename: PHP stops reading the body;
 * - a field (name, no filename) is the bytes up to the first `\n--boundary` (or its prefix at the very
 *   end), one CR before it dropped; a file part goes to `$_FILES`, not `$_POST`. A file whose upload PHP
 *   cancels (empty filename) or skips (unbalanced `[` `]` in its name) is not read but scanned line by
 *   line, as PHP does.
 *
 * Where PHP's answer depends on the portal's php.ini and the body could tell two stories, the reader
 * reports the body as ambiguous instead of choosing (the edge refuses it): a Content-Type whose boundary
 * PHP reads otherwise than a parameter-wise reader does (two `boundary` parameters, `xboundary=`,
 * spaces around `=`, a `,` in the value), a field the classifier reads
 * past the first 1000 parts (max_input_vars, max_multipart_body_parts), a file part named like such a
 * field (it would hide later fields of that name), a file beyond the 20th (max_file_uploads) or any file
 * whose content starts with the boundary line (read or scanned depending on upload settings).
 * mbstring's encoding_translation is assumed off (PHP's default).
 */
import { ARRAY_MARKER, MATTERING_KEYS, PHP_MAX_INPUT_VARS_FLOOR, normaliseKey } from './php-params';
import { bytesToText } from './bytes';
import { bracketsBalanced, parameterBoundaries, phpBoundary, readDisposition } from './php-multipart-syntax';

export { phpBoundary } from './php-multipart-syntax';

/** PHP's multipart buffer unit (FILLUNIT). */
const FILL_UNIT = 5 * 1024;
/** PHP's default max_file_uploads. */
const MAX_FILE_UPLOADS = 20;

export interface MultipartRead {
  /** `$_POST` top-level keys (PHP-normalised), last wins; arrays as ARRAY_MARKER. */
  readonly fields: Map<string, string>;
  /** Set when PHP's reading of a field the classifier reads depends on php.ini: why (always refused). */
  readonly ambiguous?: string;
  /**
   * Set when a later part may be read or scanned depending on upload settings (more than 20 files, a
   * file that starts with the boundary line): refused when the body mentions AUTH_FORM at all.
   */
  readonly divergent?: string;
}

type State = 'boundary' | 'headers' | 'value' | 'file' | 'done';

/**
 * The reader, fed the body in chunks (`write`, then `end`). Memory is bounded by PHP's own buffer
 * size plus the kept bytes of the field being read, whatever the body's size.
 */
export class PhpMultipartReader {
  readonly fields = new Map<string, string>();
  ambiguous: string | undefined;
  divergent: string | undefined;
  /** Called when a non-empty value (or an array) is registered under a key. */
  onField: ((key: string, nonEmpty: boolean) => void) | undefined;

  private readonly delimiter: Buffer | undefined;
  private readonly next: Buffer | undefined;
  private readonly lineCap: number;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;
  private state: State = 'boundary';
  private headers: { key: string; value: string }[] = [];
  private parts = 0;
  private files = 0;
  private name: string | undefined;
  private valueChunks: Buffer[] = [];
  private valueBytes = 0;
  private valueEndsInCr = false;

  /**
   * `keepValueBytes`: how much of each field's value to keep. A whole buffered body keeps everything
   * (a login padded past any cap must trim as PHP trims it); a streaming scanner that only asks
   * "non-empty?" keeps a few bytes, so that memory stays bounded whatever the body's size.
   */
  constructor(contentType: string, private readonly keepValueBytes = Number.POSITIVE_INFINITY) {
    const boundary = phpBoundary(contentType);
    // PHP's boundary is not the one a parameter-wise reader (RFC 2045, busboy, another hop) takes: two
    // `boundary` parameters, an `xboundary=` before it, spaces around `=`, a `,` in the value. No client
    // sends that; the body is not read either way.
    const others = parameterBoundaries(contentType);
    if (others.length > 1 || (others.length === 1 && others[0] !== boundary)) this.ambiguous = 'boundary_read_two_ways';
    if (boundary === undefined || boundary === '') {
      this.state = 'done';
      this.lineCap = FILL_UNIT;
      return;
    }
    this.delimiter = Buffer.from(`--${boundary}`, 'latin1');
    this.next = Buffer.from(`\n--${boundary}`, 'latin1');
    this.lineCap = Math.max(boundary.length + 6, FILL_UNIT);
  }

  write(chunk: Buffer): void {
    if (this.state === 'done') return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.run();
  }

  end(): MultipartRead {
    this.ended = true;
    if (this.state !== 'done') this.run();
    return {
      fields: this.fields,
      ...(this.ambiguous !== undefined ? { ambiguous: this.ambiguous } : {}),
      ...(this.divergent !== undefined ? { divergent: this.divergent } : {}),
    };
  }

  private run(): void {
    for (;;) {
      if (this.state === 'done') return;
      if (this.state === 'value' || this.state === 'file') {
        if (!this.readData()) return;
        continue;
      }
      const line = this.takeLine();
      if (line === undefined) {
        if (this.ended) {
          // PHP: a line with no LF at the end is never returned; headers read so far still count.
          // the headers read so far make a part (its data is what is left); anything else ends here.
          if (this.state === 'headers') this.startPart();
          const now = this.state as State;
          if (now !== 'value' && now !== 'file') this.state = 'done';
          continue;
        }
        return;
      }
      if (this.state === 'boundary') {
        if (line.equals(this.delimiter!)) {
          this.state = 'headers';
          this.headers = [];
          this.parts++;
        }
        continue;
      }
      // headers
      if (line.length === 0) {
        this.startPart();
        continue;
      }
      this.addHeaderLine(line.toString('latin1'));
    }
  }

  /** The next line (CR dropped, cut at NUL), or undefined when more bytes are needed. */
  private takeLine(): Buffer | undefined {
    const lf = this.pending.indexOf(0x0a);
    let line: Buffer;
    if (lf >= 0 && lf < this.lineCap) {
      line = this.pending.subarray(0, lf > 0 && this.pending[lf - 1] === 0x0d ? lf - 1 : lf);
      this.pending = this.pending.subarray(lf + 1);
    } else if (this.pending.length >= this.lineCap) {
      line = this.pending.subarray(0, this.lineCap);
      this.pending = this.pending.subarray(this.lineCap);
    } else {
      return undefined;
    }
    const nul = line.indexOf(0);
    return nul < 0 ? line : line.subarray(0, nul);
  }

  private addHeaderLine(text: string): void {
    const last = this.headers[this.headers.length - 1];
    const colon = /^[ \t\n\v\f\r]/.test(text) ? -1 : text.indexOf(':');
    if (colon >= 0) {
      this.headers.push({ key: text.slice(0, colon), value: text.slice(colon + 1).replace(/^[ \t\n\v\f\r]+/, '') });
    } else if (last !== undefined) {
      last.value += text;
    }
  }

  /** The headers are read: decide what the part is, as PHP does. */
  private startPart(): void {
    const cd = this.headers.find((h) => h.key.toLowerCase() === 'content-disposition');
    this.state = 'boundary';
    if (cd === undefined) return;
    const { name, filename } = readDisposition(cd.value);
    if (name === undefined && filename === undefined) {
      this.state = 'done';
      return;
    }
    if (filename === undefined) {
      this.name = name;
      this.valueChunks = [];
      this.valueBytes = 0;
      this.valueEndsInCr = false;
      this.state = 'value';
      return;
    }
    if (name !== undefined) {
      const k = normaliseKey(bytesToText(Buffer.from(name, 'latin1')));
      if (k !== null && MATTERING_KEYS.has(k.key)) this.ambiguous ??= `file_part_named_${k.key}`;
    }
    const skipped = name !== undefined && !bracketsBalanced(name);
    const cancelled = filename === '';
    if (skipped || cancelled) return; // not read: scanned line by line from here
    this.files++;
    if (this.files > MAX_FILE_UPLOADS) {
      this.divergent ??= 'file_uploads_over_default_limit';
      return; // PHP's default: skipped, scanned line by line
    }
    if (this.startsWithDelimiterLine()) this.divergent ??= 'file_starts_with_boundary';
    this.state = 'file';
  }

  /** Does the pending data begin with the boundary line (a line read or scanned differently)? */
  private startsWithDelimiterLine(): boolean {
    const d = this.delimiter!;
    if (this.pending.length < d.length) return !this.ended && d.subarray(0, this.pending.length).equals(this.pending);
    if (!this.pending.subarray(0, d.length).equals(d)) return false;
    const after = this.pending[d.length];
    return after === undefined || after === 0x0a || after === 0x0d || after === 0;
  }

  /** Field or file data up to `\n--boundary`. True when the part is done. */
  private readData(): boolean {
    const next = this.next!;
    const at = this.pending.indexOf(next);
    if (at >= 0) {
      this.keep(this.pending.subarray(0, at), true);
      this.pending = this.pending.subarray(at);
      this.finishPart();
      return true;
    }
    if (!this.ended) {
      // Keep what could be the start of the delimiter; everything before it is data.
      const safe = Math.max(0, this.pending.length - next.length + 1);
      this.keep(this.pending.subarray(0, safe), false);
      this.pending = this.pending.subarray(safe);
      return false;
    }
    // The end of the body: a prefix of the delimiter there still ends the data (PHP's partial match).
    let end = this.pending.length;
    let bound = false;
    for (let k = 0; k < this.pending.length; k++) {
      const tail = this.pending.subarray(k);
      if (tail.length < next.length && next.subarray(0, tail.length).equals(tail)) {
        end = k;
        bound = true;
        break;
      }
    }
    this.keep(this.pending.subarray(0, end), bound);
    this.pending = this.pending.subarray(end);
    this.finishPart();
    return true;
  }

  private keep(data: Buffer, atBound: boolean): void {
    if (this.state !== 'value') return;
    let bytes = data;
    // One CR right before the delimiter is the line end, not data.
    if (atBound) {
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
      else if (bytes.length === 0 && this.valueEndsInCr) this.dropHeldCr();
    }
    if (bytes.length === 0) return;
    this.valueEndsInCr = bytes[bytes.length - 1] === 0x0d;
    if (this.valueBytes < this.keepValueBytes) this.valueChunks.push(Buffer.from(bytes));
    this.valueBytes += bytes.length;
  }

  /** The CR that ended an earlier chunk turned out to precede the delimiter. */
  private dropHeldCr(): void {
    this.valueBytes--;
    const last = this.valueChunks[this.valueChunks.length - 1];
    if (last !== undefined && last.length > 0 && last[last.length - 1] === 0x0d) this.valueChunks[this.valueChunks.length - 1] = last.subarray(0, -1);
    this.valueEndsInCr = false;
  }

  private finishPart(): void {
    if (this.state === 'value' && this.name !== undefined) this.register(this.name);
    this.state = 'boundary';
  }

  private register(name: string): void {
    const k = normaliseKey(bytesToText(Buffer.from(name, 'latin1')));
    if (k === null) return;
    if (this.parts > PHP_MAX_INPUT_VARS_FLOOR && MATTERING_KEYS.has(k.key)) this.ambiguous ??= 'input_vars_past_default_limit';
    const all = Buffer.concat(this.valueChunks);
    const value = bytesToText(all.length > this.keepValueBytes ? all.subarray(0, this.keepValueBytes) : all);
    this.fields.set(k.key, k.isArray ? ARRAY_MARKER : value);
    this.onField?.(k.key, k.isArray || this.valueBytes > 0);
  }
}

/** Parse a whole buffered body. */
export function readPhpMultipart(contentType: string, body: Buffer): MultipartRead {
  const r = new PhpMultipartReader(contentType);
  r.write(body);
  return r.end();
}
