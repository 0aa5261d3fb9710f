/**
 * Policy reload cost, for `npm run bench`: a generated set of N rules (spread over policies of 50
 * rules, each reading signals and a counter, as real rules do) is written to a folder and reloaded
 * through the gateway's own PolicyReloader several times; the median is reported. Issue 4's target is
 * 500 rules in 200 ms or less.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../gateway/lib/clock';
import { PolicyReloader } from '../gateway/policy/reloader';

export interface ReloadFigure {
  readonly rules: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

const CONDITIONS = [
  '!device.known && counters.c{p}_failures >= {n}',
  'password.common && !user.second_factor && counters.c{p}_failures >= {n}',
  'geo.new_country && request.hour_utc < {h} && counters.c{p}_ips >= 2',
  'device.is_bot || (user.admin && counters.c{p}_failures >= {n})',
];

function policyText(p: number, rules: number): string {
  const lines = [
    'version: portcullis/v1',
    `name: generated-${p}`,
    'on: [login]',
    'counters:',
    `  c${p}_failures: { count: login.failed, by: [portal, user], window: 15m }`,
    `  c${p}_ips: { distinct: ip, of: login.failed, by: [portal, user], window: 1h }`,
    'rules:',
  ];
  for (let r = 0; r < rules; r++) {
    const when = CONDITIONS[r % CONDITIONS.length]!.replace(/\{p\}/g, String(p)).replace('{n}', String(5 + (r % 20))).replace('{h}', String(r % 24));
    lines.push(`  - { id: g${p}-r${r}, when: '${when}', score: ${1 + (r % 9)} }`);
  }
  lines.push('actions:', '  - { at: 1000, do: block_user, also: [block_portal_rest] }', '  - { at: 100, do: deny_attempt }');
  return `${lines.join('\n')}\n`;
}

/** Rules per generated policy file, as a large real set would be split. */
export const RULES_PER_GENERATED_POLICY = 50;

/**
 * Writes a generated set of `rules` login rules into `dir` (policies of RULES_PER_GENERATED_POLICY
 * rules each, every rule reading signals and a counter). Shared with bench/cost-growth.ts, so that
 * reload time and evaluation time are measured on the same sets.
 */
export function writeGeneratedPolicies(dir: string, rules: number): void {
  for (let p = 0, left = rules; left > 0; p++, left -= RULES_PER_GENERATED_POLICY) {
    writeFileSync(path.join(dir, `generated-${p}.yaml`), policyText(p, Math.min(RULES_PER_GENERATED_POLICY, left)));
  }
}

export function measurePolicyReload(ruleCounts: readonly number[], runs = 5): ReloadFigure[] {
  return ruleCounts.map((rules) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-bench-policies-'));
    try {
      writeGeneratedPolicies(dir, rules);
      const reloader = PolicyReloader.start({ dir, clock: systemClock });
      if (!(reloader instanceof PolicyReloader)) throw new Error(`generated policies do not load: ${reloader.problems[0]?.problem}`);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = reloader.reload('admin_api');
        if (!r.ok) throw new Error('generated policies stopped loading');
        times.push(r.durationMs);
      }
      times.sort((a, b) => a - b);
      return { rules, medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]! };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export function renderReloadFigures(figures: readonly ReloadFigure[]): string {
  const rows = figures.map((f) => `  ${String(f.rules).padStart(5)} rules   median ${f.medianMs.toFixed(1).padStart(7)} ms   max ${f.maxMs.toFixed(1).padStart(7)} ms`);
  return ['policy reload (read, compile and type-check every rule, swap), in this process:', ...rows].join('\n');
}
