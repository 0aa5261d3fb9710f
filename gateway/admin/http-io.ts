/**
 * Bytes in and out of the admin listener: a JSON body read with a cap (400 when it is not JSON, 413
 * past the cap), JSON answers that are never cached, and the one error shape every route answers with:
 *
 *   { "error": "invalid_request", "code": "PC_ERR_ADMIN_…", "message": "…", "field"?: "…" }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../lib/errors';

/** Directory imports are the largest bodies: 50 000 users of ~200 bytes fit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** An answer other than 2xx, thrown by handlers and written by the server. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

const ERROR_WORDS: Record<number, string> = {
  400: 'malformed_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'body_too_large',
  422: 'invalid_request',
  500: 'internal',
  503: 'unavailable',
};

export function errorBody(e: AdminError): Record<string, unknown> {
  return { error: ERROR_WORDS[e.status] ?? 'error', code: e.code, message: e.message, ...e.extra };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The body as JSON; `undefined` when there is none. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AdminError(413, 'PC_ERR_ADMIN_BODY_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AdminError(400, 'PC_ERR_ADMIN_MALFORMED_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}
