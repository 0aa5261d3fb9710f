/**
 * Structured logs with pino. One line per request with fixed field names (observability/request-line.ts),
 * plus lifecycle lines. Secrets never reach a log: the request line is built from classified values
 * (never raw headers, query strings or bodies), and pino's redaction is a second net for any object a
 * developer logs by mistake.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors wherever they appear in a logged object (a second net, not the first). */
export const REDACT_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword', 'otp', '*.otp', 'checkword', '*.checkword',
  'webhookCode', '*.webhookCode', 'oauthToken', '*.oauthToken', 'credentials', '*.credentials',
  'secret', '*.secret', 'token', '*.token', 'auth', '*.auth',
  'headers.cookie', 'headers.authorization', 'headers["set-cookie"]', '*.headers.cookie', '*.headers.authorization',
  'USER_PASSWORD', '*.USER_PASSWORD', 'USER_OTP', '*.USER_OTP', 'USER_CHECKWORD', '*.USER_CHECKWORD',
  'USER_CONFIRM_PASSWORD', '*.USER_CONFIRM_PASSWORD', 'USER_CURRENT_PASSWORD', '*.USER_CURRENT_PASSWORD',
];

export interface LoggerOptions {
  readonly level: string;
  /** Where lines go; stdout by default. Tests pass a stream to read the lines back. */
  readonly destination?: NodeJS.WritableStream;
  /** Async buffered writes to stdout: the request line must not block the event loop. */
  readonly async?: boolean;
}

export interface Loggers {
  /** Lifecycle and error lines, with redaction as a second net. */
  readonly general: Logger;
  /**
   * The per-request line only. No redaction pass: its fields are fixed and built from classified
   * values (request-line.ts), never from raw headers, queries or bodies, and wildcard redaction costed
   * 13% of the gateway's CPU in a profile of the REST path.
   */
  readonly requests: Logger;
}

export function createLoggers(opts: LoggerOptions): Loggers {
  const base = {
    level: opts.level,
    base: { svc: 'portcullis' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Lifecycle and error lines are written at once (they are rare, and an operator waits for them);
  // request lines are buffered in blocks. Both write whole lines to fd 1, so lines never interleave.
  const general = opts.destination ?? pino.destination({ dest: 1, sync: true });
  const requests = opts.destination ?? pino.destination({ dest: 1, sync: !opts.async, minLength: opts.async ? 4096 : 0 });
  return {
    general: pino({ ...base, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, general),
    requests: pino(base, requests),
  };
}

/** Flush buffered lines (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    /* a closed destination has nothing left to flush */
  }
}
