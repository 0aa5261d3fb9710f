/** Builders shared by the classifier tests. */
import type { RequestHead } from '../../gateway/pipeline/request';

export function head(method: string, target: string, headers: Record<string, string> = {}): RequestHead {
  return {
    method,
    target,
    headers: { host: 'portal.example.com', ...lowerKeys(headers) },
    ip: '203.0.113.7',
    httpVersion: '1.1',
    secure: true,
  };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

export const URLENCODED = 'application/x-www-form-urlencoded';

export interface Part {
  readonly name: string;
  readonly value: string;
  /** Makes the part a file upload. */
  readonly filename?: string;
}

export const BOUNDARY = '----portcullisBoundary7MA4YWxkTrZu0gW';

export function multipart(parts: readonly Part[], boundary = BOUNDARY): { contentType: string; body: Buffer } {
  const chunks: string[] = [];
  for (const p of parts) {
    const file = p.filename !== undefined ? `; filename="${p.filename}"` : '';
    const type = p.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n${type}\r\n${p.value}\r\n`);
  }
  chunks.push(`--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(chunks.join(''), 'utf8') };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
