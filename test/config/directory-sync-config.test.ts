/**
 * portals.<host>.directorySync in the validated configuration: one webhook source, readable at start,
 * never printed; and the webhook URL's secret code never appears in a message, however the URL is
 * spelled (fast-check).
 */
import fc from 'fast-check';
import { describeConfig, loadConfig } from '../../gateway/config/load';
import { parseWebhookUrl } from '../../gateway/lockout/directory-sync/portal-rest';
import { PortcullisError } from '../../gateway/lib/errors';
import { problemsOf, tempFiles } from './helpers';

const CODE = 'sEcReTcOdE0123456789';

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const dir = tempFiles({ 'portcullis.yaml': yaml, 'hook.txt': `https://crm.example.com/rest/1/${CODE}/\n` });
  return () => loadConfig({ env, cwd: dir, file: 'portcullis.yaml' });
}

test('a portal names its webhook by env, file or value; intervalMs and the id lists are completed from the defaults', () => {
  const cfg = load('portals:\n  crm.example.com:\n    directorySync:\n      webhookUrlFile: hook.txt\n      ownerIds: [1]\n')();
  expect(cfg.portals['crm.example.com']!.directorySync).toEqual({ webhookUrl: null, webhookUrlEnv: null, webhookUrlFile: 'hook.txt', intervalMs: 3_600_000, adminIds: [], ownerIds: [1] });
  expect(cfg.portalDefaults.directorySync.webhookUrlEnv).toBeNull();
});

test('problems at start, each at its key: two sources, an unset variable, an unreadable file, a webhook in portalDefaults', () => {
  const problems = problemsOf(
    load(
      [
        'portalDefaults:', //                                                1
        '  directorySync: { webhookUrlEnv: HOOK }', //                       2  only per portal
        'portals:', //                                                       3
        '  a.example.com:', //                                               4
        '    directorySync: { webhookUrlEnv: A_HOOK, webhookUrlFile: hook.txt }', // 5
        '  b.example.com:', //                                               6
        '    directorySync: { webhookUrlEnv: B_HOOK }', //                   7
        '  c.example.com:', //                                               8
        '    directorySync: { webhookUrlFile: missing.txt, intervalMs: 10 }', // 9
        '',
      ].join('\n'),
      {},
    ),
  );
  expect(problems.map((p) => [p.code, p.keyPath])).toEqual(
    expect.arrayContaining([
      ['PC_ERR_CONFIG_UNKNOWN_KEY', 'portalDefaults.directorySync'],
      ['PC_ERR_CONFIG_TYPE', 'portals.c.example.com.directorySync.intervalMs'],
    ]),
  );
  // The schema problems stop the file's layer; the source checks run on what the file would say once fixed.
  const fixed = problemsOf(load('portals:\n  a.example.com:\n    directorySync: { webhookUrlEnv: A_HOOK, webhookUrlFile: hook.txt }\n  b.example.com:\n    directorySync: { webhookUrlEnv: B_HOOK }\n  c.example.com:\n    directorySync: { webhookUrlFile: missing.txt }\n'));
  expect(fixed.map((p) => [p.code, p.line, p.keyPath])).toEqual([
    ['PC_ERR_CONFIG_TYPE', 3, 'portals.a.example.com.directorySync.webhookUrlFile'],
    ['PC_ERR_CONFIG_ENV', 5, 'portals.b.example.com.directorySync.webhookUrlEnv'],
    ['PC_ERR_CONFIG_FILE', 7, 'portals.c.example.com.directorySync.webhookUrlFile'],
  ]);
  expect(fixed[1]!.problem).toMatch(/B_HOOK is not set/);
});

test('--print-config shows an inline webhook URL only as set', () => {
  const cfg = load(`portals:\n  crm.example.com:\n    directorySync:\n      webhookUrl: https://crm.example.com/rest/1/${CODE}/\n`)();
  const shown = JSON.stringify(describeConfig(cfg));
  expect(shown).not.toContain(CODE);
  expect(describeConfig(cfg).portals['crm.example.com']!.directorySync.webhookUrl).toBe('***');
});

test("a malformed webhook URL's message never carries its code, however it is spelled", () => {
  const code = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
  const shape = fc.constantFrom(
    (c: string) => `https://crm.example.com/rest/x/${c}/`,
    (c: string) => `https://crm.example.com/rst/1/${c}/`,
    (c: string) => `ftp://crm.example.com/rest/1/${c}/`,
    (c: string) => `https://crm.example.com/rest/1/${c}/a/b/c`,
    (c: string) => `crm.example.com/rest/1/${c}`,
    (c: string) => `https://crm.example.com/rest/1/${c}?x=${c}`,
    (c: string) => ` https://crm.example.com:8443/rest/api/1/${c}/profile.json `,
  );
  fc.assert(
    fc.property(code, shape, (c, make) => {
      try {
        const hook = parseWebhookUrl(make(c));
        // A well-formed one: its printable parts hold no code.
        expect(hook.origin).not.toContain(c);
        expect(hook.base).toContain(c);
      } catch (err) {
        expect(err).toBeInstanceOf(PortcullisError);
        expect((err as PortcullisError).code).toBe('PC_ERR_DIRECTORY_SYNC');
        expect((err as Error).message).not.toContain(c);
      }
    }),
    { numRuns: 300 },
  );
});
