/**
 * Bench variant "bare-undici": the smallest honest undici passthrough. A Node http server, one
 * `undici.Pool` to the backend (keep-alive, unlimited connections like the http-proxy variant's agent),
 * the answer streamed back with `pool.stream`, hop-by-hop headers removed both ways (RFC 9110 §7.6.1).
 * No logging, no classification: the floor that any undici-based gateway pays.
 *
 *   node dist/bench/bare-undici.js --listen 127.0.0.1:PORT --target http://127.0.0.1:SIMPORT
 */
import http from 'node:http';
import { Pool } from 'undici';
import { listenAndServe, parseBareArgs } from './bare-args';

const args = parseBareArgs(process.argv.slice(2));
const pool = new Pool(args.target, { pipelining: 1, keepAliveTimeout: 10_000 });

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

type Headers = Record<string, string | string[] | undefined>;

/** A copy without hop-by-hop headers, nor those that the Connection header names. */
function endToEnd(headers: Headers): Record<string, string | string[]> {
  const named = headers.connection;
  const extra = named === undefined ? null : new Set(String(named).toLowerCase().split(',').map((s) => s.trim()));
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || HOP_BY_HOP.has(key) || (extra !== null && extra.has(key))) continue;
    out[key] = value;
  }
  return out;
}

const server = http.createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    {
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as 'GET',
      headers: endToEnd(req.headers),
      body: hasBody ? req : null,
      opaque: res,
    },
    ({ statusCode, headers, opaque }) => {
      const out = opaque as http.ServerResponse;
      out.writeHead(statusCode, endToEnd(headers as Headers));
      return out;
    },
    (err) => {
      if (err === null) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway\n');
      } else {
        res.destroy();
      }
    },
  );
});

listenAndServe(server, args, 'bare-undici', () => void pool.close());
