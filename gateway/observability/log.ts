/**
 * Structured logs with pino. One line per request with fixed field names (observability/request-line.ts),
 * plus lifecycle lines. Secrets never reach a log: the request line is built from classified values
 * (never raw headers, query strings or bodies), and pino's redaction is a second net for any object a
 * developer logs by mistake.
 */
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { LineWriter } from './line-writer';
import type { RequestLine } from './request-line';

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
  /** Request lines buffered in blocks and written off the event loop (line-writer.ts); else one sync write per line. */
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
  readonly requestLines: RequestLineSink;
  /** Writes buffered request lines out (before exit). */
  flush(): void;
}

/**
 * Writes the request line as the requests logger would (`{"level":"info","time":…,"svc":"portcullis",
 * <fields>,"msg":"request"}`, byte for byte the same shape) with one native JSON.stringify of the line,
 * instead of pino's per-field serialiser: in a profile of the REST path, pino's LOG cost ~7 µs of the
 * gateway's ~100 µs per request, this ~2 µs. Safe without redaction for the reason given on
 * `Loggers.requests`: the line's fields are fixed and classified, never raw input.
 */
export class RequestLineSink {
  readonly enabled: boolean;
  private lastMs = 0;
  private prefix = '';

  constructor(
    private readonly destination: { write(chunk: string): unknown },
    level: string,
  ) {
    this.enabled = pino.levels.values[level] !== undefined && pino.levels.values[level]! <= pino.levels.values['info']!;
  }

  write(line: RequestLine): void {
    if (!this.enabled) return;
    const nowMs = Date.now();
    // Lines of one millisecond share their prefix (many at a few thousand requests/s).
    if (nowMs !== this.lastMs) {
      this.lastMs = nowMs;
      this.prefix = `{"level":"info","time":"${new Date(nowMs).toISOString()}","svc":"portcullis",`;
    }
    const fields = JSON.stringify(line);
    this.destination.write(`${this.prefix}${fields.slice(1, -1)},"msg":"request"}\n`);
  }
}

export function createLoggers(opts: LoggerOptions): Loggers {
  const base = {
    level: opts.level,
    base: { svc: 'portcullis' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Lifecycle and error lines are written at once (they are rare, and an operator waits for them);
  // request lines are buffered in blocks (line-writer.ts). Both write whole lines of at most PIPE_BUF
  // to fd 1, so lines never interleave.
  const general = pino({ ...base, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, opts.destination ?? pino.destination({ dest: 1, sync: true }));
  let writer: LineWriter | undefined;
  let lines: { write(chunk: string): unknown };
  if (opts.destination) lines = opts.destination;
  else if (opts.async) {
    writer = new LineWriter({
      fd: 1,
      onDrop: (dropped) => general.warn({ code: 'PC_ERR_LOG_BEHIND', dropped }, 'stdout does not keep up with the request lines: some are dropped'),
    });
    lines = writer;
  } else lines = { write: (chunk: string) => fs.writeSync(1, chunk) };
  return {
    general,
    requestLines: new RequestLineSink(lines, opts.level),
    flush() {
      writer?.flush();
      flushLogger(general);
    },
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
