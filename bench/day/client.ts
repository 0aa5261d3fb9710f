/**
 * The generator's HTTP side: every request goes to the gateway as a real client's would, through a
 * trusted ingress (X-Forwarded-For carries the simulated client's address), with the device's
 * user agent and cookie jar (the gateway's pc_device cookie among them).
 */
import http from 'node:http';
import type { Device } from './population';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface Call {
  readonly host: string;
  readonly ip: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly form?: Readonly<Record<string, string>>;
  readonly device?: Device;
  /** Without a device (scripts, servers): this user agent. */
  readonly ua?: string;
}

export class GatewayClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  /** Transport failures (not answers): reported, never retried. */
  errors = 0;

  constructor(gatewayUrl: string, maxSockets = 64) {
    this.base = new URL(gatewayUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(call: Call): Promise<Answer> {
    const body = call.form ? new URLSearchParams(call.form as Record<string, string>).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = {
      host: call.host,
      'x-forwarded-for': call.ip,
      'user-agent': call.device?.ua ?? call.ua ?? 'curl/8.5.0',
      accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const cookie = call.device ? [...call.device.jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
    if (cookie) headers.cookie = cookie;
    return new Promise((resolve) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method: call.method, path: call.path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (call.device) keepCookies(call.device, res.headers['set-cookie']);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
          });
          res.on('error', () => {
            this.errors++;
            resolve({ status: 0, body: '', headers: {} });
          });
        },
      );
      req.on('error', () => {
        this.errors++;
        resolve({ status: 0, body: '', headers: {} });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function keepCookies(device: Device, setCookie: string[] | undefined): void {
  for (const line of setCookie ?? []) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq <= 0) continue;
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const gone = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '' || value === 'deleted';
    if (gone) device.jar.delete(name);
    else device.jar.set(name, value);
  }
}
