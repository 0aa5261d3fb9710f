/**
 * `portcullis serve` as a real process, its stdout read: the start line names the addresses as bound
 * (0.0.0.0 is not 127.0.0.1) and warns about a non-loopback admin listener without a token; a
 * metrics-only token (PORTCULLIS_METRICS_TOKEN) scrapes /metrics and nothing else; the scrape listener
 * (PORTCULLIS_METRICS_LISTEN) answers /metrics without a token and nothing else; the admin-plane
 * events of a block made and lifted are log lines naming the token, and no token is ever written.
 */
import { request } from 'undici';
import { freePort, startGatewayProcess, startSimProcess, stopAll, type SimProcess } from '../helpers/processes';

jest.setTimeout(60_000);

const ADMIN = 'process-admin-token-0123456789';
const METRICS = 'process-metrics-token-0123456789';

async function call(url: string, method: string, token: string | null, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const res = await request(url, {
    method: method as 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // metrics text
  }
  return { status: res.statusCode, text, json };
}

/** The JSON lines of a process's output. */
function lines(output: string): Record<string, any>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        return {};
      }
    });
}

describe('the admin listener and the metrics listener of a real process', () => {
  let sim: SimProcess;
  beforeAll(async () => {
    sim = await startSimProcess({ hashCostMs: 0 });
  });
  afterAll(() => stopAll());

  test('bound to 0.0.0.0 without a token: the start line says 0.0.0.0, and a warning says what to do', async () => {
    const adminPort = await freePort();
    const gw = await startGatewayProcess({ upstream: sim.url, adminPort, env: { PORTCULLIS_ADMIN_LISTEN: `0.0.0.0:${adminPort}` } });
    await gw.waitForOutput(/gateway listening/);
    const start = lines(gw.output()).find((l) => l.msg === 'gateway listening')!;
    expect(start.admin).toBe(`0.0.0.0:${adminPort}`);
    const warn = lines(gw.output()).find((l) => l.level === 'warn' && /non-loopback/.test(String(l.msg)));
    expect(warn).toMatchObject({ admin: `0.0.0.0:${adminPort}` });
    expect(warn!.msg).toMatch(/PORTCULLIS_ADMIN_TOKEN/);
    await gw.stop();
  });

  test('on loopback with a token: the start line says 127.0.0.1 and there is no warning', async () => {
    const gw = await startGatewayProcess({ upstream: sim.url, env: { PORTCULLIS_ADMIN_TOKEN: ADMIN } });
    await gw.waitForOutput(/gateway listening/);
    const out = lines(gw.output());
    expect(out.find((l) => l.msg === 'gateway listening')!.admin).toBe(`127.0.0.1:${gw.adminPort}`);
    expect(out.some((l) => /non-loopback/.test(String(l.msg)))).toBe(false);
    await gw.stop();
  });

  test('a metrics token scrapes /metrics only; the scrape listener needs no token and serves nothing else; admin events reach stdout by token name', async () => {
    const scrapePort = await freePort();
    const gw = await startGatewayProcess({
      upstream: sim.url,
      env: { PORTCULLIS_ADMIN_TOKEN: ADMIN, PORTCULLIS_METRICS_TOKEN: METRICS, PORTCULLIS_METRICS_LISTEN: `127.0.0.1:${scrapePort}` },
    });
    const scraped = await call(`${gw.adminUrl}/metrics`, 'GET', METRICS);
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('portcullis_requests_total');
    const listed = await call(`${gw.adminUrl}/v1/blocks`, 'GET', METRICS);
    expect(listed.status).toBe(403);
    expect(listed.json).toMatchObject({ code: 'PC_ERR_ADMIN_ROLE_REFUSED', role: 'metrics' });
    expect((await call(`${gw.adminUrl}/metrics`, 'GET', null)).status).toBe(401);

    const open = await call(`http://127.0.0.1:${scrapePort}/metrics`, 'GET', null);
    expect(open.status).toBe(200);
    expect(open.text).toContain('portcullis_requests_total');
    for (const path of ['/v1/blocks', '/openapi.json', '/console/']) expect((await call(`http://127.0.0.1:${scrapePort}${path}`, 'GET', ADMIN)).status).toBe(404);
    expect((await call(`http://127.0.0.1:${scrapePort}/metrics`, 'POST', null)).status).toBe(405);

    const made = await call(`${gw.adminUrl}/v1/blocks`, 'POST', ADMIN, { portal: 'localhost', kind: 'ip', ip: '198.51.100.77', reason: 'process test', operator: 'mallory' });
    expect(made.status).toBe(201);
    expect((await call(`${gw.adminUrl}/v1/blocks/${made.json.items[0].id}`, 'DELETE', ADMIN)).status).toBe(200);
    // The log is written in blocks; every line is out once the process has stopped.
    await gw.stop();
    const out = lines(gw.output());
    expect(out.find((l) => l.msg === 'gateway listening')).toMatchObject({ metrics: `127.0.0.1:${scrapePort}`, admin_tokens: 2 });
    expect(out).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'audit', type: 'ip_blocked', actor: 'operator:admin', portal: 'localhost' }),
        expect.objectContaining({ event: 'audit', type: 'block_lifted', actor: 'operator:admin' }),
        expect.objectContaining({ event: 'admin_call', operation: 'createBlock', status: 201, token_name: 'admin', role: 'admin' }),
        expect.objectContaining({ event: 'admin_call', operation: 'listBlocks', status: 403, token_name: 'metrics', role: 'metrics' }),
        expect.objectContaining({ event: 'admin_call', operation: 'metrics', status: 401, token_name: null }),
      ]),
    );
    expect(gw.output()).not.toContain(ADMIN);
    expect(gw.output()).not.toContain(METRICS);
    expect(gw.output()).not.toContain('mallory');
  });
});
