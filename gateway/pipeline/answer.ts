/**
 * An answer the gateway gives in the portal's name instead of forwarding: a value, built by a stage and
 * written by the edge. Decisions are values; nothing here throws.
 */
export interface Answer {
  readonly status: number;
  /** A header map, or a flat [name, value, …] list as the portal sent it (a decoy is the portal's answer). */
  readonly headers: Readonly<Record<string, string | readonly string[]>> | readonly string[];
  readonly body: string | Buffer;
  /** Why, for the log line and metrics (e.g. `rest_blocked`, `decoy`, `body_too_large`). Never sent. */
  readonly reason: string;
}

export function plainAnswer(status: number, text: string, reason: string): Answer {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: `${text}\n`,
    reason,
  };
}
