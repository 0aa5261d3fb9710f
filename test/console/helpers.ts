/** Helpers of the console tests: the built page must exist, Debian's Chromium through playwright-core, screenshots, and raw HTTP to /console. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';

export const REPO = path.join(__dirname, '../..');
export const SHOTS = path.join(REPO, 'test-artifacts/console');
export const CHROMIUM = '/usr/bin/chromium';

export function requireBuiltConsole(): void {
  if (!existsSync(path.join(REPO, 'dist/console/index.html')) || !existsSync(path.join(REPO, 'dist/console/app.js'))) {
    throw new Error('dist/console is missing: run `npm run build` first (scripts/build-console.js bundles console/*.ts into dist/console)');
  }
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export async function http(base: string, method: string, p: string, opts: { body?: unknown; cookie?: string; csrf?: string; origin?: string; bearer?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  if (opts.origin) headers.origin = opts.origin;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const res = await request(`${base}${p}`, { method: method as 'GET', headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // pages and metrics
  }
  return { status: res.statusCode, body, headers: res.headers };
}

/** Signs in over HTTP; the cookie as a Cookie header, and the CSRF token. */
export async function signInHttp(base: string, token: string, operator = 'sam'): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await http(base, 'POST', '/console/session', { body: { token, operator } });
  if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = String(r.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: r.body.csrf as string, setCookie };
}
