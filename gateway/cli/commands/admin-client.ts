/**
 * The shared client of the admin API for `blocks`, `requests`, `users`, `posture` and `audit`: where
 * the API is (--url, $PORTCULLIS_ADMIN_URL, default http://127.0.0.1:9180), the token (--token,
 * $PORTCULLIS_ADMIN_TOKEN), --json, plain tables for people, and one way to fail:
 *
 *   exit 1  the API is unreachable, refused the token, or refused the operation (its code is shown)
 *   exit 2  a usage error (a missing or contradictory option, no token at all)
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { request } from 'undici';
import { EXIT_CONFIG, EXIT_RUNTIME } from '../fail';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9180';

export interface AdminCliOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** A failure to report: message, code, exit status, and (for --json) the API's error body. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliFailure => new CliFailure(message, 'usage', EXIT_CONFIG);

export const ADMIN_ENV_HELP = `
The admin API: --url or $PORTCULLIS_ADMIN_URL (default ${DEFAULT_ADMIN_URL}); its token: --token or
$PORTCULLIS_ADMIN_TOKEN, any admin token: its role decides what the command may do (403 otherwise) and
its name is what the audit trail records. Exit codes: 0 done, 1 the API is unreachable or refused (its error code is
shown), 2 a usage error.`;

/** Adds the options every admin command takes. */
export function adminOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `admin API base URL (default: $PORTCULLIS_ADMIN_URL or ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'admin API bearer token (default: $PORTCULLIS_ADMIN_TOKEN)')
    .option('--json', 'print the API\'s JSON answer instead of a table');
}

export class AdminClient {
  readonly url: string;
  private readonly token: string;

  constructor(opts: AdminCliOptions, env: NodeJS.ProcessEnv = process.env) {
    this.url = (opts.url ?? env.PORTCULLIS_ADMIN_URL ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
    const token = opts.token ?? env.PORTCULLIS_ADMIN_TOKEN;
    if (!token) throw usage('no admin token: pass --token or set PORTCULLIS_ADMIN_TOKEN (the demo prints its token at start)');
    this.token = token;
  }

  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, init: { query?: Record<string, string | number | undefined>; body?: unknown } = {}): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const target = `${this.url}${path}${qs.size > 0 ? `?${qs}` : ''}`;
    let res;
    try {
      res = await request(target, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
    } catch (err) {
      const why = (err as { code?: string }).code ?? (err as Error).message;
      throw new CliFailure(`cannot reach the admin API at ${this.url} (${why}): is the gateway running, and is --url or PORTCULLIS_ADMIN_URL right?`, 'PC_ERR_ADMIN_UNREACHABLE', EXIT_RUNTIME);
    }
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (res.statusCode === 401) {
      throw new CliFailure(`the admin API at ${this.url} refused the token (401): check --token or PORTCULLIS_ADMIN_TOKEN`, 'PC_ERR_ADMIN_UNAUTHORIZED', EXIT_RUNTIME, body);
    }
    if (res.statusCode >= 300) {
      const b = body as { code?: string; message?: string; field?: string; advice?: string };
      throw new CliFailure(`${b.message ?? `the admin API answered ${res.statusCode}`}`, b.code ?? `HTTP_${res.statusCode}`, EXIT_RUNTIME, body);
    }
    return body as T;
  }

  /** Every page of a list route (up to `max` items). */
  async all<T>(path: string, query: Record<string, string | number | undefined>, max = 10_000): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call<{ items: T[]; next_cursor: string | null }>('GET', path, { query: { ...query, limit: 500, cursor } });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && out.length < max);
    return out.slice(0, max);
  }
}

/** Runs an admin command: its output, or its failure as the exit codes above say. */
export async function runAdmin<T>(opts: AdminCliOptions, action: (client: AdminClient) => Promise<T>, render: (result: T) => string): Promise<void> {
  try {
    const client = new AdminClient(opts);
    const result = await action(client);
    process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : render(result));
  } catch (err) {
    if (err instanceof CliFailure) {
      if (opts.json && err.body !== undefined) process.stdout.write(`${JSON.stringify(err.body, null, 2)}\n`);
      process.stderr.write(`portcullis: ${err.message}${err.code !== 'usage' ? `  [${err.code}]` : ''}\n`);
      const advice = (err.body as { advice?: string } | undefined)?.advice;
      if (advice && !err.message.includes(advice)) process.stderr.write(`  ${advice}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`portcullis: unexpected failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(EXIT_RUNTIME);
  }
}

/** Longest a free-text cell (a reason, a note) is shown in a table before it is cut with "…". */
const FREE_TEXT_WIDTH = 60;

/**
 * A plain text table; empty lists say so. Only the columns listed in `cut` (free text: reasons, notes,
 * details) are shortened; every other cell is printed whole, so an id can be pasted into `blocks lift`
 * or `requests approve`.
 */
export function table(rows: readonly Record<string, unknown>[], columns: readonly [key: string, title: string][], empty = '(none)', cut: readonly string[] = []): string {
  if (rows.length === 0) return `${empty}\n`;
  const cell = (v: unknown): string => (v === undefined || v === null ? '-' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = rows.map((r) => columns.map(([k]) => cell(r[k])));
  const widths = columns.map(([key, title], i) => {
    const widest = Math.max(title.length, ...cells.map((c) => c[i]!.length));
    return cut.includes(key) ? Math.min(FREE_TEXT_WIDTH, widest) : widest;
  });
  const line = (values: readonly string[]): string => values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(columns.map(([, t]) => t.toUpperCase())), ...cells.map(line)].join('\n')}\n`;
}

/** Key: value lines for one object. */
export function fields(obj: Record<string, unknown>, keys: readonly string[]): string {
  const width = Math.max(...keys.map((k) => k.length));
  return `${keys
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${k.padEnd(width)}  ${typeof obj[k] === 'object' && obj[k] !== null ? JSON.stringify(obj[k]) : String(obj[k])}`)
    .join('\n')}\n`;
}

/** The name recorded as operator or support person when none is given. */
export function whoami(): string {
  try {
    return (process.env.USER ?? userInfo().username) || 'cli';
  } catch {
    return 'cli';
  }
}
