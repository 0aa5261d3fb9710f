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

export function createLogger(opts: LoggerOptions): Logger {
  const base = {
    level: opts.level,
    base: { svc: 'portcullis' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.destination) return pino(base, opts.destination);
  const dest = pino.destination({ dest: 1, sync: !opts.async, minLength: opts.async ? 4096 : 0 });
  return pino(base, dest);
}

/** Flush buffered lines (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    /* a closed destination has nothing left to flush */
  }
}
