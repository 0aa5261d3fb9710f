/**
 * The REST answer envelopes, as JSON or (for a `.xml` method suffix) XML:
 *   success {"result": …, "time": {…}} plus `next`/`total` on lists;
 *   error   {"error": "CODE", "error_description": "text"} with the status of the wire table.
 */
import type { Clock } from '../gateway/lib/clock';
import type { SimResponse } from './pages';
import { isoSeconds } from './portal';

export type RestFormat = 'json' | 'xml';

/** The system errors of the wire table: status and text. */
export const REST_ERRORS = {
  QUERY_LIMIT_EXCEEDED: [503, 'Too many requests'],
  OPERATION_TIME_LIMIT: [429, 'Method is blocked due to operation time limit'],
  NO_AUTH_FOUND: [401, 'Wrong authorization data'],
  OVERLOAD_LIMIT: [401, 'REST API is blocked due to overload'],
  ACCESS_DENIED: [401, 'REST is available only on commercial plans'],
  INVALID_CREDENTIALS: [401, 'Invalid request credentials'],
  ERROR_METHOD_NOT_FOUND: [404, 'Method not found!'],
  insufficient_scope: [401, 'The request requires higher privileges than provided by the webhook token'],
  expired_token: [401, 'The access token provided has expired'],
  user_access_error: [401, 'The user does not have access to the application'],
  PORTAL_DELETED: [403, 'Portal was deleted'],
  INTERNAL_SERVER_ERROR: [500, 'Internal server error'],
  ERROR_BATCH_LENGTH_EXCEEDED: [400, 'Max batch length exceeded'],
  ERROR_BATCH_METHOD_NOT_ALLOWED: [405, 'Method is not allowed for batch usage'],
} as const satisfies Record<string, readonly [number, string]>;

export type RestErrorCode = keyof typeof REST_ERRORS;

export class RestError extends Error {
  constructor(
    readonly code: RestErrorCode,
    readonly description: string = REST_ERRORS[code][1],
  ) {
    super(`${code}: ${description}`);
  }
  get status(): number {
    return REST_ERRORS[this.code][0];
  }
}

export interface TimeInfo {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at: number;
  operating: number;
}

/** Measures one call: `start` by the injected clock, `processing` by the real monotonic timer. */
export class CallTimer {
  private readonly startMs: number;
  private readonly t0 = performance.now();
  constructor(clock: Clock) {
    this.startMs = clock.now();
  }
  time(): TimeInfo {
    const processing = (performance.now() - this.t0) / 1000;
    const start = this.startMs / 1000;
    const finish = start + processing;
    return {
      start,
      finish,
      duration: processing,
      processing,
      date_start: isoSeconds(this.startMs),
      date_finish: isoSeconds(finish * 1000),
      operating_reset_at: Math.floor(start) + 600,
      operating: 0,
    };
  }
}

const CORS = { 'access-control-allow-origin': '*' };

export function restAnswer(status: number, envelope: Record<string, unknown>, format: RestFormat): SimResponse {
  if (format === 'xml') {
    return {
      status,
      headers: { 'content-type': 'text/xml; charset=utf-8', ...CORS },
      body: `<?xml version="1.0" encoding="utf-8"?>\n<response>${xmlFields(envelope)}</response>\n`,
    };
  }
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...CORS }, body: JSON.stringify(envelope) };
}

export function restError(err: RestError, format: RestFormat): SimResponse {
  return restAnswer(err.status, { error: err.code, error_description: err.description }, format);
}

function xmlFields(o: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(o)) {
    const tag = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : 'item';
    out += `<${tag}>${xmlValue(v)}</${tag}>`;
  }
  return out;
}

function xmlValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => `<item>${xmlValue(x)}</item>`).join('');
  if (typeof v === 'object') return xmlFields(v as Record<string, unknown>);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
