/**
 * `admin.tokens` of the configuration file: each entry's secret read from where it says (the value,
 * a file beside the configuration, or an environment variable), and the rules the schema cannot say:
 * exactly one source, unique names, unique secrets, and no entry named like the built-in tokens.
 * Problems point at the entry's key (file:line:col); a secret never appears in one, only its length.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ErrorCode, FileProblem } from '../lib/errors';
import { formatKeyPath, type KeyPath, type Position } from '../lib/yaml-source';
import type { Role } from '../admin/roles';
import { MIN_TOKEN_LENGTH } from './schema';
import type { AdminToken } from './types';

export interface RawAdminToken {
  name: string;
  role: Role;
  token?: string;
  tokenFile?: string;
  tokenEnv?: string;
}

const SOURCES = ['token', 'tokenFile', 'tokenEnv'] as const;

/** Names the gateway gives PORTCULLIS_ADMIN_TOKEN and PORTCULLIS_METRICS_TOKEN. */
export const BUILT_IN_TOKEN_NAMES = { admin: 'admin', metrics: 'metrics' } as const;

export interface TokenContext {
  readonly file: string;
  /** The configuration file's folder: tokenFile is relative to it. */
  readonly folder: string;
  readonly env: NodeJS.ProcessEnv;
  readonly locate: (path: KeyPath, target?: 'key' | 'value') => Position;
}

export function resolveAdminTokens(raw: readonly RawAdminToken[], ctx: TokenContext): { tokens: AdminToken[]; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const tokens: AdminToken[] = [];
  const names = new Map<string, number>();
  const secrets = new Map<string, number>();
  const report = (i: number, key: string | null, code: ErrorCode, problem: string, allowed?: readonly string[]): void => {
    const path: KeyPath = key === null ? ['admin', 'tokens', i] : ['admin', 'tokens', i, key];
    problems.push({ code, file: ctx.file, ...ctx.locate(path, key === null ? 'value' : 'key'), keyPath: formatKeyPath(path), problem, ...(allowed ? { allowed } : {}) });
  };
  raw.forEach((entry, i) => {
    const given = SOURCES.filter((k) => entry[k] !== undefined);
    if (given.length !== 1) {
      report(i, given[1] ?? null, given.length === 0 ? 'PC_ERR_CONFIG_REQUIRED' : 'PC_ERR_CONFIG_TYPE', given.length === 0 ? 'the token\'s secret is missing: give exactly one of token, tokenFile, tokenEnv' : `gives ${given.join(' and ')}: give exactly one of them`, SOURCES);
      return;
    }
    const secret = secretOf(entry, i, ctx, report);
    const lower = entry.name.toLowerCase();
    if (names.has(lower)) report(i, 'name', 'PC_ERR_CONFIG_TYPE', `"${entry.name}" is already the name of admin.tokens[${names.get(lower)}]: names must be unique (the audit tells holders apart by them)`);
    else if (lower === BUILT_IN_TOKEN_NAMES.admin || lower === BUILT_IN_TOKEN_NAMES.metrics) report(i, 'name', 'PC_ERR_CONFIG_TYPE', `"${entry.name}" is the name of a built-in token (admin.token, admin.metricsToken); choose another`);
    names.set(lower, i);
    if (secret === null) return;
    if (secrets.has(secret)) {
      report(i, given[0]!, 'PC_ERR_CONFIG_TYPE', `holds the same secret as admin.tokens[${secrets.get(secret)}]: one secret, one name and one role`);
      return;
    }
    secrets.set(secret, i);
    tokens.push({ name: entry.name, role: entry.role, token: secret });
  });
  return { tokens: problems.length > 0 ? [] : tokens, problems };
}

function secretOf(entry: RawAdminToken, i: number, ctx: TokenContext, report: (i: number, key: string, code: ErrorCode, problem: string) => void): string | null {
  let secret: string;
  if (entry.tokenFile !== undefined) {
    try {
      secret = readFileSync(resolve(ctx.folder, entry.tokenFile), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      report(i, 'tokenFile', 'PC_ERR_CONFIG_FILE', `cannot read ${entry.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return null;
    }
  } else if (entry.tokenEnv !== undefined) {
    const v = ctx.env[entry.tokenEnv];
    if (v === undefined || v.trim() === '') {
      report(i, 'tokenEnv', 'PC_ERR_CONFIG_ENV', `the environment variable ${entry.tokenEnv} is not set (or empty)`);
      return null;
    }
    secret = v.trim();
  } else secret = entry.token!;
  if (secret.length < MIN_TOKEN_LENGTH) {
    report(i, entry.tokenFile !== undefined ? 'tokenFile' : entry.tokenEnv !== undefined ? 'tokenEnv' : 'token', 'PC_ERR_CONFIG_TYPE', `the secret is ${secret.length} characters long; at least ${MIN_TOKEN_LENGTH} are needed (\`openssl rand -hex 24\`)`);
    return null;
  }
  return secret;
}
