/**
 * Real PHP as the judge of what a portal sees (issue 15 §2): Debian's `php-cgi` runs
 * test/fixtures/php/prolog.php as one CGI request, the way nginx hands a request to PHP-FPM
 * (REQUEST_METHOD, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH of the de-chunked body, HTTP_* headers,
 * the body on stdin), and reads back what the prolog's login handler would act on.
 *
 * The PHP settings are a portal's, written to a php.ini that PHPRC points at. Not `-d` flags: php-cgi
 * skips its command line whenever QUERY_STRING starts with `-` and holds no `=` (the CVE-2012-1823
 * guard), and a generated query may do exactly that.
 *
 * One php-cgi per request costs 10–20 ms here; the differential test runs a few hundred in `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesToText } from '../../gateway/pipeline/classify/bytes';
import { REPO_ROOT, tempDir } from './processes';

export const PROLOG_SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'php', 'prolog.php');

/** The php-cgi binary (Debian's php8.2-cgi), or undefined when none is installed. */
export function findPhpCgi(): string | undefined {
  for (const p of ['/usr/bin/php-cgi8.2', '/usr/bin/php-cgi']) if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v php-cgi8.2 || command -v php-cgi'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found !== '' ? found : undefined;
}

export interface PhpProfile {
  readonly name: string;
  readonly ini: Readonly<Record<string, string>>;
}

/**
 * The settings of a Bitrix24 portal's PHP: Bitrix's site checker asks for max_input_vars of at least
 * 10000 (PHP's default is 1000); request_order "GP" and variables_order "GPCS" are php.ini-production's
 * (Debian's and the vendor's VM images); bodies as large as the portal takes uploads.
 */
export const BITRIX_PHP: PhpProfile = {
  name: 'bitrix',
  ini: {
    max_input_vars: '10000',
    max_input_nesting_level: '64',
    'arg_separator.input': '"&"',
    request_order: '"GP"',
    variables_order: '"GPCS"',
    post_max_size: '1024M',
    upload_max_filesize: '1024M',
    max_file_uploads: '20',
    file_uploads: 'On',
    enable_post_data_reading: 'On',
    default_charset: '"UTF-8"',
    'cgi.force_redirect': '1',
    // Warnings ("Input variables exceeded …") go to the SAPI's log, stderr, not into the page.
    display_errors: 'Off',
    display_startup_errors: 'Off',
    log_errors: 'On',
    error_reporting: 'E_ALL',
  },
};

/**
 * PHP with no php.ini (the official container images' default): request_order unset, so $_REQUEST
 * follows variables_order "EGPCS" and a cookie overrides the body; max_input_vars 1000. (An EMPTY
 * request_order would leave $_REQUEST empty instead.)
 */
export const NO_INI_PHP: PhpProfile = {
  name: 'no-ini',
  ini: Object.fromEntries(Object.entries({ ...BITRIX_PHP.ini, max_input_vars: '1000', variables_order: '"EGPCS"' }).filter(([k]) => k !== 'request_order')),
};

/** A portal that also splits queries on ";" (arg_separator.input "&;", as some hosting panels set). */
export const SEMICOLON_PHP: PhpProfile = {
  name: 'semicolon',
  ini: { ...BITRIX_PHP.ini, 'arg_separator.input': '"&;"' },
};

/** The profiles by the generator's name for them. */
export const PHP_PROFILES = { bitrix: BITRIX_PHP, 'no-ini': NO_INI_PHP, semicolon: SEMICOLON_PHP } as const;

export interface CgiRequest {
  readonly method: string;
  /** Origin-form target as the web server received it (`/path?query`). */
  readonly target: string;
  /** Header name → value, duplicates already joined (as a web server passes them to FastCGI). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** One attempt of the login handler, as PHP read it. Strings are decoded from the script's hex. */
export interface PhpLogin {
  /** `basic`/`digest` (HTTP authorization), `request` (older cores: $_REQUEST), `post` (newer: $_POST). */
  readonly via: 'basic' | 'digest' | 'request' | 'post';
  readonly type: 'AUTH' | 'OTP' | 'SEND_PWD' | 'CHANGE_PWD' | 'REGISTRATION' | null;
  /** undefined: absent; null: an array (no usable login). */
  readonly login?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly password?: boolean;
}

export interface PhpView {
  readonly method: string;
  readonly host?: string;
  readonly requestKeys: readonly string[];
  readonly logins: readonly PhpLogin[];
  /** PHP's warnings (e.g. "Input variables exceeded"), from stderr. */
  readonly stderr: string;
}

type Hex = string | { array: true } | null;

const iniDirs = new Map<string, string>();

function iniDirFor(profile: PhpProfile): string {
  let dir = iniDirs.get(profile.name);
  if (dir === undefined) {
    dir = tempDir('portcullis-php-');
    const uploads = path.join(dir, 'uploads');
    mkdirSync(uploads);
    const lines = Object.entries({ ...profile.ini, upload_tmp_dir: uploads }).map(([k, v]) => `${k} = ${v}`);
    writeFileSync(path.join(dir, 'php.ini'), `${lines.join('\n')}\n`);
    iniDirs.set(profile.name, dir);
  }
  return dir;
}

function unhex(v: Hex | undefined): string | null | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return null;
  return bytesToText(Buffer.from(v, 'hex'));
}

/** The CGI environment nginx's fastcgi_params would give PHP for this request. */
export function cgiEnv(req: CgiRequest, profile: PhpProfile): NodeJS.ProcessEnv {
  const q = req.target.indexOf('?');
  const env: NodeJS.ProcessEnv = {
    PHPRC: iniDirFor(profile),
    PHP_INI_SCAN_DIR: '',
    REDIRECT_STATUS: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'nginx',
    SERVER_NAME: 'portal',
    SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1',
    SCRIPT_FILENAME: PROLOG_SCRIPT,
    SCRIPT_NAME: '/bitrix/urlrewrite.php',
    DOCUMENT_ROOT: path.dirname(PROLOG_SCRIPT),
    REQUEST_METHOD: req.method,
    REQUEST_URI: req.target,
    QUERY_STRING: q < 0 ? '' : req.target.slice(q + 1),
    CONTENT_LENGTH: String(req.body.length),
  };
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') continue;
    if (lower === 'content-type') env.CONTENT_TYPE = value;
    // nginx drops header names with an underscore (underscores_in_headers off) and invalid ones.
    if (!/^[A-Za-z0-9-]+$/.test(name)) continue;
    env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = value;
  }
  return env;
}

/** Runs the prolog script on one request. Rejects only when php-cgi itself fails. */
export function runPhp(phpCgi: string, req: CgiRequest, profile: PhpProfile = BITRIX_PHP): Promise<PhpView> {
  return new Promise((resolve, reject) => {
    const child = spawn(phpCgi, [], { env: cgiEnv(req, profile), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined); // PHP may stop reading a body it refuses
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('latin1');
      const bodyAt = text.indexOf('\r\n\r\n');
      const json = bodyAt < 0 ? '' : text.slice(bodyAt + 4);
      let raw: { method: string; host: Hex; request_keys: string[]; logins: Record<string, unknown>[] };
      try {
        raw = JSON.parse(json) as typeof raw;
      } catch {
        reject(new Error(`php-cgi (exit ${code}) gave no JSON: ${text.slice(0, 500)} ${Buffer.concat(err).toString().slice(0, 500)}`));
        return;
      }
      resolve({
        method: raw.method,
        host: unhex(raw.host) ?? undefined,
        requestKeys: raw.request_keys.map((k) => bytesToText(Buffer.from(k, 'hex'))),
        logins: raw.logins.map((l) => ({
          via: l.via as PhpLogin['via'],
          type: (l.type ?? null) as PhpLogin['type'],
          login: unhex(l.login as Hex),
          email: unhex(l.email as Hex),
          phone: unhex(l.phone as Hex),
          password: l.password === true,
        })),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(req.body);
  });
}
