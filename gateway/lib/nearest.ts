/**
 * "Did you mean …?" for names: unknown config keys today, unknown policy fields and signals later.
 * Optimal-string-alignment distance (Damerau-Levenshtein without repeated edits of one substring):
 * a swapped pair of letters, the commonest typo, costs 1 rather than 2.
 */

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // One flat table; the alphabet is small and names are short, so no banding is needed.
  const d = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

export interface NearestOptions {
  /** How many names to return at most. */
  readonly limit?: number;
}

/**
 * The candidates ordered by closeness to `word`, nearest first, at most `limit` (default 5).
 * Case is ignored when measuring (so `FormBodyMaxBytes` finds `formBodyMaxBytes` at distance 0), and
 * ties keep the candidates' own order, which is the schema's order and so the documentation's.
 */
export function nearest(word: string, candidates: readonly string[], options: NearestOptions = {}): string[] {
  const limit = options.limit ?? 5;
  const lower = word.toLowerCase();
  return candidates
    .map((name, index) => ({ name, index, distance: editDistance(lower, name.toLowerCase()) }))
    .sort((x, y) => x.distance - y.distance || x.index - y.index)
    .slice(0, limit)
    .map((c) => c.name);
}
