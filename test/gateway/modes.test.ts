/**
 * Operating modes: global shadow (evaluate and log, enforce nothing), the allowlist (no rule blocks
 * those addresses), and the store's failure modes on a Redis that is stopped (fail_closed refuses,
 * memory_fallback keeps counting and blocking locally).
 */
import { request } from 'undici';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import { startRedisServer, stopAll } from '../helpers/processes';
import { eventually, startStack, type Stack } from '../helpers/stack';

afterAll(() => stopAll());

async function attack(s: Stack, user: string, n: number, ip = '203.0.113.99'): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < n; i++) {
    const res = await request(`${s.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, 'user-agent': 'curl/8' },
      body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=${user}&USER_PASSWORD=guess${i}`,
    });
    await res.body.dump();
  }
  await eventually(() => s.logs.filter((l) => l.msg === 'request' && l.login === user).length === n);
  return s.logs.filter((l) => l.msg === 'request' && l.login === user);
}

test('global shadow: the attack is scored and logged as would_have, nothing is blocked', async () => {
  const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], shadow: true } });
  try {
    const lines = await attack(s, 'bob', 35);
    expect(s.gw.blocks.list()).toEqual([]);
    expect(lines.every((l) => l.action === 'none')).toBe(true);
    expect(lines.some((l) => l.would_have === 'block_user')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ answer: 'forwarded' });
    const audit = await s.gw.store.queryAudit({ portal: 'localhost', type: 'would_have', limit: 50 });
    expect(audit.map((e) => e.details?.action)).toEqual(expect.arrayContaining(['block_user', 'block_portal_rest']));
    expect(audit.filter((e) => e.details?.action === 'block_user')).toHaveLength(1); // once, not once per request
  } finally {
    await s.close();
  }
});

test('the allowlist: a spray from an allowlisted address never blocks the address', async () => {
  const s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], allowlist: ['192.0.2.0/24'] } });
  try {
    for (let u = 0; u < 12; u++) await attack(s, `user${u}`, 1, '192.0.2.44');
    expect(s.gw.blocks.list().filter((b) => b.kind === 'ip' || b.kind === 'ip_prefix')).toEqual([]);
    // The same spray from elsewhere blocks that address.
    for (let u = 0; u < 12; u++) await attack(s, `other${u}`, 1, '198.51.100.44');
    expect(s.gw.blocks.find('localhost', 'ip', '198.51.100.44')).toBeDefined();
  } finally {
    await s.close();
  }
});

test('Redis stopped: logins in fail_closed are refused with 503; in memory_fallback they are still counted and blocked locally', async () => {
  const redis = await startRedisServer();
  const closed = await startStack({
    config: {
      trustedProxies: ['127.0.0.1/32'],
      store: { kind: 'redis', url: redis.url },
      storeOptions: { ...DEFAULT_CONFIG.storeOptions, failureModes: { ...DEFAULT_CONFIG.storeOptions.failureModes, login: 'fail_closed' } },
    },
  });
  const fallback = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], store: { kind: 'redis', url: redis.url } } });
  try {
    await redis.stop();
    const res = await request(`${closed.gw.url}/auth/?login=yes`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=x',
    });
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    // REST stays fail_open: it keeps answering.
    const restRes = await request(`${closed.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
    expect(restRes.statusCode).toBe(200);
    await restRes.body.dump();

    const lines = await attack(fallback, 'carol', 12);
    expect(lines.at(-1)).toMatchObject({ action: 'deny_attempt' });
    await redis.start();
  } finally {
    await closed.close();
    await fallback.close();
  }
});

test("the portal's REST bucket is mirrored: over it, the gateway answers 503 QUERY_LIMIT_EXCEEDED before the portal pays", async () => {
  const s = await startStack({
    config: { portals: { localhost: { ...DEFAULT_CONFIG.portalDefaults, rest: { ...DEFAULT_CONFIG.portalDefaults.rest, limit: { burst: 5, drainPerSecond: 1 } } } } },
    sim: { restLimit: false },
  });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
      statuses.push(res.statusCode);
      if (res.statusCode === 503) expect(await res.body.json()).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
      else await res.body.dump();
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([503, 503, 503]);
    expect(s.sim.received.filter((r) => r.url.includes('user.current'))).toHaveLength(5);
  } finally {
    await s.close();
  }
});

test("calls refused by a block do not drain the mirrored bucket: a blocked portal's integrations get 403, never 503", async () => {
  const s = await startStack({
    config: { portals: { localhost: { ...DEFAULT_CONFIG.portalDefaults, rest: { ...DEFAULT_CONFIG.portalDefaults.rest, limit: { burst: 5, drainPerSecond: 0.01 } } } } },
    sim: { restLimit: false },
  });
  const call = async (): Promise<number> => {
    const res = await request(`${s.gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
    await res.body.dump();
    return res.statusCode;
  };
  try {
    const { record, durable } = s.gw.lockout.block({ portal: 'localhost', kind: 'portal_rest', subject: '', actor: 'operator:test', reason: 'bucket order test' });
    await durable;
    const blocked: number[] = [];
    for (let i = 0; i < 12; i++) blocked.push(await call());
    expect(blocked).toEqual(Array(12).fill(403));
    // The portal never saw those twelve, so its bucket (and the mirror) is still full: five go through.
    s.gw.lockout.lift(record, 'operator:test');
    const after: number[] = [];
    for (let i = 0; i < 6; i++) after.push(await call());
    expect(after).toEqual([200, 200, 200, 200, 200, 503]);
  } finally {
    await s.close();
  }
});
