import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicySet } from '../../gateway/policy/compile';
import type { CompiledPolicySet } from '../../gateway/policy/compiled';

export const HEADER = '# yaml-language-server: $schema=./portcullis-policy.schema.json\n';

/** A folder with these files (name → text). */
export function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-policy-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function compileOk(...texts: string[]): CompiledPolicySet {
  const { set, problems } = compilePolicySet(texts.map((text, i) => ({ file: `p${i}.yaml`, text })));
  if (!set) throw new Error(`expected a set, got:\n${problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.keyPath}: ${p.problem} [${p.code}]`).join('\n')}`);
  return set;
}

export function compileProblems(...texts: string[]) {
  return compilePolicySet(texts.map((text, i) => ({ file: `p${i}.yaml`, text }))).problems;
}

/** A small policy with one counter and the given rules (YAML list items, indented 2). */
export function policy(opts: { name?: string; mode?: string; rules: string; actions?: string; on?: string }): string {
  return `${HEADER}version: portcullis/v1
name: ${opts.name ?? 'test'}
on: ${opts.on ?? '[login]'}
${opts.mode ? `mode: ${opts.mode}\n` : ''}counters:
  fails: { count: login.failed, by: [portal, user], window: 15m }
rules:
${opts.rules}
actions:
${opts.actions ?? `  - at: 100
    do: block_user
    also: [block_portal_rest]
  - at: 50
    do: deny_attempt`}
`;
}
