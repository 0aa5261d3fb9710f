/**
 * Form bodies as PHP reads them into `$_POST`.
 *
 * PHP fills `$_POST` only for `POST` with one of two content types (SAPI `sapi_read_post_data`): the
 * media type is lower-cased and cut at the first `;`, `,` or space, then compared exactly with
 * `application/x-www-form-urlencoded` and `multipart/form-data`. Urlencoded bodies are split as PHP's
 * post handler does (php-params.ts), multipart bodies as rfc1867.c does (php-multipart.ts).
 */
import type { FormFields } from '../request';
import { lateMatteringKey, parseQuery } from './php-params';
import { readPhpMultipart } from './php-multipart';

export type FormKind = 'urlencoded' | 'multipart';

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

export interface FormRead {
  readonly fields: FormFields;
  /**
   * Set when PHP's reading of a field the classifier reads depends on the portal's php.ini (a key past
   * max_input_vars' default, an ambiguous multipart body): the edge refuses the request (400).
   */
  readonly unreadable?: string;
}

/** A loose mention of AUTH_FORM in raw bytes (any case, any separator or escape between the words). */
export const LOOSE_AUTH_FORM = /auth[^a-z0-9]{0,12}form|auth%5[bf]form/i;

/** Read a buffered form body into PHP's `$_POST` (top-level keys, PHP-normalised), or say why not. */
export function readFormBody(contentType: string, body: Buffer): FormRead {
  const kind = formKind(contentType);
  if (kind === 'urlencoded') {
    const text = body.toString('latin1');
    const late = lateMatteringKey(text);
    return late === undefined ? { fields: parseQuery(text) } : { fields: parseQuery(text), unreadable: `input_vars:${late}` };
  }
  if (kind === 'multipart') {
    const r = readPhpMultipart(contentType, body);
    if (r.ambiguous !== undefined) return { fields: r.fields, unreadable: `multipart:${r.ambiguous}` };
    if (r.divergent !== undefined && LOOSE_AUTH_FORM.test(body.toString('latin1'))) return { fields: r.fields, unreadable: `multipart:${r.divergent}` };
    return { fields: r.fields };
  }
  return { fields: new Map() };
}

/** `$_POST` of a buffered form body, whatever its readability (tests and tools). */
export async function parseFormBody(contentType: string, body: Buffer): Promise<FormFields> {
  return readFormBody(contentType, body).fields;
}
