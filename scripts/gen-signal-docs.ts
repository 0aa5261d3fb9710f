/**
 * Writes the signal catalogue table into docs/signals.md, between
 * `<!-- generated:signal-catalog -->` and `<!-- /generated:signal-catalog -->`; the prose around it is
 * hand-written and kept.
 *
 * Usage (after `npm run build`): node dist/scripts/gen-signal-docs.js [--check]
 * --check writes nothing and exits 1 when docs/signals.md differs from what would be generated.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsTable } from '../gateway/signals/docs-table';
import { fillRegions, repoRoot } from './gen-docs';

export const SIGNAL_DOCS_PATH = 'docs/signals.md';

/** The content docs/signals.md should have. */
export function signalDocs(root: string = repoRoot()): string {
  const current = readFileSync(join(root, SIGNAL_DOCS_PATH), 'utf8');
  return fillRegions(current, { 'signal-catalog': docsTable() }, SIGNAL_DOCS_PATH);
}

export function signalDocsStale(root: string = repoRoot()): boolean {
  return readFileSync(join(root, SIGNAL_DOCS_PATH), 'utf8') !== signalDocs(root);
}

function main(argv: readonly string[]): number {
  const root = repoRoot();
  if (argv.includes('--check')) {
    if (!signalDocsStale(root)) return 0;
    console.error(`stale: ${SIGNAL_DOCS_PATH} (run: npm run build && node dist/scripts/gen-signal-docs.js)`);
    return 1;
  }
  writeFileSync(join(root, SIGNAL_DOCS_PATH), signalDocs(root));
  console.log(`wrote ${SIGNAL_DOCS_PATH}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
