import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsTable, SIGNAL_CATALOG } from '../../gateway/signals';
import { signalDocs, signalDocsStale } from '../../scripts/gen-signal-docs';

const root = join(__dirname, '..', '..');

describe('docs/signals.md', () => {
  it('is current with the catalogue (run: npm run build && node dist/scripts/gen-signal-docs.js)', () => {
    expect(signalDocsStale(root)).toBe(false);
    expect(readFileSync(join(root, 'docs/signals.md'), 'utf8')).toBe(signalDocs(root));
  });

  it('lists every signal with its type and unknown value', () => {
    const table = docsTable();
    for (const s of SIGNAL_CATALOG) expect(table).toContain(`| \`${s.name}\` | ${s.type} |`);
    expect(table).toContain('| `geo.country` | string |');
    expect(table.split('\n')).toHaveLength(SIGNAL_CATALOG.length + 2);
  });

  it('would be stale if the catalogue changed', () => {
    const changed = docsTable([...SIGNAL_CATALOG, { name: 'device.new_one', type: 'bool', description: 'x', whenUnknown: false }]);
    expect(readFileSync(join(root, 'docs/signals.md'), 'utf8')).not.toContain(changed);
  });
});
