/**
 * Form bodies as PHP reads them into `$_POST`.
 *
 * PHP fills `$_POST` only for `POST` with one of two content types (SAPI `sapi_read_post_data`): the
 * media type is lower-cased and cut at the first `;`, `,` or space, then compared exactly with
 * `application/x-www-form-urlencoded` and `multipart/form-data`.
 */
import busboy from 'busboy';
import type { FormFields } from '../request';
import { LATE_LOGIN_FIELD, LATE_VARS, LOGIN_KEYS, normaliseKey, parseQuery, registerVariable, UNREAD_LOGIN_FIELD } from './php-params';

export type FormKind = 'urlencoded' | 'multipart';

/** The largest multipart file part whose content we keep as a stand-in field value. */
const FILE_VALUE_CAP_BYTES = 64 * 1024;

/** The form kind PHP would parse for this Content-Type, if any. */
export function formKind(contentType: string | undefined): FormKind | undefined {
  if (!contentType) return undefined;
  const cut = contentType.search(/[;, \t]/);
  const media = (cut < 0 ? contentType : contentType.slice(0, cut)).toLowerCase();
  if (media === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (media === 'multipart/form-data') return 'multipart';
  return undefined;
}

export function isFormContentType(contentType: string | undefined): boolean {
  return formKind(contentType) !== undefined;
}

/**
 * Parse a buffered form body into PHP's `$_POST` (top-level keys, PHP-normalised). Never rejects: a
 * body PHP would half-parse gives what could be read, plus any field name a loose scan finds.
 */
export async function parseFormBody(contentType: string, body: Buffer): Promise<FormFields> {
  const kind = formKind(contentType);
  if (kind === 'urlencoded') return parseQuery(body.toString('latin1'));
  if (kind === 'multipart') return parseMultipart(contentType, body);
  return new Map();
}

function parseMultipart(contentType: string, body: Buffer): Promise<FormFields> {
  const fields = new Map<string, string>();
  return new Promise((resolve) => {
    let settled = false;
    let parserDone = false;
    let openFiles = 0;
    const finish = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      if (failed) addLooseMultipartNames(fields, body);
      else markUnreadLoginParts(fields, body);
      resolve(fields);
    };
    // A file stream can end after the parser closes: resolve once both are done.
    const maybeFinish = (): void => {
      if (parserDone && openFiles === 0) finish(false);
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        limits: { fieldNameSize: 64 * 1024, fieldSize: Infinity, fields: Infinity, parts: Infinity },
      });
    } catch {
      finish(true); // no boundary, or a content type busboy refuses
      return;
    }
    let count = 0;
    bb.on('field', (name, value) => {
      registerVariable(fields, name, value);
      // PHP's multipart parser stops at max_input_vars too (see LATE_LOGIN_FIELD).
      if (++count > LATE_VARS && LOGIN_KEYS.has(normaliseKey(name)?.key ?? '')) fields.set(LATE_LOGIN_FIELD, '1');
    });
    // PHP decides "file or field" by the presence of `filename`; a parser that disagrees on an odd
    // Content-Disposition must not hide a login field, so a file part counts as its field's value
    // when no real field of that name gave one.
    bb.on('file', (name, stream) => {
      openFiles++;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (size < FILE_VALUE_CAP_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('end', () => {
        openFiles--;
        const k = normaliseKey(name);
        if (k !== null && (fields.get(k.key) ?? '') === '') {
          fields.set(k.key, Buffer.concat(chunks).subarray(0, FILE_VALUE_CAP_BYTES).toString('utf8'));
        }
        maybeFinish();
      });
    });
    bb.on('close', () => {
      parserDone = true;
      maybeFinish();
    });
    bb.on('error', () => finish(true));
    bb.end(body);
  });
}

const LOOSE_PART_NAME = /content-disposition:[^\r\n]*?\bname\s*=\s*(?:"([^"\r\n]*)"|([^;\s\r\n]*))/gi;

/** Characters of an RFC 7230 token: the only ones the multipart parser takes in an unquoted name. */
const NOT_TOKEN = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** A login field PHP reads from a part whose unquoted name our parser skipped (see UNREAD_LOGIN_FIELD). */
function markUnreadLoginParts(fields: Map<string, string>, body: Buffer): void {
  for (const m of body.toString('latin1').matchAll(LOOSE_PART_NAME)) {
    const unquoted = m[2];
    if (unquoted === undefined || !NOT_TOKEN.test(unquoted)) continue;
    if (LOGIN_KEYS.has(normaliseKey(unquoted)?.key ?? '')) fields.set(UNREAD_LOGIN_FIELD, '1');
  }
}

/** When the multipart parser gives up, take every part name we can see, with an unknown value. */
function addLooseMultipartNames(fields: Map<string, string>, body: Buffer): void {
  for (const m of body.toString('latin1').matchAll(LOOSE_PART_NAME)) {
    const k = normaliseKey(m[1] ?? m[2] ?? '');
    if (k !== null && (fields.get(k.key) ?? '') === '') fields.set(k.key, '[unparsed]');
  }
}
