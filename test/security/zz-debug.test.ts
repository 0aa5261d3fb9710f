import { request } from 'undici';
import { startStack } from '../helpers/stack';
test('debug', async () => {
  const s = await startStack({ sim: { restLimit: false } });
  for (const n of [100 * 1024, 2 * 1024 * 1024, 10 * 1024 * 1024]) {
    s.sim.clearReceived();
    const res = await request(`${s.gw.url}/crm/`, { method: 'POST', headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' }, body: `note=${'n'.repeat(n)}&AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=Demo-Bob-2024%21` }).catch((e) => e);
    if (res instanceof Error) console.log(n, 'err', res.message); else { console.log(n, res.statusCode, await res.body.text()); }
    await new Promise((r) => setTimeout(r, 100));
    console.log(s.sim.received.map((r) => [r.url, r.aborted, r.body.length, r.body.includes('Demo-Bob')]));
  }
  console.log(s.logs.filter(l => l.msg === 'request' || l.level === 'error' || l.level==='warn' || (l.level as any) >= 40).map(l => JSON.stringify(l).slice(0, 400)).join('\n'));
  await s.close();
});
