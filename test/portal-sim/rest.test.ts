import { ManualClock } from '../../gateway/lib/clock';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import { call, form } from './helpers';

const HOOK = '/rest/1/demoadminhook001';
const TOKEN = 'demoaccesstoken000000000000000000000000000000001';
const APP = {
  client_id: 'local.demo0000000001.00000001',
  client_secret: 'DemoAppSecret0000000000000000000000000000000001',
  refresh_token: 'demorefreshtoken00000000000000000000000000000001',
};

let sim: PortalSim;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  sim = await startPortalSim({ hashCostMs: 0, clock });
});
afterEach(async () => {
  await sim.close();
});

const json = (body: string) => JSON.parse(body) as Record<string, any>;

describe('incoming webhooks', () => {
  test('GET user.current: the success envelope with time', async () => {
    const r = await call(sim.url, `${HOOK}/user.current.json`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const b = json(r.body);
    expect(b['result']).toMatchObject({ ID: '1', EMAIL: 'admin@demo.example', NAME: 'Alice', LAST_NAME: 'Owner' });
    expect(Object.keys(b['time']).sort()).toEqual(
      ['date_finish', 'date_start', 'duration', 'finish', 'operating', 'operating_reset_at', 'processing', 'start'].sort(),
    );
    expect(b['time'].start).toBe(clock.now() / 1000);
    expect(b['time'].date_start).toBe('2026-01-01T00:00:00+00:00');
  });

  test('method names are case-insensitive and the suffix is optional', async () => {
    for (const m of ['USER.CURRENT', 'User.Current.json', 'profile']) {
      const r = await call(sim.url, `${HOOK}/${m}`);
      expect(r.status).toBe(200);
    }
    expect(json((await call(sim.url, `${HOOK}/profile`)).body)['result']).toMatchObject({ ADMIN: true });
  });

  test('POST with a form body and with a JSON body', async () => {
    const f = form({ 'fields[TITLE]': 'Form deal', 'fields[OPPORTUNITY]': '150' });
    const added = await call(sim.url, `${HOOK}/crm.deal.add.json`, { method: 'POST', ...f });
    expect(added.status).toBe(200);
    const id = json(added.body)['result'];
    expect(typeof id).toBe('number');

    const viaJson = await call(sim.url, `${HOOK}/crm.deal.list`, {
      method: 'POST',
      body: JSON.stringify({ filter: { ID: id } }),
      headers: { 'content-type': 'application/json' },
    });
    const b = json(viaJson.body);
    expect(b['total']).toBe(1);
    expect(b['result'][0]).toMatchObject({ ID: String(id), TITLE: 'Form deal', OPPORTUNITY: '150.00' });
  });

  test('.xml renders the same envelope as XML', async () => {
    const r = await call(sim.url, `${HOOK}/user.current.xml`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(r.body).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>/);
    expect(r.body).toContain('<response><result><ID>1</ID><XML_ID></XML_ID>');
    expect(r.body).toContain('<time><start>');
    const err = await call(sim.url, '/rest/1/wrongcode0000000/user.current.xml');
    expect(err.status).toBe(401);
    expect(err.body).toContain('<error>INVALID_CREDENTIALS</error>');
  });

  test('a bad code or a wrong user id: 401 INVALID_CREDENTIALS', async () => {
    for (const p of ['/rest/1/wrongcode0000000/user.current', '/rest/2/demoadminhook001/user.current']) {
      const r = await call(sim.url, p);
      expect(r.status).toBe(401);
      expect(json(r.body)).toEqual({ error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
    }
  });

  test('an unknown method: 404 ERROR_METHOD_NOT_FOUND', async () => {
    const r = await call(sim.url, `${HOOK}/crm.nothing.here`);
    expect(r.status).toBe(404);
    expect(json(r.body)).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
  });

  test('a webhook without the scope: 401 insufficient_scope', async () => {
    const acme = { host: 'acme.bitrix24.local' };
    expect((await call(sim.url, '/rest/8/acmesaleshook008/crm.deal.list', acme)).status).toBe(200);
    const r = await call(sim.url, '/rest/8/acmesaleshook008/user.current', acme); // this hook has only crm
    expect(r.status).toBe(401);
    expect(json(r.body)['error']).toBe('insufficient_scope');
  });
});

describe('every REST entry point the portal routes', () => {
  test.each([
    ['/rest/api/1/demoadminhook001/user.current', 'REST v3'],
    ['/bitrix/services/rest/index.php/1/demoadminhook001/user.current.json', 'the script, method in the path'],
    ['/bitrix/services/rest/index.php?method=user.current&auth=' + TOKEN, 'the script, method in the query'],
    ['/local/rest/1/demoadminhook001/user.current', 'custom installs'],
    ['//rest/./1/demoadminhook001/user.current', 'a path nginx normalises'],
    ['/%72est/1/demoadminhook001/user.current', 'a percent-encoded path'],
  ])('%s (%s)', async (path) => {
    const r = await call(sim.url, path);
    expect(r.status).toBe(200);
    expect(json(r.body)['result']).toMatchObject({ ID: '1' });
  });

  test('REST never runs the login form', async () => {
    const r = await call(sim.url, `${HOOK}/user.current?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=admin&USER_PASSWORD=x`);
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
  });
});

describe('OAuth applications', () => {
  test('auth= in the query and in the body', async () => {
    const q = await call(sim.url, `/rest/user.current.json?auth=${TOKEN}`);
    expect(q.status).toBe(200);
    const b = await call(sim.url, '/rest/crm.deal.list', { method: 'POST', ...form({ auth: TOKEN }) });
    expect(b.status).toBe(200);
    expect(json(b.body)['total']).toBe(3);
  });

  test('no token or an unknown token: 401 NO_AUTH_FOUND', async () => {
    for (const p of ['/rest/user.current', '/rest/user.current?auth=nope']) {
      const r = await call(sim.url, p);
      expect(r.status).toBe(401);
      expect(json(r.body)).toEqual({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
    }
  });

  test('the access token expires after one hour by the clock: 401 expired_token', async () => {
    clock.advance(3599_000);
    expect((await call(sim.url, `/rest/user.current?auth=${TOKEN}`)).status).toBe(200);
    clock.advance(2_000);
    const r = await call(sim.url, `/rest/user.current?auth=${TOKEN}`);
    expect(r.status).toBe(401);
    expect(json(r.body)['error']).toBe('expired_token');
  });

  test('/oauth/token/ refresh: new tokens; the refresh token is spent; the new access token lives 1 h', async () => {
    clock.advance(2 * 3600_000);
    const r = await call(sim.url, `/oauth/token/?${new URLSearchParams({ grant_type: 'refresh_token', ...APP })}`);
    expect(r.status).toBe(200);
    const t = json(r.body);
    expect(t['access_token']).toMatch(/^[0-9a-f]{70}$/);
    expect(t['refresh_token']).toMatch(/^[0-9a-f]{70}$/);
    expect(t['expires_in']).toBe(3600);
    expect(t['expires']).toBe(Math.floor(clock.now() / 1000) + 3600);
    expect(t['user_id']).toBe(1);

    expect((await call(sim.url, `/rest/user.current?auth=${t['access_token']}`)).status).toBe(200);

    const reuse = await call(sim.url, '/oauth/token/', { method: 'POST', ...form({ grant_type: 'refresh_token', ...APP }) });
    expect(reuse.status).toBe(400);
    expect(json(reuse.body)['error']).toBe('invalid_grant');

    const badClient = await call(sim.url, '/oauth/token/', {
      method: 'POST',
      ...form({ grant_type: 'refresh_token', ...APP, client_secret: 'x', refresh_token: t['refresh_token'] }),
    });
    expect(json(badClient.body)['error']).toBe('invalid_client');

    clock.advance(3601_000);
    expect(json((await call(sim.url, `/rest/user.current?auth=${t['access_token']}`)).body)['error']).toBe('expired_token');
    const again = await call(sim.url, '/oauth/token/', { method: 'POST', ...form({ grant_type: 'refresh_token', ...APP, refresh_token: t['refresh_token'] }) });
    expect(again.status).toBe(200);
  });

  test('the refresh token expires after 28 days', async () => {
    clock.advance(28 * 24 * 3600_000 + 1);
    const r = await call(sim.url, `/oauth/token/?${new URLSearchParams({ grant_type: 'refresh_token', ...APP })}`);
    expect(json(r.body)).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('lists and batch', () => {
  test('crm.deal.list pages by 50 with next and total; batch adds 50 at once', async () => {
    const cmd: Record<string, string> = {};
    for (let i = 0; i < 50; i++) cmd[`cmd[add${i}]`] = `crm.deal.add?fields[TITLE]=Batch+${i}`;
    const batch = await call(sim.url, `${HOOK}/batch`, { method: 'POST', ...form(cmd) });
    expect(batch.status).toBe(200);
    const b = json(batch.body)['result'];
    expect(Object.keys(b['result'])).toHaveLength(50);
    expect(b['result_error']).toEqual([]);
    expect(Object.keys(b['result_time'])).toHaveLength(50);

    const first = json((await call(sim.url, `${HOOK}/crm.deal.list`)).body);
    expect(first['result']).toHaveLength(50);
    expect(first['total']).toBe(53);
    expect(first['next']).toBe(50);
    const second = json((await call(sim.url, `${HOOK}/crm.deal.list?start=50`)).body);
    expect(second['result']).toHaveLength(3);
    expect(second['next']).toBeUndefined();
  });

  test('batch errors per command, halt, and the 50-command limit', async () => {
    const r = await call(sim.url, `${HOOK}/batch`, {
      method: 'POST',
      body: JSON.stringify({ halt: 0, cmd: { me: 'user.current', bad: 'no.such.method', inner: 'batch', deals: 'crm.deal.list?filter[STAGE_ID]=WON' } }),
      headers: { 'content-type': 'application/json' },
    });
    const b = json(r.body)['result'];
    expect(b['result']['me']).toMatchObject({ ID: '1' });
    expect(b['result_error']['bad']).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
    expect(b['result_error']['inner']['error']).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    expect(b['result']['deals']).toHaveLength(1);
    expect(b['result_total']['deals']).toBe(1);

    const halted = json((await call(sim.url, `${HOOK}/batch?halt=1&cmd[a]=nope&cmd[b]=profile`)).body)['result'];
    expect(halted['result']).toEqual([]);
    expect(Object.keys(halted['result_error'])).toEqual(['a']);

    const cmd: Record<string, string> = {};
    for (let i = 0; i < 51; i++) cmd[`cmd[c${i}]`] = 'profile';
    const tooMany = await call(sim.url, `${HOOK}/batch`, { method: 'POST', ...form(cmd) });
    expect(tooMany.status).toBe(400);
    expect(json(tooMany.body)['error']).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
  });
});

describe('the portal\'s leaky bucket', () => {
  test('50 at once, then 503 QUERY_LIMIT_EXCEEDED; drains 2 per second by the clock', async () => {
    for (let i = 0; i < 50; i++) expect((await call(sim.url, `${HOOK}/profile`)).status).toBe(200);
    const over = await call(sim.url, `${HOOK}/profile`);
    expect(over.status).toBe(503);
    expect(json(over.body)).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    // Other portals have their own bucket.
    expect((await call(sim.url, '/rest/8/acmesaleshook008/profile', { host: 'acme.bitrix24.local' })).status).toBe(200);
    clock.advance(1000);
    expect((await call(sim.url, `${HOOK}/profile`)).status).toBe(200);
    expect((await call(sim.url, `${HOOK}/profile`)).status).toBe(200);
    expect((await call(sim.url, `${HOOK}/profile`)).status).toBe(503);
  });

  test('a batch counts once; bad credentials are not counted; restLimit:false turns it off', async () => {
    for (let i = 0; i < 49; i++) await call(sim.url, `${HOOK}/profile`);
    for (let i = 0; i < 5; i++) expect((await call(sim.url, '/rest/1/wrongcode0000000/profile')).status).toBe(401);
    const batch = await call(sim.url, `${HOOK}/batch?cmd[a]=profile&cmd[b]=profile&cmd[c]=profile`);
    expect(batch.status).toBe(200);
    expect((await call(sim.url, `${HOOK}/profile`)).status).toBe(503);

    const free = await startPortalSim({ hashCostMs: 0, restLimit: false, record: false });
    try {
      for (let i = 0; i < 60; i++) expect((await call(free.url, `${HOOK}/profile`)).status).toBe(200);
      expect(free.received).toHaveLength(0);
    } finally {
      await free.close();
    }
  });
});
