import { raw, blockBobAndRest, BOB_PASSWORD } from './helpers';
import { startStack } from '../helpers/stack';
test('debug', async () => {
  const s = await startStack({ sim: { restLimit: false, captchaAfterFailures: 0 } });
  await blockBobAndRest(s);
  const Q = new URLSearchParams({ AUTH_FORM: 'Y', TYPE: 'auth', USER_LOGIN: 'bob', USER_PASSWORD: BOB_PASSWORD }).toString();
  const r = await raw(s.gw.listen.port, { method: 'POST', target: '/auth/', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Q });
  console.log(r.raw.slice(0, 600));
  const r2 = await raw(s.gw.listen.port, { method: 'HEAD', target: '/crm/?' + Q.replace('auth','AUTH') });
  console.log(r2.raw.slice(0, 600));
  await new Promise((r) => setTimeout(r, 200));
  console.log(s.rawLogs().split('\n').filter(l => !l.includes('"msg":"request"') || l.includes('error')).join('\n').slice(0, 5000));
  console.log(s.logs.filter(l => l.msg === 'request'));
  await s.close();
});
