/** Reads the Prometheus text exposition (the admin API's /metrics) into samples by name and labels. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of a metric's samples grouped by one label (or all of it under ''). */
export function sumBy(samples: readonly Sample[], name: string, label: string | null, filter: (l: Readonly<Record<string, string>>) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name || !filter(s.labels)) continue;
    const k = label === null ? '' : s.labels[label] ?? '';
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/**
 * Decoy answers in a `portcullis_requests_total` sum by answer: the request line's answer is
 * `decoy:<why>` (decoy:user_blocked, decoy:ip_blocked, decoy:deny_attempt, decoy:reset_required, …),
 * never a bare `decoy`, so every answer with that prefix counts.
 */
export function decoyAnswers(byAnswer: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const [answer, v] of byAnswer) if (answer === 'decoy' || answer.startsWith('decoy:')) n += v;
  return n;
}
