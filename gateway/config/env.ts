/**
 * The environment as one configuration layer, above the file. Each variable maps to one key; a bad
 * value is a FileProblem whose "file" is `env NAME`, so the message tells the operator what to fix.
 * Empty values count as unset: compose files often write `NAME=` for "not used here".
 */
import { resolve } from 'node:path';
import type { ErrorCode, FileProblem } from '../lib/errors';
import { DEFAULT_CONFIG } from './defaults';
import { checkRedisUrl, checkUpstreamUrl, parseCidr, parseHostPort, type Parsed } from './formats';
import type { ConfigLayer } from './merge';
import { LOG_LEVELS, MIN_TOKEN_LENGTH } from './schema';
import type { GatewayConfig, HostPort, StoreConfig } from './types';

export interface EnvVariable {
  readonly name: string;
  /** The file key it overrides. */
  readonly key: string;
  readonly default: string;
  readonly description: string;
}

const hp = (v: HostPort): string => `${v.host}:${v.port}`;

/** Every variable the gateway reads, in documentation order. docs/configuration.md is generated from it. */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  { name: 'PORTCULLIS_CONFIG', key: '', default: '(none)', description: 'Path of the YAML configuration file (optional).' },
  { name: 'PORTCULLIS_LISTEN', key: 'listen', default: hp(DEFAULT_CONFIG.listen), description: 'Client listener: "host:port", "[::]:8080" or ":8080".' },
  { name: 'PORTCULLIS_UPSTREAM', key: 'upstream', default: '(none)', description: 'Base URL of the portal, http:// or https://. Required by `serve`.' },
  { name: 'PORTCULLIS_ADMIN_LISTEN', key: 'admin.listen', default: hp(DEFAULT_CONFIG.admin.listen), description: 'Admin API listener, "host:port".' },
  { name: 'PORTCULLIS_ADMIN_TOKEN', key: 'admin.token', default: '(none)', description: 'The full-role bearer token of the admin API (role `admin`, named `admin` in the audit and the log).' },
  { name: 'PORTCULLIS_METRICS_TOKEN', key: 'admin.metricsToken', default: '(none)', description: `A metrics-only bearer token (named \`metrics\`): GET /metrics and nothing else; ${MIN_TOKEN_LENGTH}+ characters.` },
  { name: 'PORTCULLIS_METRICS_LISTEN', key: 'admin.metricsListen', default: '(none)', description: 'A second listener, "host:port", answering GET /metrics and /healthz without a token (confine it to the scraper).' },
  { name: 'PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS', key: 'admin.console.sessionIdleMs', default: String(DEFAULT_CONFIG.admin.console.sessionIdleMs / 1000), description: 'Console sessions end after this many seconds without a request.' },
  { name: 'PORTCULLIS_CONSOLE_SESSION_MAX_SECONDS', key: 'admin.console.sessionMaxMs', default: String(DEFAULT_CONFIG.admin.console.sessionMaxMs / 1000), description: 'Console sessions end this many seconds after sign-in.' },
  { name: 'PORTCULLIS_POLICIES', key: 'policiesDir', default: DEFAULT_CONFIG.policiesDir, description: 'Folder of policy files, relative to the working directory.' },
  { name: 'PORTCULLIS_STATE_DIR', key: 'stateDir', default: DEFAULT_CONFIG.stateDir, description: 'State folder of the memory store, relative to the working directory.' },
  { name: 'PORTCULLIS_TRUSTED_PROXIES', key: 'trustedProxies', default: '(none)', description: 'Comma-separated CIDRs whose forwarding headers are believed.' },
  { name: 'PORTCULLIS_ALLOWLIST', key: 'allowlist', default: '(none)', description: 'Comma-separated CIDRs that no block or rule applies to.' },
  { name: 'PORTCULLIS_SHADOW', key: 'shadow', default: 'false', description: 'true: global shadow mode (evaluate and log, enforce nothing new).' },
  { name: 'PORTCULLIS_TIME_SCALE', key: 'timeScale', default: String(DEFAULT_CONFIG.timeScale), description: 'Simulation only: seconds of the gateway\'s clock per wall second (320 runs a day in 4.5 minutes). Unset or 1 in production.' },
  { name: 'PORTCULLIS_SECRET', key: 'secret', default: '(none)', description: 'Key for keyed hashes, 16+ characters (`openssl rand -hex 32`). Required by `serve`.' },
  { name: 'PORTCULLIS_LOG_LEVEL', key: 'logLevel', default: DEFAULT_CONFIG.logLevel, description: `One of ${LOG_LEVELS.join(', ')}.` },
  { name: 'REDIS_URL', key: 'store', default: '(none)', description: 'Use a single Redis node: redis://[:password@]host:port[/db] or rediss://.' },
  { name: 'PORTCULLIS_REDIS_CLUSTER', key: 'store', default: '(none)', description: 'Use Redis Cluster: comma-separated "host:port" seed nodes.' },
  { name: 'PORTCULLIS_REDIS_SENTINELS', key: 'store', default: '(none)', description: 'Use Redis behind Sentinel: comma-separated "host:port" sentinels.' },
  { name: 'PORTCULLIS_REDIS_SENTINEL_NAME', key: 'store.name', default: 'mymaster', description: 'Name of the master the sentinels monitor.' },
];

const STORE_VARIABLES = ['REDIS_URL', 'PORTCULLIS_REDIS_CLUSTER', 'PORTCULLIS_REDIS_SENTINELS'] as const;

export interface EnvLayer {
  readonly layer: ConfigLayer;
  readonly problems: readonly FileProblem[];
}

/**
 * `currentStore` is the store chosen by the layers below (defaults, file), so that a lone
 * PORTCULLIS_REDIS_SENTINEL_NAME can rename the file's sentinel master.
 */
export function readEnv(env: NodeJS.ProcessEnv, cwd: string, currentStore: StoreConfig): EnvLayer {
  const problems: FileProblem[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const report = (name: string, key: string, problem: string, code: ErrorCode = 'PC_ERR_CONFIG_ENV', allowed?: readonly string[]): void => {
    problems.push({ code, file: `env ${name}`, line: 0, col: 0, keyPath: key, problem, ...(allowed ? { allowed } : {}) });
  };
  /** Parses a variable if set; reports and yields undefined when it does not parse. */
  const parsed = <T>(name: string, key: string, parse: (text: string) => Parsed<T>): T | undefined => {
    const text = value(name);
    if (text === undefined) return undefined;
    const result = parse(text);
    if (result.ok) return result.value;
    report(name, key, result.reason);
    return undefined;
  };
  const checked = (check: (text: string) => string | null) => (text: string): Parsed<string> => {
    const reason = check(text);
    return reason === null ? { ok: true, value: text } : { ok: false, reason };
  };
  const list = <T>(parse: (text: string) => Parsed<T>) => (text: string): Parsed<T[]> => {
    const items: T[] = [];
    const reasons: string[] = [];
    for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
      const one = parse(entry);
      if (one.ok) items.push(one.value);
      else reasons.push(one.reason);
    }
    if (reasons.length > 0) return { ok: false, reason: reasons.join('; ') };
    return { ok: true, value: items };
  };

  const layer: ConfigLayer = {
    listen: parsed('PORTCULLIS_LISTEN', 'listen', (t) => parseHostPort(t)),
    upstream: parsed('PORTCULLIS_UPSTREAM', 'upstream', checked(checkUpstreamUrl)),
    admin: {
      listen: parsed('PORTCULLIS_ADMIN_LISTEN', 'admin.listen', (t) => parseHostPort(t)),
      token: value('PORTCULLIS_ADMIN_TOKEN'),
      metricsToken: parsed('PORTCULLIS_METRICS_TOKEN', 'admin.metricsToken', (t) =>
        t.length >= MIN_TOKEN_LENGTH ? { ok: true, value: t } : { ok: false, reason: `is ${t.length} characters long; at least ${MIN_TOKEN_LENGTH} are needed (\`openssl rand -hex 24\`)` },
      ),
      metricsListen: parsed('PORTCULLIS_METRICS_LISTEN', 'admin.metricsListen', (t) => parseHostPort(t)),
      console: {
        sessionIdleMs: parsed('PORTCULLIS_CONSOLE_SESSION_IDLE_SECONDS', 'admin.console.sessionIdleMs', seconds),
        sessionMaxMs: parsed('PORTCULLIS_CONSOLE_SESSION_MAX_SECONDS', 'admin.console.sessionMaxMs', seconds),
      },
    },
    // From the environment, relative paths are the operator's shell's: resolve against the cwd.
    policiesDir: mapDefined(value('PORTCULLIS_POLICIES'), (p) => resolve(cwd, p)),
    stateDir: mapDefined(value('PORTCULLIS_STATE_DIR'), (p) => resolve(cwd, p)),
    trustedProxies: parsed('PORTCULLIS_TRUSTED_PROXIES', 'trustedProxies', list(parseCidr)),
    allowlist: parsed('PORTCULLIS_ALLOWLIST', 'allowlist', list(parseCidr)),
    shadow: parsed('PORTCULLIS_SHADOW', 'shadow', (t) =>
      /^(true|1|yes|on)$/i.test(t) ? { ok: true, value: true } : /^(false|0|no|off)$/i.test(t) ? { ok: true, value: false } : { ok: false, reason: `"${t}" is not a boolean; use true or false` },
    ),
    timeScale: parsed('PORTCULLIS_TIME_SCALE', 'timeScale', (t) => {
      const n = Number(t);
      return Number.isFinite(n) && n >= 1 ? { ok: true, value: n } : { ok: false, reason: `"${t}" is not a number of 1 or more (seconds of the gateway's clock per wall second)` };
    }),
    secret: value('PORTCULLIS_SECRET'),
    logLevel: parsed('PORTCULLIS_LOG_LEVEL', 'logLevel', (t) =>
      (LOG_LEVELS as readonly string[]).includes(t)
        ? { ok: true, value: t as GatewayConfig['logLevel'] }
        : { ok: false, reason: `"${t}" is not a log level; use one of ${LOG_LEVELS.join(', ')}` },
    ),
    store: storeFromEnv(),
  };
  return { layer, problems };

  function storeFromEnv(): StoreConfig | undefined {
    const set = STORE_VARIABLES.filter((name) => value(name) !== undefined);
    const sentinelName = value('PORTCULLIS_REDIS_SENTINEL_NAME');
    if (set.length > 1) {
      // Which one the operator meant cannot be guessed; starting on the wrong store would split state.
      report(set.join(', '), 'store', `${set.length} Redis stores are set at once; set only one of ${STORE_VARIABLES.join(', ')}`);
      return undefined;
    }
    if (sentinelName !== undefined && set[0] !== 'PORTCULLIS_REDIS_SENTINELS') {
      if (set.length === 0 && currentStore.kind === 'redis-sentinel') return { ...currentStore, name: sentinelName };
      report('PORTCULLIS_REDIS_SENTINEL_NAME', 'store.name', 'is set, but the store is not Redis Sentinel; set PORTCULLIS_REDIS_SENTINELS too, or unset it');
    }
    const hostPorts = (text: string): Parsed<HostPort[]> => {
      const result = list((t) => parseHostPort(t))(text);
      return result.ok && result.value.length === 0 ? { ok: false, reason: 'lists no "host:port"' } : result;
    };
    switch (set[0]) {
      case 'REDIS_URL':
        return mapDefined(parsed('REDIS_URL', 'store.url', checked(checkRedisUrl)), (url) => ({ kind: 'redis', url }));
      case 'PORTCULLIS_REDIS_CLUSTER':
        return mapDefined(parsed('PORTCULLIS_REDIS_CLUSTER', 'store.nodes', hostPorts), (nodes) => ({ kind: 'redis-cluster', nodes }));
      case 'PORTCULLIS_REDIS_SENTINELS':
        return mapDefined(parsed('PORTCULLIS_REDIS_SENTINELS', 'store.sentinels', hostPorts), (sentinels) => ({
          kind: 'redis-sentinel',
          sentinels,
          name: sentinelName ?? 'mymaster',
        }));
      default:
        return undefined;
    }
  }
}

/** A whole number of seconds, as milliseconds. */
function seconds(text: string): Parsed<number> {
  return /^[1-9][0-9]{0,8}$/.test(text) ? { ok: true, value: Number(text) * 1000 } : { ok: false, reason: `"${text}" is not a whole number of seconds (1 or more)` };
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}
