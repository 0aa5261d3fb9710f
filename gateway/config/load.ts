/**
 * loadConfig: defaults < file < environment < overrides, validated as a whole, frozen.
 *
 * Every problem of the file and of the environment is collected before anything is thrown, so an
 * operator fixes a broken deployment in one round: one `FileProblems` carries them all (the CLI prints
 * them with formatProblem and exits 2).
 */
import { resolve } from 'node:path';
import { FileProblems, type FileProblem } from '../lib/errors';
import { DEFAULT_CONFIG } from './defaults';
import { readEnv } from './env';
import { readConfigFile, type FileLayer } from './file';
import { resolveWebhookUrl } from './directory-webhook';
import { deepFreeze, deepMerge, type ConfigLayer } from './merge';
import type { GatewayConfig, PortalSettings } from './types';

export { describeConfig } from './describe';
export type { ConfigLayer, DeepPartial } from './merge';

/** Shorter secrets make keyed hashes of identifiers guessable offline. */
export const MIN_SECRET_LENGTH = 16;

export interface LoadConfigOptions {
  /** Environment to read; default `process.env`. Tests pass `{}` for defaults only. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Config file, relative to `cwd`. When null or undefined, `env.PORTCULLIS_CONFIG` names it (so
   * `serve --config` wins over the variable); with neither, there is no file. Pass `env: {}` for none at all.
   */
  readonly file?: string | null;
  /** Folder that relative paths from the environment and the defaults are resolved against; default `process.cwd()`. */
  readonly cwd?: string;
  /** `serve` needs a portal to forward to; `demo` supplies its simulator through `overrides` instead. */
  readonly requireUpstream?: boolean;
  /** `serve` refuses to run without a real secret; the demo does not. */
  readonly requireSecret?: boolean;
  /** Applied last, above the environment, without validation: for the demo and tests, not for people. */
  readonly overrides?: ConfigLayer;
}

export function loadConfig(options: LoadConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fileName = options.file ?? (env.PORTCULLIS_CONFIG?.trim() || null);
  const file = fileName ? readConfigFile(fileName, cwd, env) : null;
  const fileStore = file?.layer.store ?? DEFAULT_CONFIG.store;
  const fromEnv = readEnv(env, cwd, fileStore);

  const defaults = {
    ...DEFAULT_CONFIG,
    policiesDir: resolve(cwd, DEFAULT_CONFIG.policiesDir),
    stateDir: resolve(cwd, DEFAULT_CONFIG.stateDir),
  };
  const merged = deepMerge<Omit<GatewayConfig, 'portals'> & { portals: ConfigLayer['portals'] }>(
    defaults,
    file?.layer,
    fromEnv.layer,
    options.overrides,
  );
  // Stores are whole values (see ConfigLayer): the highest layer that names one wins outright.
  const store = options.overrides?.store ?? fromEnv.layer.store ?? file?.layer.store ?? DEFAULT_CONFIG.store;
  // Each portal is completed from the final portalDefaults, so a default changed in the file reaches every portal.
  const portals: Record<string, PortalSettings> = {};
  for (const [host, partial] of Object.entries(merged.portals ?? {})) {
    portals[host] = deepMerge(merged.portalDefaults, partial);
  }
  const config: GatewayConfig = { ...merged, store, portals, source: file?.path ?? null };

  const problems: FileProblem[] = [...(file?.problems ?? []), ...fromEnv.problems, ...requirements(config, options, file, fromEnv.layer), ...directorySyncProblems(config, env, cwd, file)];
  if (problems.length > 0) throw new FileProblems(problems);
  return deepFreeze(config);
}

/** Where a setting came from, for pointing at it in a problem. */
function origin(key: 'upstream' | 'secret', envName: string, options: LoadConfigOptions, file: FileLayer | null, envLayer: ConfigLayer) {
  if (options.overrides?.[key] !== undefined) return { file: 'overrides', line: 0, col: 0 };
  if (envLayer[key] !== undefined || file?.layer[key] === undefined) return { file: `env ${envName}`, line: 0, col: 0 };
  return { file: file.source.file, ...file.source.locate([key], 'value') };
}

/** A key the broken file does set: its absence from the merged result is not the operator's mistake. */
function brokenFileSets(file: FileLayer | null, key: string): boolean {
  const raw = file?.source.value;
  return !!file && file.problems.length > 0 && raw !== null && typeof raw === 'object' && key in raw;
}

function requirements(config: GatewayConfig, options: LoadConfigOptions, file: FileLayer | null, envLayer: ConfigLayer): FileProblem[] {
  const problems: FileProblem[] = [];
  if (options.requireUpstream && !config.upstream && !brokenFileSets(file, 'upstream')) {
    problems.push({
      code: 'PC_ERR_CONFIG_REQUIRED',
      ...origin('upstream', 'PORTCULLIS_UPSTREAM', options, file, envLayer),
      keyPath: 'upstream',
      problem: 'the URL of the portal is required; set PORTCULLIS_UPSTREAM (e.g. https://portal.example.com) or `upstream` in the config file',
    });
  }
  // One secret, one name and one role: a token given twice would be audited under whichever matched.
  const { token, metricsToken, tokens } = config.admin;
  const clash = tokens.find((t) => t.token === token || t.token === metricsToken)?.name ?? (token !== null && token === metricsToken ? 'admin.metricsToken' : null);
  if (clash !== null) {
    problems.push({ code: 'PC_ERR_CONFIG_TYPE', file: config.source ?? 'env PORTCULLIS_ADMIN_TOKEN', line: 0, col: 0, keyPath: 'admin', problem: `the admin token (admin.token or admin.metricsToken) has the same secret as ${clash}: give each token its own secret` });
  }
  if (options.requireSecret && !brokenFileSets(file, 'secret')) {
    const advice = 'make one with `openssl rand -hex 32` and set PORTCULLIS_SECRET';
    const secret = config.secret;
    // The secret itself never appears in a message, only its length.
    const problem = !secret
      ? `a secret is required for keyed hashes of identifiers; ${advice}`
      : secret.length < MIN_SECRET_LENGTH
        ? `is ${secret.length} characters long; at least ${MIN_SECRET_LENGTH} are needed; ${advice}`
        : null;
    if (problem) problems.push({ code: 'PC_ERR_CONFIG_SECRET', ...origin('secret', 'PORTCULLIS_SECRET', options, file, envLayer), keyPath: 'secret', problem });
  }
  return problems;
}

/** Each portal's directory webhook source must be one, and readable (the URL itself is never in a problem). */
function directorySyncProblems(config: GatewayConfig, env: NodeJS.ProcessEnv, cwd: string, file: FileLayer | null): FileProblem[] {
  const at = (keys: string[]) => (file ? { file: file.source.file, ...file.source.locate(keys, 'key') } : { file: 'config', line: 0, col: 0 });
  const problems: FileProblem[] = [];
  for (const [host, settings] of Object.entries(config.portals)) {
    const r = resolveWebhookUrl(settings.directorySync, env, cwd);
    if (r === null || !('problem' in r)) continue;
    const keys = ['portals', host, 'directorySync', r.problem.key];
    problems.push({ code: r.problem.code, ...at(keys), keyPath: keys.join('.'), problem: r.problem.problem });
  }
  return problems;
}
