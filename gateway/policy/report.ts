/** Text and JSON renderings shared by the CLI and the tests (no I/O here). */
import { formatProblem, type FileProblem } from '../lib/errors';
import type { ReplaySummary } from './replay';
import type { TestRunResult } from './test-runner';

export function formatLint(problems: readonly FileProblem[], ok: { files: number; policies: number; rules: number; version: string } | undefined): string {
  if (problems.length > 0) {
    const files = new Set(problems.map((p) => p.file)).size;
    return `${problems.map(formatProblem).join('\n')}\n\n${problems.length} problem(s) in ${files} file(s). See docs/policies.md and docs/errors.md.\n`;
  }
  return `ok: ${ok!.policies} policies, ${ok!.rules} rules in ${ok!.files} file(s); set version ${ok!.version}\n`;
}

export function formatTestRun(result: TestRunResult): string {
  const lines: string[] = [];
  for (const p of result.problems) lines.push(formatProblem(p));
  if (result.problems.length > 0) lines.push('');
  for (const file of result.files) {
    lines.push(file.file);
    for (const c of file.cases) {
      lines.push(`  ${c.ok ? '✓' : '✗'} ${c.name}`);
      for (const f of c.failures) lines.push(`      ${f}`);
    }
  }
  const total = result.passed + result.failed;
  lines.push('', `Tests: ${result.failed > 0 ? `${result.failed} failed, ` : ''}${result.passed} passed, ${total} total${result.problems.length > 0 ? `; ${result.problems.length} problem(s) stopped files from running` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function formatReplay(s: ReplaySummary): string {
  const lines = [
    `events replayed: ${s.events}`,
    `events with a block: ${s.blocksBefore} before → ${s.blocksAfter} after (blocks added ${s.added}, removed ${s.removed})`,
    '',
  ];
  const table = (title: string, rows: Readonly<Record<string, { added: number; removed: number }>>): void => {
    const entries = Object.entries(rows).sort((a, b) => b[1].added + b[1].removed - (a[1].added + a[1].removed));
    if (entries.length === 0) return;
    const width = Math.max(title.length, ...entries.map(([k]) => k.length));
    lines.push(`${title.padEnd(width)}  ${'added'.padStart(7)}  ${'removed'.padStart(7)}`);
    lines.push(`${'-'.repeat(width)}  ${'-'.repeat(7)}  ${'-'.repeat(7)}`);
    for (const [k, v] of entries) lines.push(`${k.padEnd(width)}  ${String(v.added).padStart(7)}  ${String(v.removed).padStart(7)}`);
    lines.push('');
  };
  table('rule', s.byRule);
  table('action', s.byAction);
  if (s.added + s.removed === 0) lines.push('no change: the new set blocks exactly what was blocked.', '');
  const errors = Object.entries(s.errors);
  if (errors.length > 0) lines.push(`rules that could not decide (counted as not matched): ${errors.map(([r, n]) => `${r} ×${n}`).join(', ')}`, '');
  return lines.join('\n');
}
