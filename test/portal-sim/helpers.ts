/** Small HTTP helpers for the simulator's tests: undici's request, cookies, form bodies. */
import { request } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  cookies: Record<string, string>;
  setCookies: string[];
}

export async function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.host) headers['host'] = init.host;
  const res = await request(base + path, {
    method: (init.method ?? 'GET') as 'GET',
    headers,
    body: init.body ?? null,
  });
  const body = await res.body.text();
  const raw = res.headers['set-cookie'];
  const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const cookies: Record<string, string> = {};
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    cookies[pair!.slice(0, eq)] = decodeURIComponent(pair!.slice(eq + 1));
  }
  return { status: res.statusCode, headers: res.headers, body, cookies, setCookies };
}

export function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

export function multipart(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  const boundary = '----portalsimtest7MA4YWxkTrZu0gW';
  let body = '';
  for (const [k, v] of Object.entries(fields)) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export const ADMIN = { login: 'admin', password: 'Demo-Owner-2024!' };
export const BOB = { login: 'bob', password: 'Demo-Bob-2024!' };
export const CAROL = { login: 'carol', password: 'Demo-Carol-2024!', otp: '246810' };
export const DAVE = { login: 'dave', password: 'Demo-Dave-2024!' };
