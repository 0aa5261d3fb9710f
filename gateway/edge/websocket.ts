/**
 * WebSocket upgrades (the portal's push & pull) pass through unchanged, relayed by http-proxy, which
 * does the upgrade handshake and the byte pumping well. Only the forwarding headers are ours: the same
 * trusted-proxy rules as for every other request.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { ClientAddress } from './client-ip';

export interface WebSocketRelay {
  relay(req: IncomingMessage, socket: Duplex, head: Buffer, client: ClientAddress): void;
  close(): void;
}

export function createWebSocketRelay(upstreamUrl: string, onError: (req: IncomingMessage, err: Error) => void): WebSocketRelay {
  const proxy = httpProxy.createProxyServer({ target: upstreamUrl, ws: true, xfwd: false, changeOrigin: false });
  proxy.on('error', (err, req, socket) => {
    onError(req, err);
    if (socket && 'destroy' in socket) (socket as Duplex).destroy();
  });
  return {
    relay(req, socket, head, client) {
      const h = req.headers;
      h['x-forwarded-for'] = client.forwardedFor ? `${client.forwardedFor}, ${client.peer}` : client.peer;
      h['x-forwarded-proto'] = client.proto;
      h['x-real-ip'] = client.ip;
      if (!client.viaTrustedProxy) delete h['x-forwarded-host'];
      socket.on('error', () => socket.destroy());
      proxy.ws(req, socket, head);
    },
    close() {
      proxy.close();
    },
  };
}
