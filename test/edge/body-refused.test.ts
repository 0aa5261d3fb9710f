/**
 * A form body larger than the buffering cap whose login fields are in its first bytes is refused (413)
 * before the portal sees a complete request, and the refusal is not a stray 'error' event. When a stage
 * answers first (a block, a refusal), nothing ever reads the destroyed stream, and its 'error' had no
 * listener (found by the secrets test, where jest caught it as an unhandled error; a served gateway
 * only reported it through its last-resort uncaughtException handler).
 */
import { startStack, type Stack } from '../helpers/stack';
import { raw } from '../security/helpers';

describe('a login form past the buffering cap, found in its first bytes', () => {
  let s: Stack;
  const stray: unknown[] = [];
  const onStray = (err: unknown): void => {
    stray.push(err);
  };
  beforeAll(async () => {
    s = await startStack();
    process.on('uncaughtException', onStray);
  });
  afterAll(async () => {
    process.off('uncaughtException', onStray);
    await s.close();
  });

  it.each([
    ['url-encoded, padding after the fields', 'application/x-www-form-urlencoded', `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=x&pad=${'p'.repeat(70 * 1024)}`],
    ['url-encoded, one big field before', 'application/x-www-form-urlencoded', `AUTH_FORM=Y&pad=${'p'.repeat(70 * 1024)}&TYPE=AUTH&USER_LOGIN=bob`],
  ])('%s: 413, no stray error', async (_name, contentType, body) => {
    const r = await raw(s.gw.listen.port, { method: 'POST', target: '/auth/', headers: [['Content-Type', contentType]], body });
    await new Promise((res) => setImmediate(res));
    expect(r.status).toBe(413);
    expect(stray).toEqual([]);
  });

  // The head carries no AUTH_FORM (else the edge refuses before any stage runs), and the Host is no
  // host name: the classify stage answers 400 whatever the kind.
  it('a stage answers before anything reads the body (a Host that is no host name): no stray error', async () => {
    const body = `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=bob&USER_PASSWORD=x&pad=${'p'.repeat(70 * 1024)}`;
    const r = await raw(s.gw.listen.port, { method: 'POST', target: '/auth/', host: `${'a'.repeat(64)}.example`, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body });
    await new Promise((res) => setTimeout(res, 50));
    expect(r.status).toBe(400);
    expect(stray).toEqual([]);
  });
});
