/** Binding a listener, with a clear error (and code) when the address is taken or not ours. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config/types';
import { PortcullisError } from './errors';

export function listen(server: Server, at: HostPort, what: string): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new PortcullisError('PC_ERR_LISTEN', `${what} cannot listen on ${formatHostPort(at)}: ${err.code ?? err.message}`, { what, code: err.code }));
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      resolve({ host: at.host, port: a.port });
    });
  });
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** True for an address only this machine reaches (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

/** A URL a person can paste: 0.0.0.0 and :: are shown as the loopback they can reach. */
export function urlOf(hp: HostPort): string {
  const host = hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host === '::' ? '[::1]' : hp.host.includes(':') ? `[${hp.host}]` : hp.host;
  return `http://${host}:${hp.port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
