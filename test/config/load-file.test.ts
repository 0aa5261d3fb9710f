import { join } from 'node:path';
import { DEFAULT_CONFIG, DEFAULT_PORTAL_SETTINGS } from '../../gateway/config/defaults';
import { describeConfig, loadConfig } from '../../gateway/config/load';
import { LOG_LEVELS } from '../../gateway/config/schema';
import { formatProblem } from '../../gateway/lib/errors';
import { problemsOf, tempFiles } from './helpers';

/** Writes `text` as portcullis.yaml in a fresh folder and loads it with an otherwise empty environment. */
function loadYaml(text: string, env: NodeJS.ProcessEnv = {}) {
  const dir = tempFiles({ 'portcullis.yaml': text });
  return { dir, load: () => loadConfig({ env, cwd: dir, file: 'portcullis.yaml' }) };
}

test('the file is named by PORTCULLIS_CONFIG, relative to the cwd; its relative paths are relative to its folder', () => {
  const dir = tempFiles({ 'etc/gw.yaml': 'policiesDir: ./pol\nstateDir: /abs/state\nlisten: { port: 9000 }\n' });
  const cfg = loadConfig({ env: { PORTCULLIS_CONFIG: 'etc/gw.yaml' }, cwd: dir });
  expect(cfg.source).toBe(join(dir, 'etc/gw.yaml'));
  expect(cfg.policiesDir).toBe(join(dir, 'etc/pol'));
  expect(cfg.stateDir).toBe('/abs/state');
  expect(cfg.listen).toEqual({ host: '0.0.0.0', port: 9000 });
});

test('an explicit file wins over PORTCULLIS_CONFIG; file: null falls back to it (serve without --config)', () => {
  const dir = tempFiles({ 'a.yaml': 'logLevel: warn\n', 'b.yaml': 'logLevel: error\n' });
  expect(loadConfig({ env: { PORTCULLIS_CONFIG: 'a.yaml' }, cwd: dir, file: 'b.yaml' }).logLevel).toBe('error');
  expect(loadConfig({ env: { PORTCULLIS_CONFIG: 'a.yaml' }, cwd: dir, file: null }).logLevel).toBe('warn');
  expect(loadConfig({ env: {}, file: null }).source).toBeNull();
});

test('an empty file is the defaults', () => {
  expect(loadYaml('# nothing yet\n').load().limits).toEqual(DEFAULT_CONFIG.limits);
});

test('environment overrides the file, key by key', () => {
  const { load } = loadYaml(
    ['listen: 10.1.1.1:1000', 'logLevel: warn', 'admin:', '  token: from-file', '  listen: 127.0.0.1:7000', 'store: { kind: redis, url: "redis://file:6379" }', ''].join('\n'),
    { PORTCULLIS_LISTEN: ':9000', PORTCULLIS_ADMIN_TOKEN: 'from-env', PORTCULLIS_REDIS_CLUSTER: 'c1:7000' },
  );
  const cfg = load();
  expect(cfg.listen).toEqual({ host: '0.0.0.0', port: 9000 });
  expect(cfg.logLevel).toBe('warn');
  expect(cfg.admin).toMatchObject({ token: 'from-env', listen: { host: '127.0.0.1', port: 7000 }, tokens: [] });
  // The store is replaced whole: no `url` leaks into the cluster store.
  expect(cfg.store).toEqual({ kind: 'redis-cluster', nodes: [{ host: 'c1', port: 7000 }] });
});

test('a YAML syntax error is reported with its position', () => {
  const { load } = loadYaml('listen: 0.0.0.0:8080\nadmin:\n  token: [a, b\nlogLevel: info\n');
  const problems = problemsOf(load);
  expect(problems[0]).toMatchObject({ code: 'PC_ERR_CONFIG_YAML', file: 'portcullis.yaml', line: 4, col: 1 });
  expect(problems[0]!.problem).toMatch(/^YAML syntax: /);
});

test('a duplicate key is an error naming its path', () => {
  const problems = problemsOf(loadYaml('admin:\n  token: a\n  listen: :1\n  token: b\n').load);
  expect(problems).toEqual([
    expect.objectContaining({ code: 'PC_ERR_CONFIG_YAML', line: 4, col: 3, keyPath: 'admin.token', problem: expect.stringMatching(/duplicate key/) }),
  ]);
});

test('a duplicate key hides nothing: every other problem of the file is reported with it, and no false "upstream is required"', () => {
  const text = [
    'upstream: https://portal.example.com', // 1
    'logLevel: verbose', //                   2  enum
    'admin:', //                              3
    '  token: a', //                          4
    '  token: b', //                          5  duplicate
    'limits:', //                             6
    '  formBodyMaxByte: 10', //               7  unknown key
    'portals:', //                            8
    '  crm.example.com:', //                  9
    '    rest: { limit: { burst: 5 } }', //   10
    '    rest: { limit: { burst: 6 } }', //   11 duplicate
    '',
  ].join('\n');
  const dir = tempFiles({ 'portcullis.yaml': text });
  const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, file: 'portcullis.yaml', requireUpstream: true }));
  expect(problems.map((p) => [p.code, p.line, p.keyPath])).toEqual([
    ['PC_ERR_CONFIG_TYPE', 2, 'logLevel'],
    ['PC_ERR_CONFIG_YAML', 5, 'admin.token'],
    ['PC_ERR_CONFIG_UNKNOWN_KEY', 7, 'limits.formBodyMaxByte'],
    ['PC_ERR_CONFIG_YAML', 11, 'portals.crm.example.com.rest'],
  ]);
  expect(problems.map(formatProblem).join('\n')).toMatch(/^portcullis\.yaml:5:3 admin\.token: .*duplicate key/m);
  expect(problems.some((p) => p.keyPath === 'upstream')).toBe(false);
});

test('a missing file', () => {
  const problems = problemsOf(() => loadConfig({ env: {}, cwd: tempFiles({}), file: 'missing.yaml' }));
  expect(problems).toEqual([expect.objectContaining({ code: 'PC_ERR_CONFIG_FILE', file: 'missing.yaml', line: 0 })]);
});

test('three mistakes at once: every one, positioned, sorted, with suggestions', () => {
  const text = [
    'listen: 0.0.0.0:8080', //           1
    'logLevel: verbose', //              2  enum
    'limits:', //                        3
    '  headersTimeoutMs: 1000', //       4
    '  formBodyMaxByts: 1000', //        5  unknown nested key
    'ipPrefix:', //                      6
    '  v6: "64"', //                     7  type
    '',
  ].join('\n');
  const problems = problemsOf(loadYaml(text).load);
  expect(problems).toHaveLength(3);
  expect(problems[0]).toEqual({
    code: 'PC_ERR_CONFIG_TYPE',
    file: 'portcullis.yaml',
    line: 2,
    col: 11,
    keyPath: 'logLevel',
    problem: '"verbose" is not an allowed value',
    allowed: [...LOG_LEVELS],
  });
  expect(problems[1]).toMatchObject({ code: 'PC_ERR_CONFIG_UNKNOWN_KEY', line: 5, col: 3, keyPath: 'limits.formBodyMaxByts', problem: 'unknown key' });
  expect(problems[1]!.allowed?.[0]).toBe('formBodyMaxBytes');
  expect(problems[1]!.allowed!.length).toBeLessThanOrEqual(5);
  expect(problems[2]).toMatchObject({ code: 'PC_ERR_CONFIG_TYPE', line: 7, col: 7, keyPath: 'ipPrefix.v6', problem: 'expected an integer, got "64"' });
  expect(formatProblem(problems[1]!)).toMatch(
    /^portcullis\.yaml:5:3 limits\.formBodyMaxByts: unknown key; allowed: formBodyMaxBytes, .*  \[PC_ERR_CONFIG_UNKNOWN_KEY\]$/,
  );
});

test('file values are checked like environment values (listen, CIDRs, store)', () => {
  const text = [
    'listen: 0.0.0.0:70000',
    'admin: { listen: { host: 127.0.0.1, port: 70000 } }',
    'trustedProxies: [10.0.0.0/8, 10.0.0.0/33]',
    'store: { kind: redis }',
    'upstream: ftp://x',
    '',
  ].join('\n');
  const problems = problemsOf(loadYaml(text).load);
  expect(problems.map((p) => [p.line, p.col, p.keyPath, p.code])).toEqual([
    [1, 9, 'listen', 'PC_ERR_CONFIG_TYPE'],
    [2, 43, 'admin.listen.port', 'PC_ERR_CONFIG_TYPE'],
    [3, 30, 'trustedProxies[1]', 'PC_ERR_CONFIG_TYPE'],
    [4, 1, 'store.url', 'PC_ERR_CONFIG_REQUIRED'],
    [5, 11, 'upstream', 'PC_ERR_CONFIG_TYPE'],
  ]);
  expect(problems[1]!.problem).toBe('must be at most 65535, got 70000');
});

test('an unknown store kind lists the kinds', () => {
  const problems = problemsOf(loadYaml('store:\n  kind: redis-clustr\n').load);
  expect(problems).toEqual([
    expect.objectContaining({ line: 2, col: 9, keyPath: 'store.kind', allowed: ['memory', 'redis', 'redis-cluster', 'redis-sentinel'] }),
  ]);
});

test('file and environment problems are thrown together', () => {
  const problems = problemsOf(loadYaml('logLevel: loud\n', { PORTCULLIS_LISTEN: 'nonsense' }).load);
  expect(problems.map((p) => p.file)).toEqual(['portcullis.yaml', 'env PORTCULLIS_LISTEN']);
});

test('a short secret in the file is pointed at in the file', () => {
  const d = tempFiles({ 'c.yaml': 'logLevel: info\nsecret: tooshort\n' });
  const problems = problemsOf(() => loadConfig({ env: {}, cwd: d, file: 'c.yaml', requireSecret: true }));
  expect(problems).toEqual([expect.objectContaining({ code: 'PC_ERR_CONFIG_SECRET', file: 'c.yaml', line: 2, col: 9 })]);
});

describe('portals', () => {
  const text = [
    'portalDefaults:',
    '  rest:',
    '    limit: { burst: 100 }',
    'portals:',
    '  crm.example.com:',
    '    login:',
    '      failureTexts: [Falsches Passwort]',
    '    rest:',
    '      limit: { drainPerSecond: 5 }',
    '  plain.example.com: {}',
    '',
  ].join('\n');

  test('portal settings are deep-merged over portalDefaults, which are merged over the built-in defaults', () => {
    const cfg = loadYaml(text).load();
    expect(cfg.portalDefaults.rest.limit).toEqual({ burst: 100, drainPerSecond: DEFAULT_PORTAL_SETTINGS.rest.limit.drainPerSecond });
    expect(cfg.portalDefaults.login).toEqual(DEFAULT_PORTAL_SETTINGS.login);
    const crm = cfg.portals['crm.example.com']!;
    expect(crm.login.failureTexts).toEqual(['Falsches Passwort']); // lists replace
    expect(crm.login.sessionCookiePrefixes).toEqual(DEFAULT_PORTAL_SETTINGS.login.sessionCookiePrefixes);
    expect(crm.rest.limit).toEqual({ burst: 100, drainPerSecond: 5 });
    expect(crm.rest.blocked).toEqual(DEFAULT_PORTAL_SETTINGS.rest.blocked);
    expect(cfg.portals['plain.example.com']).toEqual(cfg.portalDefaults);
  });

  test('portal names must be canonical: lower case, no port', () => {
    const problems = problemsOf(loadYaml('portals:\n  CRM.example.com: {}\n  crm.example.com:8443: {}\n').load);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ line: 2, col: 3, keyPath: 'portals.CRM.example.com', code: 'PC_ERR_CONFIG_TYPE' });
    expect(problems[0]!.problem).toBe('portal name has upper case (hosts are matched in lower case); write it as "crm.example.com"');
    expect(problems[1]).toMatchObject({ line: 3, col: 3, keyPath: 'portals.crm.example.com:8443' });
    expect(problems[1]!.problem).toMatch(/has a port .*write it as "crm\.example\.com"/);
  });

  test('unknown keys inside a portal are found too', () => {
    const problems = problemsOf(loadYaml('portals:\n  crm.example.com:\n    rest:\n      blokced: {}\n').load);
    expect(problems[0]).toMatchObject({ line: 4, col: 7, keyPath: 'portals.crm.example.com.rest.blokced', allowed: ['blocked', 'limit'] });
  });
});

test('the result is deeply frozen', () => {
  const cfg = loadYaml('portals:\n  crm.example.com: {}\n').load();
  expect(Object.isFrozen(cfg)).toBe(true);
  expect(Object.isFrozen(cfg.listen)).toBe(true);
  expect(Object.isFrozen(cfg.portals['crm.example.com']!.login.failureTexts)).toBe(true);
  expect(() => {
    (cfg.limits as { formBodyMaxBytes: number }).formBodyMaxBytes = 1;
  }).toThrow(TypeError);
  // Freezing the result never freezes (or shares mutable state with) the defaults' next load.
  expect(loadConfig({ env: {}, file: null }).limits).toEqual(DEFAULT_CONFIG.limits);
});

describe('describeConfig', () => {
  test('shows secrets only as set, and masks passwords in URLs', () => {
    const cfg = loadConfig({
      env: { PORTCULLIS_ADMIN_TOKEN: 'tok-123', PORTCULLIS_SECRET: 's'.repeat(32), REDIS_URL: 'redis://:hunter2@redis:6379/0', PORTCULLIS_UPSTREAM: 'https://portal.example.com' },
      file: null,
    });
    const view = describeConfig(cfg);
    expect(view.admin.token).toBe('***');
    expect(view.secret).toBe('***');
    expect(view.store).toEqual({ kind: 'redis', url: 'redis://:***@redis:6379/0' });
    expect(view.upstream).toBe('https://portal.example.com');
    expect(JSON.stringify(view)).not.toMatch(/tok-123|sssss|hunter2/);
    expect(cfg.admin.token).toBe('tok-123'); // the original is untouched
  });

  test('unset secrets stay null, so "not configured" is visible', () => {
    const view = describeConfig(loadConfig({ env: {}, file: null }));
    expect(view.admin.token).toBeNull();
    expect(view.secret).toBeNull();
  });
});
