/** admin.tokens in the configuration file: each source of a secret, and every mistake as file:line:col key with what is allowed. */
import { loadConfig } from '../../gateway/config/load';
import { describeConfig } from '../../gateway/config/describe';
import { formatProblem } from '../../gateway/lib/errors';
import { problemsOf, tempFiles } from './helpers';

const SECRET_A = 'alice-secret-0123456789abcdef';
const SECRET_B = 'bob-secret-0123456789abcdef';

function load(yaml: string, env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  const dir = tempFiles({ 'gw.yaml': yaml, ...files });
  return () => loadConfig({ env, cwd: dir, file: 'gw.yaml' });
}

test('a token inline, from a file beside the config (trailing newline dropped) and from a variable, with names and roles', () => {
  const cfg = load(
    ['admin:', '  tokens:', `    - { name: ops-alice, role: operator, token: ${SECRET_A} }`, '    - { name: support-bob, role: support, tokenFile: secrets/bob }', '    - { name: prom, role: metrics, tokenEnv: PROM_TOKEN }', ''].join('\n'),
    { PROM_TOKEN: 'prom-secret-0123456789abcdef', PORTCULLIS_ADMIN_TOKEN: 'the-admin-token', PORTCULLIS_METRICS_TOKEN: 'metrics-secret-0123456789' },
    { 'secrets/bob': `${SECRET_B}\n` },
  )();
  expect(cfg.admin.tokens).toEqual([
    { name: 'ops-alice', role: 'operator', token: SECRET_A },
    { name: 'support-bob', role: 'support', token: SECRET_B },
    { name: 'prom', role: 'metrics', token: 'prom-secret-0123456789abcdef' },
  ]);
  expect(cfg.admin.token).toBe('the-admin-token');
  expect(cfg.admin.metricsToken).toBe('metrics-secret-0123456789');
  // --print-config shows names and roles, never a secret.
  const shown = JSON.stringify(describeConfig(cfg));
  for (const secret of [SECRET_A, SECRET_B, 'prom-secret', 'the-admin-token', 'metrics-secret']) expect(shown).not.toContain(secret);
  expect(shown).toContain('ops-alice');
});

test('every mistake at once, each with file:line:col, the key and what is allowed; no secret in any message', () => {
  const problems = problemsOf(
    load(
      [
        'admin:',
        '  tokens:',
        `    - { name: a, role: superuser, token: ${SECRET_A} }`, // 3: role not allowed
        '    - { name: b, role: read }', // 4: no secret
        `    - { name: c, role: read, token: ${SECRET_B}, tokenEnv: X }`, // 5: two sources
        '    - { name: d, role: read, tokenEnv: NOT_SET }', // 6: variable unset
        '    - { name: e, role: read, tokenFile: missing.txt }', // 7: file missing
        '    - { name: f, role: read, token: short }', // 8: too short
        '    - { name: "g:h", role: read, tokenEnv: X }', // 9: bad name
        '',
      ].join('\n'),
    ),
  );
  const text = problems.map(formatProblem).join('\n');
  expect(text).toMatch(/gw\.yaml:3:\d+ admin\.tokens\[0\]\.role: "superuser" is not an allowed value; allowed: .*admin.*operator.*support.*read.*metrics/);
  expect(text).toMatch(/gw\.yaml:9:\d+ admin\.tokens\[6\]\.name: .* does not match/);
  expect(text).not.toContain(SECRET_A);
});

test('the rules the schema cannot say: one source, a set variable, a readable file, 16+ characters, unique names and secrets', () => {
  const text = (yaml: string, env: NodeJS.ProcessEnv = {}) => problemsOf(load(yaml, env)).map(formatProblem).join('\n');
  const one = (line: string) => ['admin:', '  tokens:', line, ''].join('\n');
  expect(text(one('    - { name: b, role: read }'))).toMatch(/gw\.yaml:3:\d+ admin\.tokens\[0\]: the token's secret is missing: give exactly one of token, tokenFile, tokenEnv; allowed: token, tokenFile, tokenEnv +\[PC_ERR_CONFIG_REQUIRED\]/);
  expect(text(one(`    - { name: c, role: read, token: ${SECRET_B}, tokenEnv: X }`))).toMatch(/gw\.yaml:3:\d+ admin\.tokens\[0\]\.tokenEnv: gives token and tokenEnv: give exactly one of them/);
  expect(text(one('    - { name: d, role: read, tokenEnv: NOT_SET }'))).toMatch(/gw\.yaml:3:\d+ admin\.tokens\[0\]\.tokenEnv: the environment variable NOT_SET is not set \(or empty\) +\[PC_ERR_CONFIG_ENV\]/);
  expect(text(one('    - { name: e, role: read, tokenFile: missing.txt }'))).toMatch(/gw\.yaml:3:\d+ admin\.tokens\[0\]\.tokenFile: cannot read missing\.txt: ENOENT +\[PC_ERR_CONFIG_FILE\]/);
  const short = text(one('    - { name: f, role: read, tokenEnv: SHORT }'), { SHORT: 'short-secret' });
  expect(short).toMatch(/admin\.tokens\[0\]\.tokenEnv: the secret is 12 characters long; at least 16 are needed/);
  expect(short).not.toContain('short-secret');
  const twice = text(['admin:', '  tokens:', `    - { name: x, role: read, token: ${SECRET_A} }`, `    - { name: X, role: support, token: ${SECRET_A} }`, `    - { name: admin, role: read, token: ${SECRET_B} }`, ''].join('\n'));
  expect(twice).toMatch(/gw\.yaml:4:\d+ admin\.tokens\[1\]\.name: "X" is already the name of admin\.tokens\[0\]/);
  expect(twice).toMatch(/gw\.yaml:5:\d+ admin\.tokens\[2\]\.name: "admin" is the name of a built-in token/);
  expect(twice).not.toContain(SECRET_A);
  // The same secret as PORTCULLIS_ADMIN_TOKEN: which name would the audit record?
  expect(text(one(`    - { name: x, role: read, token: ${SECRET_A} }`), { PORTCULLIS_ADMIN_TOKEN: SECRET_A })).toMatch(/admin: the admin token .* has the same secret as x/);
  expect(problemsOf(() => loadConfig({ env: { PORTCULLIS_METRICS_TOKEN: 'short' } })).map(formatProblem).join('\n')).toMatch(/env PORTCULLIS_METRICS_TOKEN admin\.metricsToken: is 5 characters long; at least 16/);
});

test('PORTCULLIS_METRICS_LISTEN and admin.metricsListen', () => {
  expect(loadConfig({ env: { PORTCULLIS_METRICS_LISTEN: '127.0.0.1:9181' } }).admin.metricsListen).toEqual({ host: '127.0.0.1', port: 9181 });
  expect(load('admin: { metricsListen: ":9181" }\n')().admin.metricsListen).toEqual({ host: '0.0.0.0', port: 9181 });
  expect(load('admin: { metricsListen: null }\n')().admin.metricsListen).toBeNull();
});
