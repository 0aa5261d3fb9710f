/**
 * The optional scrape listener (admin.metricsListen, PORTCULLIS_METRICS_LISTEN): GET /metrics and
 * /healthz without any token, and nothing else. It serves the same registry as the admin listener's
 * /metrics. It has no token because it is meant to be reachable only by the scraper (a NetworkPolicy,
 * a private interface); the admin listener, which can lift blocks, stays on loopback.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';

export function createMetricsServer(registry: Registry): http.Server {
  return http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics and GET /healthz\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(method === 'HEAD' ? undefined : '{"status":"ok"}');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics and GET /healthz\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics failed\n'),
    );
  });
}
