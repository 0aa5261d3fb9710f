/**
 * The Activity page's numbers, read from a real gateway's /metrics by the console's own parser: its
 * "decoy answers" count every `decoy:<why>` answer. It showed 0 because it looked for a bare `decoy`
 * answer label, which the gateway never writes (request-line.ts writes `decoy:user_blocked`, …).
 */
import { decoyAnswers, parseMetrics, sumBy } from '../../console/metrics';
import { api, login } from '../admin/helpers';
import { startStack, type Stack } from '../helpers/stack';

describe('the Activity page\u2019s decoy count', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] } });
  });
  afterAll(() => s?.close());

  test('counts the decoys a blocked user and a blocked address got', async () => {
    const before = decoyAnswers(sumBy(parseMetrics(String((await api(s, 'GET', '/metrics')).body)), 'portcullis_requests_total', 'answer'));
    expect((await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'user', user: 'bob', reason: 'decoy count' })).status).toBe(201);
    expect((await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip: '198.51.100.44', reason: 'decoy count' })).status).toBe(201);
    for (let i = 0; i < 3; i++) await login(s, 'localhost', 'bob', 'Demo-Bob-2024!', '192.0.2.10');
    for (let i = 0; i < 2; i++) await login(s, 'localhost', 'carol', 'whatever', '198.51.100.44');

    const byAnswer = sumBy(parseMetrics(String((await api(s, 'GET', '/metrics')).body)), 'portcullis_requests_total', 'answer');
    expect(byAnswer.get('decoy:user_blocked')).toBeGreaterThanOrEqual(3);
    expect(byAnswer.get('decoy:ip_blocked')).toBeGreaterThanOrEqual(2);
    // The old reading: no such label, so the page showed 0.
    expect(byAnswer.get('decoy')).toBeUndefined();
    expect(decoyAnswers(byAnswer) - before).toBe(5);
  });

  test('decoyAnswers sums every decoy:* label and nothing else', () => {
    expect(decoyAnswers(new Map([['decoy:user_blocked', 2], ['decoy:deny_attempt', 3], ['forwarded', 100], ['decoyish', 7], ['rest_blocked', 4]]))).toBe(5);
    expect(decoyAnswers(new Map())).toBe(0);
  });
});
