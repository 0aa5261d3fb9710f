/**
 * Reads a portal's users through an administrator's incoming webhook, with the portal's own REST:
 *   user.admin  whether the webhook's user is an administrator (else it may not see every user, and
 *               nothing is imported);
 *   user.get    every user, 50 a page: `start` = 0, 50, 100 …, the envelope's `next` says where the
 *               next page starts and `total` how many there are; ADMIN_MODE asks for every user.
 * Every page is read before anything is returned: a sync that fails half-way imports nothing, so the
 * previous directory stays in place.
 *
 * The webhook URL holds a secret code. It never appears in an error or a log line: failures name the
 * portal's origin and the method only.
 */
import { request } from 'undici';
import { PortcullisError } from '../../lib/errors';
import type { PortalUserRow } from './from-portal';

/** The portal's page size for lists (fixed by the portal, documented as 50). */
export const USER_GET_PAGE_SIZE = 50;
/** 200 000 users: a bound against a portal whose `next` never ends, not a limit anyone meets. */
const MAX_PAGES = 4_000;
/** The portal's leaky bucket answers 503 QUERY_LIMIT_EXCEEDED; it drains 2 a second, so wait and retry. */
const LIMIT_RETRIES = 5;
const LIMIT_RETRY_DELAY_MS = 1_000;

export interface PortalWebhook {
  /** Base URL ending in `/`, e.g. https://portal/rest/1/<code>/. */
  readonly base: string;
  /** The portal's origin, safe to print. */
  readonly origin: string;
  /** The user the webhook acts as (its URL's first segment after /rest/). */
  readonly userId: number;
}

export interface PortalUsers {
  readonly rows: PortalUserRow[];
  readonly webhookUserIsAdmin: boolean;
  readonly total: number;
  readonly pages: number;
}

const fail = (message: string, details: Record<string, unknown> = {}): PortcullisError => new PortcullisError('PC_ERR_DIRECTORY_SYNC', message, details);

/**
 * Checks a webhook URL's shape: http(s), `/rest/<user id>/<code>/` (a trailing method name, as people
 * copy it from the portal's screen with e.g. `profile.json`, is dropped). The message never repeats the URL.
 */
export function parseWebhookUrl(text: string): PortalWebhook {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw fail('the directory webhook is not a URL (expected https://<portal>/rest/<user id>/<code>/)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`the directory webhook must be http(s), not ${url.protocol}`);
  const m = /^(.*?\/rest\/(?:api\/)?)(\d+)\/([^/]+)(?:\/[^/]*)?\/?$/.exec(url.pathname);
  if (!m) throw fail(`the directory webhook of ${url.origin} is not of the form ${url.origin}/rest/<user id>/<code>/`);
  return { base: `${url.origin}${m[1]}${m[2]}/${m[3]}/`, origin: url.origin, userId: Number(m[2]) };
}

interface Envelope {
  result?: unknown;
  next?: unknown;
  total?: unknown;
  error?: unknown;
  error_description?: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function call(hook: PortalWebhook, method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Envelope> {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await request(`${hook.base}${method}.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(params),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      const why = (err as { code?: string }).code ?? 'connection failed';
      throw fail(`cannot reach ${hook.origin} for ${method} (${why})`, { portalOrigin: hook.origin, method });
    }
    const raw = await res.body.text();
    let body: Envelope;
    try {
      body = JSON.parse(raw) as Envelope;
    } catch {
      throw fail(`${hook.origin} answered ${method} with HTTP ${res.statusCode} and no REST envelope (is this the portal's REST?)`, { portalOrigin: hook.origin, method, status: res.statusCode });
    }
    if (typeof body.error === 'string') {
      if (body.error === 'QUERY_LIMIT_EXCEEDED' && attempt < LIMIT_RETRIES) {
        await sleep(LIMIT_RETRY_DELAY_MS);
        continue;
      }
      const text = typeof body.error_description === 'string' && body.error_description ? `: ${body.error_description}` : '';
      throw fail(`${hook.origin} refused ${method} with ${body.error}${text} (HTTP ${res.statusCode})`, { portalOrigin: hook.origin, method, status: res.statusCode, portalError: body.error });
    }
    if (res.statusCode >= 300) throw fail(`${hook.origin} answered ${method} with HTTP ${res.statusCode}`, { portalOrigin: hook.origin, method, status: res.statusCode });
    return body;
  }
}

/** user.admin, then every page of user.get. */
export async function readPortalUsers(hook: PortalWebhook, opts: { timeoutMs?: number } = {}): Promise<PortalUsers> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const admin = await call(hook, 'user.admin', {}, timeoutMs);
  const webhookUserIsAdmin = admin.result === true || admin.result === 'Y' || admin.result === 1;
  if (!webhookUserIsAdmin) {
    throw new PortcullisError('PC_ERR_DIRECTORY_NOT_ADMIN', `the webhook's user (${hook.userId}) is not an administrator of ${hook.origin} (user.admin answered false): make the webhook as an administrator`, { portalOrigin: hook.origin });
  }
  const rows: PortalUserRow[] = [];
  let start = 0;
  let total = 0;
  let pages = 0;
  for (;;) {
    if (pages >= MAX_PAGES) throw fail(`${hook.origin} kept answering user.get with more pages after ${pages}; nothing imported`, { portalOrigin: hook.origin });
    const page = await call(hook, 'user.get', { ADMIN_MODE: true, sort: 'ID', order: 'ASC', start }, timeoutMs);
    pages++;
    if (!Array.isArray(page.result)) throw fail(`${hook.origin} answered user.get without a list of users`, { portalOrigin: hook.origin });
    for (const r of page.result) if (r !== null && typeof r === 'object' && !Array.isArray(r)) rows.push(r as PortalUserRow);
    if (typeof page.total === 'number') total = page.total;
    const next = typeof page.next === 'number' ? page.next : typeof page.next === 'string' ? Number(page.next) : undefined;
    if (next === undefined || !Number.isInteger(next)) break;
    if (next <= start) throw fail(`${hook.origin} answered user.get with a next page (${next}) that does not move forward`, { portalOrigin: hook.origin });
    start = next;
  }
  return { rows, webhookUserIsAdmin, total: Math.max(total, rows.length), pages };
}
