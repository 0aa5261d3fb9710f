/**
 * Webhook delivery: one JSON POST per notification, retried with doubling delays on a network error,
 * a timeout, a 5xx, 408 or 429; other 4xx are final (the receiver refused this message, and repeating
 * it will not help). The URL is never logged: such URLs often carry the receiver's token.
 */
import { request } from 'undici';
import type { Notification } from './notification';

export interface DeliveryOptions {
  readonly url: string;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly timeoutMs: number;
}

export type DeliveryResult = { readonly ok: true; readonly attempts: number } | { readonly ok: false; readonly attempts: number; readonly why: string };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export async function deliverWebhook(n: Notification, options: DeliveryOptions, isClosed: () => boolean = () => false): Promise<DeliveryResult> {
  const body = JSON.stringify(n);
  let why = '';
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (attempt > 1) {
      await sleep(options.retryBaseDelayMs * 2 ** (attempt - 2));
      if (isClosed()) return { ok: false, attempts: attempt - 1, why: `${why}; gave up at shutdown` };
    }
    try {
      const res = await request(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'portcullis-notify' },
        body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, attempts: attempt };
      why = `answered ${res.statusCode}`;
      if (res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429) return { ok: false, attempts: attempt, why };
    } catch (err) {
      // The error's message may quote the URL; keep only its code.
      why = (err as { code?: string }).code ?? 'request failed';
    }
  }
  return { ok: false, attempts: options.retries + 1, why };
}
