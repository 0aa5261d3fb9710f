/** canonicalPath and canonicalPortal: the path and portal the portal itself would route on. */
import { canonicalPath, canonicalPortal } from '../../gateway/pipeline/classify';

describe('canonicalPath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/bitrix/js/main/core.js', '/bitrix/js/main/core.js'],
    ['/crm/deal/', '/crm/deal/'],
    ['//rest//x', '/rest/x'],
    ['/./rest/./x', '/rest/x'],
    ['/a/../rest/x', '/rest/x'],
    ['/../../../rest', '/rest'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/%72est/x', '/rest/x'],
    ['/%2Frest%2Fx', '/rest/x'],
    ['/rest%252Fx', '/rest/x'],
    ['/%25252572est/x', '/rest/x'],
    ['/rest;a=b/x;c', '/rest/x'],
    ['/rest%3Bjsessionid=1/x', '/rest/x'],
    ['/rest./x..', '/rest/x'],
    ['/rest%20/x', '/rest/x'],
    ['/rest\\x\\y', '/rest/x/y'],
    ['/re%00st/', '/rest/'],
    ['/%C0%AFrest', '/rest'],
    ['/%E0%80%AErest/%E0%80%AE%E0%80%AE/x', '/x'],
    ['/%2e%2e/%2E%2E/rest', '/rest'],
    ['/REST/X', '/REST/X'], // case kept: webhook codes are case-sensitive
    ['rest/x', '/rest/x'],
    ['/%D0%BF%D1%83%D1%82%D1%8C', '/путь'],
    ['/%ff%fe', '/\xff\xfe'], // not UTF-8: one char per byte, deterministic
  ])('%j → %j', (raw, out) => expect(canonicalPath(raw)).toBe(out));

  it('is deterministic and idempotent on hostile input', () => {
    for (const raw of ['/%%%', '/%C0', '/%E0%80', '/\xc0\xaf\xff', '/a/%2e%2e%2f%2e%2e%2f%2e%2e', '/\u{1F600}/%F0%9F%98%80']) {
      const once = canonicalPath(raw);
      expect(canonicalPath(raw)).toBe(once);
      expect(canonicalPath(once)).toBe(once);
    }
  });

  it('returns clean paths untouched (fast path)', () => {
    const p = '/bitrix/components/bitrix/main.ui.grid/templates/.default/script.js';
    expect(canonicalPath(p)).toBe('/bitrix/components/bitrix/main.ui.grid/templates/.default/script.js');
  });
});

describe('canonicalPortal', () => {
  it.each<[string | undefined, string | undefined, string]>([
    ['portal.example.com', undefined, 'portal.example.com'],
    ['Portal.Example.COM:8443', undefined, 'portal.example.com'],
    ['portal.example.com.', undefined, 'portal.example.com'],
    ['portal.example.com..:80', undefined, 'portal.example.com'],
    ['  portal.example.com  ', undefined, 'portal.example.com'],
    ['[2001:DB8::1]:443', undefined, '[2001:db8::1]'],
    ['[::1]', undefined, '[::1]'],
    ['10.0.0.1:8080', undefined, '10.0.0.1'],
    ['xn--80ak6aa92e.com', undefined, 'xn--80ak6aa92e.com'],
    ['', undefined, ''],
    [undefined, undefined, ''],
    ['portal.example.com', 'Other.Host:8080', 'other.host'], // absolute-form target wins
    ['portal.example.com', '', 'portal.example.com'],
  ])('%j (target %j) → %j', (host, abs, out) => expect(canonicalPortal(host, abs)).toBe(out));
});
