/**
 * Where a portal's directory webhook URL comes from: the configuration itself, an environment
 * variable, or a file (a mounted secret). At most one may be set; none means no sync for that portal.
 * `problems` is what the configuration loader reports at start (the URL itself is never in a message).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DirectorySyncSettings } from './types';

export interface SourceProblem {
  /** The key under `portals.<host>.directorySync` at fault. */
  readonly key: 'webhookUrl' | 'webhookUrlEnv' | 'webhookUrlFile';
  readonly code: 'PC_ERR_CONFIG_TYPE' | 'PC_ERR_CONFIG_ENV' | 'PC_ERR_CONFIG_FILE';
  readonly problem: string;
}

const SOURCES = ['webhookUrl', 'webhookUrlEnv', 'webhookUrlFile'] as const;

export function syncEnabled(s: DirectorySyncSettings): boolean {
  return SOURCES.some((k) => s[k] !== null);
}

/** The webhook URL, or a problem; null when no source is set. */
export function resolveWebhookUrl(s: DirectorySyncSettings, env: NodeJS.ProcessEnv, cwd: string): { url: string } | { problem: SourceProblem } | null {
  const set = SOURCES.filter((k) => s[k] !== null);
  if (set.length === 0) return null;
  if (set.length > 1) return { problem: { key: set[1]!, code: 'PC_ERR_CONFIG_TYPE', problem: `set only one of ${set.join(', ')}` } };
  if (s.webhookUrl !== null) return { url: s.webhookUrl };
  if (s.webhookUrlEnv !== null) {
    const v = env[s.webhookUrlEnv]?.trim();
    return v ? { url: v } : { problem: { key: 'webhookUrlEnv', code: 'PC_ERR_CONFIG_ENV', problem: `the environment variable ${s.webhookUrlEnv} is not set (it should hold the portal's webhook URL)` } };
  }
  const file = path.resolve(cwd, s.webhookUrlFile!);
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    return v ? { url: v } : { problem: { key: 'webhookUrlFile', code: 'PC_ERR_CONFIG_FILE', problem: `${file} is empty` } };
  } catch (err) {
    return { problem: { key: 'webhookUrlFile', code: 'PC_ERR_CONFIG_FILE', problem: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` } };
  }
}
