/**
 * Bench variant "bare-http-proxy": the canonical http-proxy passthrough, as ops would set it up
 * (a Node http server, `httpProxy.createProxyServer({ target, agent })`, keep-alive on to the backend).
 * Nothing else: no header rewriting, no logging. It is the reference the gateway is measured against.
 *
 *   node dist/bench/bare-http-proxy.js --listen 127.0.0.1:PORT --target http://127.0.0.1:SIMPORT
 */
import http from 'node:http';
import httpProxy from 'http-proxy';
import { listenAndServe, parseBareArgs } from './bare-args';

const args = parseBareArgs(process.argv.slice(2));
const agent = new http.Agent({ keepAlive: true });
const proxy = httpProxy.createProxyServer({ target: args.target, agent });

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
listenAndServe(server, args, 'bare-http-proxy', () => agent.destroy());
