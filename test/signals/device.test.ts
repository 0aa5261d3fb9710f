import type { IncomingHttpHeaders } from 'node:http';
import {
  deviceSignals,
  deviceToRemember,
  DEVICE_COOKIE_MAX_AGE_MS,
  issueDeviceCookie,
  isBotUserAgent,
  newDeviceId,
  NO_DEVICE_COOKIE,
  NO_DEVICE_HISTORY,
  readDeviceCookie,
  userAgentTraits,
  type DeviceHistory,
} from '../../gateway/signals';

const SECRET = 'test-deployment-secret-0123456789';
const NOW = Date.UTC(2026, 0, 15, 12);
const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CHROME_WIN_NEXT = CHROME_WIN.replace('Chrome/124.', 'Chrome/125.');
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

function head(ua: string | undefined, extra: IncomingHttpHeaders = {}) {
  const headers: IncomingHttpHeaders = { 'accept-language': 'en-US,en;q=0.9', ...extra };
  if (ua !== undefined) headers['user-agent'] = ua;
  return { headers };
}

/** The cookie pair a browser would send back for a Set-Cookie value. */
const cookiePair = (setCookie: string): string => setCookie.split(';')[0]!;

function fingerprint(ua: string | undefined, extra: IncomingHttpHeaders = {}, ip = '198.51.100.7') {
  // The IP is not an input at all: it is passed around here only to show that.
  void ip;
  return deviceSignals(head(ua, extra), NO_DEVICE_COOKIE, NO_DEVICE_HISTORY, { secret: SECRET }).signals.fingerprint;
}

describe('device fingerprint', () => {
  it('is the same for the same browser from a new IP, and for another patch version', () => {
    expect(fingerprint(CHROME_WIN, {}, '198.51.100.7')).toBe(fingerprint(CHROME_WIN, {}, '203.0.113.99'));
    expect(fingerprint(CHROME_WIN)).toBe(fingerprint(CHROME_WIN.replace('124.0.0.0', '124.0.6367.91')));
  });

  it('differs for another OS, another major version, another language, another client hint', () => {
    const base = fingerprint(CHROME_WIN);
    expect(fingerprint(CHROME_MAC)).not.toBe(base);
    expect(fingerprint(CHROME_WIN_NEXT)).not.toBe(base);
    expect(fingerprint(CHROME_WIN, { 'accept-language': 'ru-RU,ru;q=0.9' })).not.toBe(base);
    expect(fingerprint(CHROME_WIN, { 'sec-ch-ua-mobile': '?1' })).not.toBe(base);
  });

  it('differs by deployment secret and is a keyed hash, not the traits', () => {
    const other = deviceSignals(head(CHROME_WIN), NO_DEVICE_COOKIE, NO_DEVICE_HISTORY, { secret: 'another-secret' }).signals.fingerprint;
    expect(other).not.toBe(fingerprint(CHROME_WIN));
    expect(fingerprint(CHROME_WIN)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('gives defined values for an unparseable, an empty and a huge user agent', () => {
    for (const ua of ['garbage \u0000 ((( ;;', '', undefined, 'x'.repeat(100_000), '()'.repeat(50_000)]) {
      const s = deviceSignals(head(ua, { 'accept-language': '' }), NO_DEVICE_COOKIE, NO_DEVICE_HISTORY, { secret: SECRET }).signals;
      expect(typeof s.fingerprint).toBe('string');
      expect(s.browser).toBe('');
      expect(s.os).toBe('');
      expect(s.known).toBe(false);
    }
    // No trait at all: no fingerprint (nothing tells one such client from another).
    expect(fingerprint(undefined, { 'accept-language': '' })).toBe('');
  });

  it('names the browser and OS, and a non-browser by its product', () => {
    expect(userAgentTraits(CHROME_WIN)).toMatchObject({ browser: 'Chrome', major: '124', os: 'Windows' });
    expect(userAgentTraits(IPHONE)).toMatchObject({ browser: 'Mobile Safari', os: 'iOS', deviceType: 'mobile' });
    expect(userAgentTraits('curl/8.5.0')).toMatchObject({ browser: 'curl', major: '8' });
    expect(fingerprint('curl/8.5.0')).not.toBe(fingerprint('python-requests/2.31.0'));
  });
});

describe('device.is_bot', () => {
  it.each(['', 'curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36'])(
    '%s is a bot',
    (ua) => expect(isBotUserAgent(ua)).toBe(true),
  );
  it.each([CHROME_WIN, IPHONE, 'Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'])(
    '%s is a person',
    (ua) => expect(isBotUserAgent(ua)).toBe(false),
  );
});

describe('signed device cookie', () => {
  const deviceId = newDeviceId();
  const setCookie = issueDeviceCookie(SECRET, { deviceId, nowMs: NOW, secure: true });

  it('is HttpOnly, SameSite=Lax, Path=/, a year, and Secure only over HTTPS', () => {
    expect(setCookie).toMatch(/^pc_device=v1\.[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{22}; /);
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; SameSite=Lax');
    expect(setCookie).toContain('; Path=/');
    expect(setCookie).toContain('; Max-Age=31536000');
    expect(setCookie).toContain('; Secure');
    expect(issueDeviceCookie(SECRET, { deviceId, nowMs: NOW, secure: false })).not.toContain('Secure');
  });

  it('round-trips: the id comes back valid, later and from anywhere', () => {
    const r = readDeviceCookie(SECRET, `PHPSESSID=abc; ${cookiePair(setCookie)}; BITRIX_SM_LOGIN=bob`, { nowMs: NOW + 3600_000 });
    expect(r).toMatchObject({ present: true, valid: true, forged: false, expired: false, duplicate: false, deviceId });
  });

  it('a wrong signature is forged, not valid', () => {
    const [name, value] = cookiePair(setCookie).split('=') as [string, string];
    const parts = value.split('.');
    const sig = parts[3]!;
    parts[3] = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const r = readDeviceCookie(SECRET, `${name}=${parts.join('.')}`, { nowMs: NOW });
    expect(r).toMatchObject({ present: true, valid: false, forged: true, deviceId: '' });
  });

  it('a cookie signed with another secret is forged', () => {
    const theirs = issueDeviceCookie('attacker-secret', { deviceId, nowMs: NOW, secure: true });
    expect(readDeviceCookie(SECRET, cookiePair(theirs), { nowMs: NOW })).toMatchObject({ valid: false, forged: true });
  });

  it('a tampered id or issue time is forged', () => {
    const value = cookiePair(setCookie).slice('pc_device='.length);
    const [v, id, issued, sig] = value.split('.') as [string, string, string, string];
    const otherId = newDeviceId();
    expect(readDeviceCookie(SECRET, `pc_device=${v}.${otherId}.${issued}.${sig}`, { nowMs: NOW })).toMatchObject({ valid: false, forged: true });
    const later = (parseInt(issued, 36) + 1000).toString(36);
    expect(readDeviceCookie(SECRET, `pc_device=${v}.${id}.${later}.${sig}`, { nowMs: NOW })).toMatchObject({ valid: false, forged: true });
  });

  it('an expired cookie is neither valid nor forged', () => {
    const r = readDeviceCookie(SECRET, cookiePair(setCookie), { nowMs: NOW + DEVICE_COOKIE_MAX_AGE_MS + 1000 });
    expect(r).toMatchObject({ present: true, valid: false, forged: false, expired: true, deviceId: '' });
  });

  it('verifies with a previous secret during rotation, and signs with the first', () => {
    const old = issueDeviceCookie('old-secret', { deviceId, nowMs: NOW, secure: true });
    expect(readDeviceCookie([SECRET, 'old-secret'], cookiePair(old), { nowMs: NOW })).toMatchObject({ valid: true, deviceId });
    const fresh = issueDeviceCookie([SECRET, 'old-secret'], { deviceId, nowMs: NOW, secure: true });
    expect(readDeviceCookie(SECRET, cookiePair(fresh), { nowMs: NOW }).valid).toBe(true);
  });

  it.each([
    ['garbage', 'pc_device=%%%garbage!!!'],
    ['truncated', () => cookiePair(setCookie).slice(0, -5)],
    ['only a prefix', 'pc_device=v1.'],
    ['too many parts', () => `${cookiePair(setCookie)}.extra`],
    ['huge value', `pc_device=${'A'.repeat(5000)}`],
    ['unicode', 'pc_device=v1.ж.ж.ж'],
  ])('a %s cookie is forged, never an exception', (_label, header) => {
    const h = typeof header === 'function' ? header() : header;
    const r = readDeviceCookie(SECRET, h, { nowMs: NOW });
    expect(r).toMatchObject({ present: true, valid: false, forged: true, deviceId: '' });
  });

  it('no cookie, an empty one, or no header at all: absent', () => {
    for (const h of [undefined, '', 'PHPSESSID=abc', 'pc_device=', 'pc_devicex=1', 'xpc_device=1', ';;;==;']) {
      expect(readDeviceCookie(SECRET, h, { nowMs: NOW })).toEqual(NO_DEVICE_COOKIE);
    }
  });

  it('two cookies of the name: duplicate, the valid one used, the forged one reported', () => {
    const good = cookiePair(setCookie);
    const both = readDeviceCookie(SECRET, `pc_device=garbage; ${good}`, { nowMs: NOW });
    expect(both).toMatchObject({ duplicate: true, valid: true, forged: true, deviceId });
    const twoGood = readDeviceCookie(SECRET, `${good}; ${good}`, { nowMs: NOW });
    expect(twoGood).toMatchObject({ duplicate: true, valid: true, forged: false, deviceId });
  });

  it('a 10 KB cookie header with ours at the end is read', () => {
    const filler = Array.from({ length: 400 }, (_, i) => `c${i}=${'v'.repeat(20)}`).join('; ');
    expect(filler.length).toBeGreaterThan(10_000);
    const r = readDeviceCookie(SECRET, `${filler}; ${cookiePair(setCookie)}`, { nowMs: NOW });
    expect(r).toMatchObject({ valid: true, deviceId });
    expect(readDeviceCookie(SECRET, `${filler}; ${'pc_device=x; '.repeat(1000)}`, { nowMs: NOW })).toMatchObject({ valid: false, forged: true, duplicate: true });
  });
});

describe('device.known for a user', () => {
  const deviceId = newDeviceId();
  const cookie = readDeviceCookie(SECRET, cookiePair(issueDeviceCookie(SECRET, { deviceId, nowMs: NOW, secure: true })), { nowMs: NOW });
  const fp = fingerprint(CHROME_WIN);

  it('is known by cookie when its id succeeded for the user, from any IP and any browser', () => {
    const history: DeviceHistory = { knownDeviceIds: new Set([deviceId]), knownFingerprints: new Set() };
    const s = deviceSignals(head(CHROME_MAC), cookie, history, { secret: SECRET }).signals;
    expect(s).toMatchObject({ known: true, known_by: 'cookie', cookie_valid: true, first_seen: false });
  });

  it('is known by fingerprint without a cookie, and says so', () => {
    const history: DeviceHistory = { knownDeviceIds: new Set(), knownFingerprints: new Set([fp]) };
    const s = deviceSignals(head(CHROME_WIN), NO_DEVICE_COOKIE, history, { secret: SECRET }).signals;
    expect(s).toMatchObject({ known: true, known_by: 'fingerprint', cookie_valid: false, count_for_user: 1 });
  });

  it('is unknown for another device, and first seen when nobody has seen it', () => {
    const history: DeviceHistory = { knownDeviceIds: new Set(['someone-else']), knownFingerprints: new Set([fp]) };
    const s = deviceSignals(head(IPHONE), NO_DEVICE_COOKIE, history, { secret: SECRET }).signals;
    expect(s).toMatchObject({ known: false, known_by: '', first_seen: true });
    const seen = deviceSignals(head(IPHONE), NO_DEVICE_COOKIE, { ...history, fingerprintSeenBefore: true }, { secret: SECRET }).signals;
    expect(seen.first_seen).toBe(false);
  });

  it('a forged cookie is reported and makes nothing known by cookie', () => {
    const forged = readDeviceCookie(SECRET, `pc_device=v1.${deviceId}.abc.${'A'.repeat(22)}`, { nowMs: NOW });
    const s = deviceSignals(head(IPHONE), forged, { knownDeviceIds: new Set([deviceId]), knownFingerprints: new Set() }, { secret: SECRET }).signals;
    expect(s).toMatchObject({ known: false, cookie_forged: true, cookie_valid: false });
  });

  it('after a success: mints an id and asks for a cookie when there is none; keeps a fresh one', () => {
    const none = deviceSignals(head(CHROME_WIN), NO_DEVICE_COOKIE, NO_DEVICE_HISTORY, { secret: SECRET });
    expect(deviceToRemember(none, { nowMs: NOW, mintDeviceId: () => 'minted' })).toEqual({ deviceId: 'minted', fingerprint: fp, issueCookie: true });
    const withCookie = deviceSignals(head(CHROME_WIN), cookie, NO_DEVICE_HISTORY, { secret: SECRET });
    expect(deviceToRemember(withCookie, { nowMs: NOW + 1000, mintDeviceId: () => 'minted' })).toEqual({ deviceId, fingerprint: fp, issueCookie: false });
    expect(deviceToRemember(withCookie, { nowMs: NOW + 40 * 86_400_000, mintDeviceId: () => 'minted' }).issueCookie).toBe(true);
  });
});

describe('device cookie spelling', () => {
  test('a signature re-spelled in its unused low bits is refused, though it decodes to the same bytes', () => {
    const secret = 'spelling-test-secret-0123456789';
    const { deviceCookieValue, readDeviceCookie, newDeviceId } = require('../../gateway/signals/device/device-cookie') as typeof import('../../gateway/signals/device/device-cookie');
    const value = deviceCookieValue(secret, newDeviceId(), Date.UTC(2026, 0, 1));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = value.at(-1)!;
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!; // same high bits: same decoded bytes
    const respelled = value.slice(0, -1) + sibling;
    expect(Buffer.from(respelled.split('.')[3]!, 'base64url')).toEqual(Buffer.from(value.split('.')[3]!, 'base64url'));
    const now = { nowMs: Date.UTC(2026, 0, 2) };
    expect(readDeviceCookie(secret, `pc_device=${value}`, now).valid).toBe(true);
    expect(readDeviceCookie(secret, `pc_device=${respelled}`, now)).toMatchObject({ valid: false, forged: true });
  });
});
