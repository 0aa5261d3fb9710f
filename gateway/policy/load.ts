/**
 * Loading a policy set from disk: every `*.yaml` / `*.yml` file of a folder (not `*.test.yaml`, not the
 * `tests/` folder), or one file. All problems of all files at once; a set only when there are none.
 * Reading files is the only I/O of the policy core, and it happens here, at load, never per request.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileProblem } from '../lib/errors';
import { sortProblems } from '../lib/schema-problems';
import type { CompiledPolicySet } from './compiled';
import { compilePolicySet, type PolicySource } from './compile';

export const isPolicyFile = (name: string): boolean => /\.ya?ml$/.test(name) && !/\.test\.ya?ml$/.test(name);
export const isTestFile = (name: string): boolean => /\.test\.ya?ml$/.test(name);

export interface LoadResult {
  readonly set?: CompiledPolicySet;
  readonly problems: readonly FileProblem[];
}

/** The policy files a path names: the file itself, or the policy files of the folder, sorted. */
export function policyFiles(path: string): { files: string[]; problem?: FileProblem } {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String((err as Error).message);
    return { files: [], problem: { code: 'PC_ERR_POLICY_FILE', file: path, line: 0, col: 0, keyPath: '', problem: `cannot read policies: ${reason}` } };
  }
  if (stat.isFile()) return { files: [path] };
  const files = readdirSync(path)
    .filter(isPolicyFile)
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
  if (files.length === 0) {
    return { files, problem: { code: 'PC_ERR_POLICY_FILE', file: path, line: 0, col: 0, keyPath: '', problem: 'no policy files (*.yaml) in this folder' } };
  }
  return { files };
}

export function readPolicySources(path: string): { sources: PolicySource[]; problems: FileProblem[] } {
  const { files, problem } = policyFiles(path);
  const problems: FileProblem[] = problem ? [problem] : [];
  const sources: PolicySource[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      problems.push({ code: 'PC_ERR_POLICY_FILE', file, line: 0, col: 0, keyPath: '', problem: `cannot read the file: ${(err as Error).message}` });
    }
  }
  return { sources, problems };
}

/** Loads and compiles every policy file under `path` (a folder or one file). */
export function loadPolicySet(path: string): LoadResult {
  const { sources, problems } = readPolicySources(path);
  if (sources.length === 0) return { problems };
  const compiled = compilePolicySet(sources);
  const all = sortProblems([...problems, ...compiled.problems]);
  return all.length > 0 ? { problems: all } : { set: compiled.set!, problems: [] };
}
