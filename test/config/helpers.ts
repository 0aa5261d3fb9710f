/** Shared by the config tests: temporary files and "collect the problems of a failing load". */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileProblems, type FileProblem } from '../../gateway/lib/errors';

/** A fresh folder with the given files (path → text); returns its absolute path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-config-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs `load`, which must throw FileProblems, and returns its problems. */
export function problemsOf(load: () => unknown): readonly FileProblem[] {
  try {
    load();
  } catch (err) {
    if (err instanceof FileProblems) return err.problems;
    throw err;
  }
  throw new Error('expected the load to fail with FileProblems');
}
