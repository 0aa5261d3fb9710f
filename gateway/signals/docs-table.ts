/**
 * The signal catalogue as a Markdown table, for docs/signals.md (scripts/gen-signal-docs.ts writes
 * it; a test checks the committed file is current). Generated from SIGNAL_CATALOG so that the docs
 * cannot drift from what the policy engine type-checks against.
 */
import { SIGNAL_CATALOG, type SignalDef } from './catalog';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function unknownValue(v: SignalDef['whenUnknown']): string {
  return typeof v === 'string' ? (v === '' ? '`""`' : `\`"${v}"\``) : `\`${String(v)}\``;
}

function applies(s: SignalDef): string {
  const kinds = s.kinds ? s.kinds.join(', ') : 'all';
  return s.phase === 'outcome' ? `${kinds} (outcome phase)` : kinds;
}

export function docsTable(catalog: readonly SignalDef[] = SIGNAL_CATALOG): string {
  const rows = catalog.map(
    (s) => `| \`${s.name}\` | ${s.type} | ${cell(s.description)} | ${unknownValue(s.whenUnknown)} | ${cell(applies(s))} |`,
  );
  return ['| Signal | Type | Meaning | When unknown | Request kinds |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
