import { resolveClientAddress } from '../../gateway/edge/client-ip';
import { upstreamRequestHeaders } from '../../gateway/edge/forward-headers';
import { CidrSet } from '../../gateway/lib/ip';

const trusted = new CidrSet(['10.0.0.0/8', '::1/128']);

describe('X-Forwarded-For is believed only from trusted proxies', () => {
  test('an untrusted peer cannot choose its address', () => {
    const c = resolveClientAddress('203.0.113.9', false, { 'x-forwarded-for': '198.51.100.1' }, trusted);
    expect(c.ip).toBe('203.0.113.9');
    expect(c.viaTrustedProxy).toBe(false);
  });
  test('a trusted proxy: the right-most untrusted hop is the client', () => {
    const c = resolveClientAddress('10.0.0.5', false, { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.0.0.9' }, trusted);
    expect(c.ip).toBe('198.51.100.1'); // 6.6.6.6 was planted by the client and is not believed
    expect(c.forwardedFor).toBe('6.6.6.6, 198.51.100.1, 10.0.0.9');
  });
  test('RFC 7239 Forwarded when there is no XFF, with ports and IPv6', () => {
    expect(resolveClientAddress('10.0.0.5', false, { forwarded: 'for=192.0.2.60:8080;proto=https' }, trusted).ip).toBe('192.0.2.60');
    expect(resolveClientAddress('10.0.0.5', false, { forwarded: 'for="[2001:db8::1]:4711"' }, trusted).ip).toBe('2001:db8::1');
  });
  test('garbage in a trusted chain stops the walk at the last good hop', () => {
    expect(resolveClientAddress('10.0.0.5', false, { 'x-forwarded-for': 'junk, 10.0.0.7' }, trusted).ip).toBe('10.0.0.7');
  });
  test('IPv4-mapped peers are folded to IPv4', () => {
    expect(resolveClientAddress('::ffff:203.0.113.9', false, {}, trusted).ip).toBe('203.0.113.9');
  });
  test('X-Forwarded-Proto only from a trusted proxy', () => {
    expect(resolveClientAddress('10.0.0.5', false, { 'x-forwarded-proto': 'https' }, trusted).proto).toBe('https');
    expect(resolveClientAddress('203.0.113.9', false, { 'x-forwarded-proto': 'https' }, trusted).proto).toBe('http');
  });
});

describe('headers sent to the portal', () => {
  test('hop-by-hop and client-planted forwarding headers are dropped; XFF is set from what we know', () => {
    const client = resolveClientAddress('203.0.113.9', false, {}, trusted);
    const h = upstreamRequestHeaders(
      {
        host: 'portal.example', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1', 'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked', 'x-forwarded-for': '1.1.1.1', 'x-real-ip': '1.1.1.1', 'x-forwarded-host': 'evil.example', cookie: 'a=b',
      },
      client,
    );
    expect(h).toEqual({ host: 'portal.example', cookie: 'a=b', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http', 'x-real-ip': '203.0.113.9' });
  });
  test('from a trusted proxy the chain is appended to', () => {
    const client = resolveClientAddress('10.0.0.5', false, { 'x-forwarded-for': '198.51.100.1' }, trusted);
    const h = upstreamRequestHeaders({ host: 'p', 'x-forwarded-for': '198.51.100.1', 'x-forwarded-host': 'portal.example' }, client);
    expect(h['x-forwarded-for']).toBe('198.51.100.1, 10.0.0.5');
    expect(h['x-real-ip']).toBe('198.51.100.1');
    expect(h['x-forwarded-host']).toBe('portal.example');
  });
});
