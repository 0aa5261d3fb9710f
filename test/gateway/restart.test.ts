/**
 * A restart never unblocks anyone: the compiled gateway on the embedded store blocks a user, is killed
 * with SIGKILL (no clean shutdown, no flush), and a new process on the same state folder still refuses
 * the user's right password and the portal's REST.
 */
import { request } from 'undici';
import { startGatewayProcess, startSimProcess, stopAll, tempDir } from '../helpers/processes';

afterAll(() => stopAll());

const FORM = 'application/x-www-form-urlencoded';
const LAPTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';

async function login(url: string, password: string, ua = 'curl/8'): Promise<{ status: number; body: string }> {
  const res = await request(`${url}/auth/?login=yes`, {
    method: 'POST',
    headers: { host: 'localhost', 'content-type': FORM, 'user-agent': ua },
    body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=${encodeURIComponent(password)}`,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

async function restStatus(url: string): Promise<number> {
  const res = await request(`${url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
  await res.body.dump();
  return res.statusCode;
}

test('SIGKILL right after a block: the restarted gateway still enforces it (memory store journal)', async () => {
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const stateDir = tempDir('portcullis-restart-');
  const gw = await startGatewayProcess({ upstream: sim.url!, stateDir, logLevel: 'warn' });
  expect(await restStatus(gw.url)).toBe(200);
  // Bob has logged in through the gateway on his laptop: an account that exists (the REST block needs one).
  expect((await login(gw.url, 'Demo-Bob-2024!', LAPTOP)).status).toBe(302);
  for (let i = 0; i < 35; i++) await login(gw.url, `guess-${i}`);
  expect(await restStatus(gw.url)).toBe(403); // the block was answered: it must survive what follows
  await gw.kill();

  const again = await startGatewayProcess({ upstream: sim.url!, stateDir, logLevel: 'warn' });
  expect(await restStatus(again.url)).toBe(403);
  const right = await login(again.url, 'Demo-Bob-2024!', 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0');
  expect(right.status).toBe(200);
  expect(right.body).toContain('Incorrect login or password');
});

test('SIGKILL on the Redis store: the restarted gateway still enforces the block, from Redis', async () => {
  const { startRedisServer } = await import('../helpers/processes');
  const redis = await startRedisServer();
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  const gw = await startGatewayProcess({ upstream: sim.url!, redisUrl: redis.url, logLevel: 'warn' });
  expect((await login(gw.url, 'Demo-Bob-2024!', LAPTOP)).status).toBe(302);
  for (let i = 0; i < 35; i++) await login(gw.url, `guess-${i}`);
  expect(await restStatus(gw.url)).toBe(403);
  await gw.kill();
  // A new replica, with a state folder of its own: what it knows comes from Redis.
  const again = await startGatewayProcess({ upstream: sim.url!, redisUrl: redis.url, logLevel: 'warn' });
  expect(await restStatus(again.url)).toBe(403);
  const right = await login(again.url, 'Demo-Bob-2024!', 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0');
  expect(right.body).toContain('Incorrect login or password');
});
