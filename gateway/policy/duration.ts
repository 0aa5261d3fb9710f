/** Durations as policies write them: `90s`, `15m`, `1h30m`, `7d`. */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION_PATTERN = '^(\\d+(ms|s|m|h|d))+$';
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNITS[m[2]!]!;
  return total;
}

/** Why `text` is not a duration, or null (a schema format check). */
export function checkDuration(text: string): string | null {
  const ms = parseDuration(text);
  if (ms === undefined) return `"${text}" is not a duration; write a number and a unit: 90s, 15m, 1h30m, 7d (units ms, s, m, h, d)`;
  if (ms === 0) return 'a duration must be longer than 0';
  return null;
}

/** `1h30m`, `15m`, `2d`: the shortest exact spelling. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'until lifted';
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
