/** What every handler of the simulator gets: the request as PHP sees it, and the settings. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../gateway/lib/clock';
import type { PhpArray } from './php-request';

export interface SimRequest {
  method: string;
  /** The request target as received. */
  rawUrl: string;
  /** The path as nginx hands it to PHP: percent-decoded, `//` merged, `.` and `..` resolved. */
  path: string;
  /** The path as received (still percent-encoded), for redirects back to the same page. */
  rawPath: string;
  /** The query string as received (without `?`). */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  get: PhpArray;
  post: PhpArray;
  /** $_REQUEST: $_GET with $_POST over it. */
  request: PhpArray;
  cookies: Record<string, string>;
}

export interface SimSettings {
  clock: Clock;
  hashCostMs: number;
  captchaAfterFailures: number;
  /** When set, a login that needs a CAPTCHA must carry this captcha_word; absent = not verified. */
  captchaWord: string | undefined;
  longPollTimeoutMs: number;
}
