/**
 * Bench variants "bare-http-proxy" and "http-proxy-keepalive": the canonical http-proxy passthrough.
 *
 *   bare-http-proxy       `httpProxy.createProxyServer({ target })` on a Node http server: http-proxy's
 *                         own defaults, which open a connection to the backend per request (it passes
 *                         `agent: false` when none is given). This is issue 8's "bare http-proxy".
 *   http-proxy-keepalive  the same with `agent: new http.Agent({ keepAlive: true })` (--keepalive): the
 *                         tuned setup, reported beside it so that nobody mistakes the bare one for it.
 *
 * Nothing else: no header rewriting, no logging.
 *
 *   node dist/bench/bare-http-proxy.js --listen 127.0.0.1:PORT --target http://127.0.0.1:SIMPORT [--keepalive]
 */
import http from 'node:http';
import httpProxy from 'http-proxy';
import { listenAndServe, parseBareArgs } from './bare-args';

const args = parseBareArgs(process.argv.slice(2));
const keepAlive = process.argv.includes('--keepalive');
const agent = keepAlive ? new http.Agent({ keepAlive: true }) : undefined;
const proxy = httpProxy.createProxyServer(agent ? { target: args.target, agent } : { target: args.target });

proxy.on('error', (_err, _req, res) => {
  // res is a ServerResponse for web requests (a Socket only for upgrades, which the bench does not send).
  if ('writeHead' in res) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway\n');
  } else {
    res.destroy();
  }
});

const server = http.createServer((req, res) => proxy.web(req, res));
listenAndServe(server, args, keepAlive ? 'http-proxy-keepalive' : 'bare-http-proxy', () => agent?.destroy());
