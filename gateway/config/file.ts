/**
 * The configuration file as one layer: read with positions, validated against CONFIG_SCHEMA with every
 * problem reported, then converted from the file's spelling ("host:port" strings, relative paths) to
 * the GatewayConfig shape. Conversion runs only on a valid file, so it may trust the schema.
 */
import { dirname, resolve } from 'node:path';
import type { FileProblem } from '../lib/errors';
import { compileSchema, sortProblems, type SchemaCodes, type SchemaValidator } from '../lib/schema-problems';
import { readYamlFile, type YamlSource } from '../lib/yaml-source';
import { DEFAULT_CONFIG } from './defaults';
import { parseCidr, parseHostPort, STRING_FORMATS } from './formats';
import type { ConfigLayer } from './merge';
import { CONFIG_SCHEMA } from './schema';
import type { AdminToken, HostPort, StoreConfig } from './types';
import { resolveAdminTokens, type RawAdminToken } from './admin-tokens';

export const CONFIG_CODES: SchemaCodes = {
  unknownKey: 'PC_ERR_CONFIG_UNKNOWN_KEY',
  invalid: 'PC_ERR_CONFIG_TYPE',
  required: 'PC_ERR_CONFIG_REQUIRED',
};

let validator: SchemaValidator | undefined;
/** Compiled on first use and kept: ajv compilation costs milliseconds, validation microseconds. */
export function configValidator(): SchemaValidator {
  validator ??= compileSchema(CONFIG_SCHEMA, { formats: STRING_FORMATS });
  return validator;
}

export interface FileLayer {
  /** Absolute path of the file. */
  readonly path: string;
  readonly source: YamlSource;
  readonly layer: ConfigLayer;
  readonly problems: readonly FileProblem[];
}

/** `file` as the user wrote it (it names the file in messages); relative to `cwd`. */
export function readConfigFile(file: string, cwd: string, env: NodeJS.ProcessEnv = process.env): FileLayer {
  const path = resolve(cwd, file);
  const source = readYamlFile(path, { file, syntaxCode: 'PC_ERR_CONFIG_YAML', readCode: 'PC_ERR_CONFIG_FILE' });
  // Unreadable, or not YAML: nothing else can be said. A duplicate key leaves a value to check, so its
  // problem is reported together with every other one of the file.
  if (source.value === undefined && source.problems.length > 0) return { path, source, layer: {}, problems: source.problems };
  // An empty file (or one of comments only) is a valid file that says nothing.
  const value = source.value ?? {};
  const problems = sortProblems([...source.problems, ...configValidator().problems(value, { file, locate: source.locate, codes: CONFIG_CODES })]);
  if (problems.length > 0) return { path, source, layer: {}, problems };
  const raw = value as RawConfig;
  const tokens = resolveAdminTokens(raw.admin?.tokens ?? [], { file, folder: dirname(path), env, locate: source.locate });
  if (tokens.problems.length > 0) return { path, source, layer: {}, problems: tokens.problems };
  return { path, source, layer: toLayer(raw, dirname(path), raw.admin?.tokens ? tokens.tokens : undefined), problems: [] };
}

type RawListen = string | { host?: string; port: number };
type RawStore =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string }
  | { kind: 'redis-cluster'; nodes: string[] }
  | { kind: 'redis-sentinel'; sentinels: string[]; name?: string };

/** The file as written: the schema guarantees these shapes. */
interface RawConfig extends Omit<ConfigLayer, 'listen' | 'admin' | 'store'> {
  listen?: RawListen;
  admin?: { listen?: RawListen; token?: string | null; metricsToken?: string | null; tokens?: RawAdminToken[]; metricsListen?: RawListen | null; console?: { sessionIdleMs?: number; sessionMaxMs?: number } };
  store?: RawStore;
}

function listenOf(raw: RawListen | undefined, defaults: HostPort): HostPort | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'object') return { host: raw.host ?? defaults.host, port: raw.port };
  const parsed = parseHostPort(raw);
  if (!parsed.ok) throw new Error(`schema let through a bad listen address: ${parsed.reason}`);
  return parsed.value;
}

function hostPorts(list: readonly string[]): HostPort[] {
  return list.map((entry) => listenOf(entry, DEFAULT_CONFIG.listen)!);
}

export function storeOf(raw: RawStore): StoreConfig {
  switch (raw.kind) {
    case 'memory':
      return { kind: 'memory' };
    case 'redis':
      return { kind: 'redis', url: raw.url };
    case 'redis-cluster':
      return { kind: 'redis-cluster', nodes: hostPorts(raw.nodes) };
    case 'redis-sentinel':
      return { kind: 'redis-sentinel', sentinels: hostPorts(raw.sentinels), name: raw.name ?? 'mymaster' };
  }
}

function toLayer(raw: RawConfig, folder: string, tokens: AdminToken[] | undefined): ConfigLayer {
  const { listen, admin, store, policiesDir, stateDir, trustedProxies, allowlist, ...rest } = raw;
  const cidrs = (list: readonly string[] | undefined): string[] | undefined =>
    list?.map((cidr) => {
      const parsed = parseCidr(cidr);
      return parsed.ok ? parsed.value : cidr;
    });
  return {
    ...rest,
    listen: listenOf(listen, DEFAULT_CONFIG.listen),
    admin: admin && {
      token: admin.token,
      metricsToken: admin.metricsToken,
      tokens,
      listen: listenOf(admin.listen, DEFAULT_CONFIG.admin.listen),
      metricsListen: admin.metricsListen === null ? null : listenOf(admin.metricsListen, { host: '0.0.0.0', port: 9181 }),
      console: admin.console,
    },
    store: store && storeOf(store),
    // Relative to the file, not to wherever the process happens to start: the file travels with them.
    policiesDir: policiesDir === undefined ? undefined : resolve(folder, policiesDir),
    stateDir: stateDir === undefined ? undefined : resolve(folder, stateDir),
    trustedProxies: cidrs(trustedProxies),
    allowlist: cidrs(allowlist),
  };
}
