import { resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import { loadConfig } from '../../gateway/config/load';
import { problemsOf } from './helpers';

const cwd = '/srv/portcullis';
const load = (env: NodeJS.ProcessEnv, extra: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ env, cwd, ...extra });

describe('defaults', () => {
  test('an empty environment and no file give the defaults, with paths resolved against the cwd', () => {
    const cfg = load({});
    expect(cfg).toEqual({
      ...DEFAULT_CONFIG,
      policiesDir: resolve(cwd, 'policies'),
      stateDir: resolve(cwd, 'state'),
    });
    expect(cfg.source).toBeNull();
    expect(cfg.store).toEqual({ kind: 'memory' });
  });

  test('empty variables count as unset', () => {
    expect(load({ PORTCULLIS_LISTEN: '', REDIS_URL: '  ', PORTCULLIS_SECRET: '' }).listen).toEqual(DEFAULT_CONFIG.listen);
  });
});

describe('every environment variable', () => {
  test('is parsed into its key', () => {
    const cfg = load({
      PORTCULLIS_LISTEN: '127.0.0.2:8081',
      PORTCULLIS_UPSTREAM: 'https://portal.example.com',
      PORTCULLIS_ADMIN_LISTEN: '[::1]:9999',
      PORTCULLIS_ADMIN_TOKEN: 'admin-token',
      PORTCULLIS_POLICIES: 'my-policies',
      PORTCULLIS_STATE_DIR: '/var/lib/portcullis',
      PORTCULLIS_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7,fd00::/8',
      PORTCULLIS_SECRET: '0123456789abcdef0123',
      PORTCULLIS_LOG_LEVEL: 'debug',
      PORTCULLIS_TIME_SCALE: '320',
      REDIS_URL: 'redis://:pw@redis:6379/2',
    });
    expect(cfg.timeScale).toBe(320);
    expect(cfg.listen).toEqual({ host: '127.0.0.2', port: 8081 });
    expect(cfg.upstream).toBe('https://portal.example.com');
    expect(cfg.admin).toMatchObject({ listen: { host: '::1', port: 9999 }, token: 'admin-token', tokens: [] });
    expect(cfg.policiesDir).toBe(resolve(cwd, 'my-policies'));
    expect(cfg.stateDir).toBe('/var/lib/portcullis');
    expect(cfg.trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8']);
    expect(cfg.secret).toBe('0123456789abcdef0123');
    expect(cfg.logLevel).toBe('debug');
    expect(cfg.store).toEqual({ kind: 'redis', url: 'redis://:pw@redis:6379/2' });
  });

  test.each([
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('listen %s', (text, expected) => {
    expect(load({ PORTCULLIS_LISTEN: text }).listen).toEqual(expected);
  });

  test('Redis Cluster seeds', () => {
    expect(load({ PORTCULLIS_REDIS_CLUSTER: 'r1:7000, r2:7001' }).store).toEqual({
      kind: 'redis-cluster',
      nodes: [{ host: 'r1', port: 7000 }, { host: 'r2', port: 7001 }],
    });
  });

  test('Redis Sentinel, with the default and an explicit master name', () => {
    expect(load({ PORTCULLIS_REDIS_SENTINELS: 's1:26379,s2:26379' }).store).toEqual({
      kind: 'redis-sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
      name: 'mymaster',
    });
    expect(load({ PORTCULLIS_REDIS_SENTINELS: 's1:26379', PORTCULLIS_REDIS_SENTINEL_NAME: 'portal' }).store).toMatchObject({ name: 'portal' });
  });
});

describe('bad environment values', () => {
  test.each([
    ['PORTCULLIS_LISTEN', '0.0.0.0:70000', 'listen', /port 70000 is outside 0\.\.65535/],
    ['PORTCULLIS_LISTEN', 'nonsense', 'listen', /"nonsense" is not a "host:port" address/],
    ['PORTCULLIS_ADMIN_LISTEN', '::1:9180', 'admin.listen', /brackets, as \[::1\]:9180/],
    ['PORTCULLIS_UPSTREAM', 'ftp://x', 'upstream', /uses ftp:; the upstream must start with http:\/\/ or https:\/\//],
    ['PORTCULLIS_UPSTREAM', 'portal.example.com', 'upstream', /is not a URL/],
    ['PORTCULLIS_TRUSTED_PROXIES', '10.0.0.0/8,10.0.0.0/33', 'trustedProxies', /"10\.0\.0\.0\/33": the prefix length of an IPv4 CIDR must be 0\.\.32/],
    ['PORTCULLIS_TRUSTED_PROXIES', 'fd00::/129', 'trustedProxies', /IPv6 CIDR must be 0\.\.128/],
    ['PORTCULLIS_TRUSTED_PROXIES', 'my-proxy', 'trustedProxies', /not an IPv4 or IPv6 CIDR/],
    ['PORTCULLIS_LOG_LEVEL', 'verbose', 'logLevel', /"verbose" is not a log level/],
    ['REDIS_URL', 'http://redis:6379', 'store.url', /must start with redis:\/\/ or rediss:\/\//],
    ['PORTCULLIS_REDIS_CLUSTER', 'r1', 'store.nodes', /"r1" is not a "host:port" address/],
    ['PORTCULLIS_TIME_SCALE', '0.5', 'timeScale', /"0\.5" is not a number of 1 or more/],
    ['PORTCULLIS_TIME_SCALE', 'fast', 'timeScale', /"fast" is not a number of 1 or more/],
    ['PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS', '30m', 'admin.console.sessionIdleMs', /"30m" is not a whole number of seconds/],
    ['PORTCULLIS_METRICS_LISTEN', 'nonsense', 'admin.metricsListen', /"nonsense" is not a "host:port" address/],
  ])('%s=%s', (name, value, keyPath, problem) => {
    const problems = problemsOf(() => load({ [name]: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PC_ERR_CONFIG_ENV', file: `env ${name}`, line: 0, col: 0, keyPath });
    expect(problems[0]!.problem).toMatch(problem);
  });

  test('two Redis kinds at once', () => {
    const problems = problemsOf(() => load({ REDIS_URL: 'redis://r:6379', PORTCULLIS_REDIS_SENTINELS: 's:26379' }));
    expect(problems).toEqual([
      expect.objectContaining({ code: 'PC_ERR_CONFIG_ENV', file: 'env REDIS_URL, PORTCULLIS_REDIS_SENTINELS', keyPath: 'store' }),
    ]);
    expect(problems[0]!.problem).toMatch(/set only one of REDIS_URL, PORTCULLIS_REDIS_CLUSTER, PORTCULLIS_REDIS_SENTINELS/);
  });

  test('a sentinel name without sentinels', () => {
    const problems = problemsOf(() => load({ PORTCULLIS_REDIS_SENTINEL_NAME: 'portal' }));
    expect(problems[0]).toMatchObject({ code: 'PC_ERR_CONFIG_ENV', file: 'env PORTCULLIS_REDIS_SENTINEL_NAME' });
  });

  test('all problems of the environment are reported together', () => {
    const problems = problemsOf(() => load({ PORTCULLIS_LISTEN: 'nonsense', PORTCULLIS_UPSTREAM: 'ftp://x', PORTCULLIS_LOG_LEVEL: 'loud' }));
    expect(problems.map((p) => p.file)).toEqual(['env PORTCULLIS_LISTEN', 'env PORTCULLIS_UPSTREAM', 'env PORTCULLIS_LOG_LEVEL']);
  });
});

describe('what serve requires', () => {
  test('a short secret with requireSecret is refused, with how to make one, and never echoed', () => {
    const problems = problemsOf(() => load({ PORTCULLIS_SECRET: 'hunter2hunter2' }, { requireSecret: true }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PC_ERR_CONFIG_SECRET', file: 'env PORTCULLIS_SECRET', keyPath: 'secret' });
    expect(problems[0]!.problem).toMatch(/14 characters long; at least 16/);
    expect(problems[0]!.problem).toContain('openssl rand -hex 32');
    expect(problems[0]!.problem).not.toContain('hunter2');
  });

  test('a missing secret with requireSecret; a short one without it is accepted (demo)', () => {
    expect(problemsOf(() => load({}, { requireSecret: true }))[0]).toMatchObject({ code: 'PC_ERR_CONFIG_SECRET' });
    expect(load({ PORTCULLIS_SECRET: 'short' }).secret).toBe('short');
    expect(load({ PORTCULLIS_SECRET: 'x'.repeat(16) }, { requireSecret: true }).secret).toHaveLength(16);
  });

  test('a missing upstream with requireUpstream', () => {
    const problems = problemsOf(() => load({}, { requireUpstream: true, requireSecret: true }));
    expect(problems.map((p) => p.code)).toEqual(['PC_ERR_CONFIG_REQUIRED', 'PC_ERR_CONFIG_SECRET']);
    expect(problems[0]).toMatchObject({ file: 'env PORTCULLIS_UPSTREAM', keyPath: 'upstream' });
  });

  test('overrides come last and can satisfy the requirements (the demo)', () => {
    const cfg = load({ PORTCULLIS_UPSTREAM: 'http://a:1' }, { requireUpstream: true, overrides: { upstream: 'http://127.0.0.1:4000', limits: { formBodyMaxBytes: 2048 } } });
    expect(cfg.upstream).toBe('http://127.0.0.1:4000');
    expect(cfg.limits).toEqual({ ...DEFAULT_CONFIG.limits, formBodyMaxBytes: 2048 });
  });
});

describe('the console settings, inside the validated configuration', () => {
  test('come from the file (admin.console.*) or the environment (seconds), the environment winning', () => {
    expect(load({}).admin.console).toEqual({ sessionIdleMs: 1_800_000, sessionMaxMs: 28_800_000 });
    expect(load({ PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS: '600', PORTCULLIS_CONSOLE_SESSION_MAX_SECONDS: '3600' }).admin.console).toEqual({ sessionIdleMs: 600_000, sessionMaxMs: 3_600_000 });
  });

  test('a bad value is a configuration problem naming the variable, not a silent default', () => {
    for (const bad of ['0', '-5', '1.5', 'ten', '30m']) {
      const problems = problemsOf(() => load({ PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS: bad, PORTCULLIS_CONSOLE_SESSION_MAX_SECONDS: bad }));
      expect(problems.map((p) => [p.code, p.file, p.keyPath])).toEqual([
        ['PC_ERR_CONFIG_ENV', 'env PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS', 'admin.console.sessionIdleMs'],
        ['PC_ERR_CONFIG_ENV', 'env PORTCULLIS_CONSOLE_SESSION_MAX_SECONDS', 'admin.console.sessionMaxMs'],
      ]);
    }
  });
});
