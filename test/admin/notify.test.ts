/**
 * Notifications to a portal's admins, against a real webhook receiver: blocks from a real attack,
 * unblock-request states and the reset, throttled per portal and kind (a flood is one summary), retried
 * with backoff, never carrying a secret, and the URL (which may embed a token) never logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PORTAL_SETTINGS } from '../../gateway/config/defaults';
import type { NotifySettings, PortalSettings } from '../../gateway/config/types';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { api, attackUntilBlocked, changePassword, importSeedDirectories } from './helpers';

interface Received {
  path: string;
  body: Record<string, any>;
}

function portal(notify: Partial<NotifySettings>): PortalSettings {
  return { ...DEFAULT_PORTAL_SETTINGS, notify: { ...DEFAULT_PORTAL_SETTINGS.notify, ...notify } };
}

describe('notifications', () => {
  let s: Stack;
  let receiver: http.Server;
  const received: Received[] = [];
  /** Answers to give before 200, per path (a flaky receiver). */
  const failFirst = new Map<string, number>();
  let base = '';

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const left = failFirst.get(req.url ?? '') ?? 0;
        if (left > 0) {
          failFirst.set(req.url ?? '', left - 1);
          res.writeHead(503).end();
          return;
        }
        received.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, any> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    s = await startStack({
      config: {
        trustedProxies: ['127.0.0.1/32'],
        portals: {
          localhost: portal({ webhookUrl: `${base}/local?token=HOOKSECRET42`, emailTo: ['admins@demo.example'], throttleWindowMs: 400, retries: 3, retryBaseDelayMs: 20 }),
          'acme.bitrix24.local': portal({ webhookUrl: `${base}/acme`, throttleWindowMs: 5000, retryBaseDelayMs: 20 }),
          'solo.bitrix24.local': portal({ webhookUrl: 'http://127.0.0.1:9/never?token=DEADSECRET7', retries: 1, retryBaseDelayMs: 10 }),
        },
      },
      sim: { restLimit: false },
    });
    await importSeedDirectories(s);
  });
  afterAll(async () => {
    await s.close();
    await new Promise((r) => receiver.close(r));
  });

  const at = (path: string, kind?: string): Received[] => received.filter((r) => r.path.startsWith(path) && (kind === undefined || r.body.kind === kind));

  test('a real attack: user blocked and REST blocked, each once, retried through a flaky receiver, without a secret', async () => {
    failFirst.set('/local?token=HOOKSECRET42', 2);
    await attackUntilBlocked(s, 'localhost', 'bob', '203.0.113.66');
    await eventually(() => at('/local', 'user_blocked').length === 1 && at('/local', 'rest_blocked').length === 1, 5000);
    const blocked = at('/local', 'user_blocked')[0]!.body;
    expect(blocked).toMatchObject({ source: 'portcullis', kind: 'user_blocked', portal: 'localhost', user: 'bob' });
    expect(blocked.actor).toMatch(/^rule:/);
    expect(blocked.text).toMatch(/Incorrect password/);
    const metrics = (await api<string>(s, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/portcullis_notifications_total\{channel="webhook",result="sent"\} [1-9]/);
    // The logging email sender wrote lines (recipients counted, not listed).
    expect(s.logs.some((l) => l.msg === 'notification email (logging sender: not mailed)' && l.recipients === 1)).toBe(true);
  });

  test('the unblock request, its approval and the reset reach the admins', async () => {
    const filed = await api(s, 'POST', '/v1/unblock-requests', { portal: 'localhost', blocked_user: 'bob', name: 'Bob Employee', email: 'bob@demo.example', requested_by: 'admin', channel: 'employee' });
    expect(filed.status).toBe(201);
    await api(s, 'POST', `/v1/unblock-requests/${filed.body.id}/approve`, { approved_by: 'sam' });
    await changePassword(s, 'localhost', 'bob', 'Fresh-Start-2026!bob');
    await eventually(() => ['unblock_request_filed', 'unblock_request_approved', 'reset_done'].every((k) => at('/local', k).length === 1), 5000);
    expect(at('/local', 'unblock_request_filed')[0]!.body).toMatchObject({ request: filed.body.id, channel: 'employee', user: 'bob' });
    expect(at('/local', 'unblock_request_approved')[0]!.body.actor).toBe('support:admin');
  });

  test('a flood of blocks is one message and one summary per window, not hundreds', async () => {
    const before = at('/acme').length;
    for (let i = 0; i < 40; i++) {
      expect((await api(s, 'POST', '/v1/blocks', { portal: 'acme.bitrix24.local', kind: 'user', user: `bot${i}@acme.example`, reason: 'flood test', operator: 'olga' })).status).toBe(201);
    }
    await eventually(() => at('/acme').length - before === 2, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const flood = at('/acme').slice(before);
    expect(flood).toHaveLength(2);
    expect(flood[0]!.body).toMatchObject({ kind: 'user_blocked', user: 'bot0@acme.example' });
    expect(flood[1]!.body.summary).toMatchObject({ count: 39 });
    expect(flood[1]!.body.summary.users).toHaveLength(20);
    expect(flood[1]!.body.text).toMatch(/39 more user blocked event\(s\) on acme\.bitrix24\.local/);
  });

  test('a receiver that never answers: retried, then logged without its URL; nothing carries a secret', async () => {
    await api(s, 'POST', '/v1/blocks', { portal: 'solo.bitrix24.local', kind: 'portal_rest', reason: 'test', operator: 'olga' });
    await eventually(() => s.logs.some((l) => l.msg === 'notification webhook failed' && l.portal === 'solo.bitrix24.local'), 5000);
    const failed = s.logs.find((l) => l.msg === 'notification webhook failed')!;
    expect(failed.attempts).toBe(2);
    const everything = `${s.rawLogs()}\n${JSON.stringify(received.map((r) => r.body))}`;
    for (const secret of ['HOOKSECRET42', 'DEADSECRET7', 'Demo-Bob-2024!', 'Fresh-Start-2026', 'guess-', 'demoadminhook001', 'test-admin-token']) {
      expect(everything).not.toContain(secret);
    }
  });
});
