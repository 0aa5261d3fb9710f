/**
 * The simulated day's time: `scale` simulated milliseconds per wall millisecond (the gateway runs
 * with the same PORTCULLIS_TIME_SCALE, so its windows see a real day's density). Events are planned
 * in milliseconds since the day's midnight; only those inside the run's window are played.
 */
export class Timeline {
  private wallStart: number | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Scripts planned before start(): their timers are set when the day starts. */
  private readonly planned: { atMs: number; script: () => Promise<void> }[] = [];
  /** How late scripts started, in simulated ms: a loaded machine stretches the day's density. */
  lateness = { maxMs: 0, totalMs: 0, count: 0 };

  constructor(
    readonly scale: number,
    /** The window played, in ms since midnight. */
    readonly fromMs: number,
    readonly toMs: number,
  ) {}

  start(): void {
    this.wallStart = performance.now();
    for (const { atMs, script } of this.planned.splice(0)) this.at(atMs, script);
  }

  /** Now, in simulated ms since midnight. */
  now(): number {
    return this.fromMs + (performance.now() - (this.wallStart ?? performance.now())) * this.scale;
  }

  /** Waits `ms` of simulated time. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / this.scale)));
  }

  /** Runs `script` at simulated time `atMs` when it falls inside the window. */
  at(atMs: number, script: () => Promise<void>): void {
    if (atMs < this.fromMs || atMs >= this.toMs) return;
    const wallStart = this.wallStart;
    if (wallStart === undefined) {
      this.planned.push({ atMs, script });
      return;
    }
    const p = new Promise<void>((resolve) => {
      setTimeout(() => {
        const late = Math.max(0, this.now() - atMs);
        this.lateness.maxMs = Math.max(this.lateness.maxMs, late);
        this.lateness.totalMs += late;
        this.lateness.count++;
        script().then(resolve, (err: unknown) => {
          process.stderr.write(`day: a script failed: ${(err as Error).stack ?? String(err)}\n`);
          resolve();
        });
      }, Math.max(0, (atMs - this.fromMs) / this.scale - (performance.now() - wallStart)));
    });
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }

  /** Resolves when every script planned so far (and those they planned) has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
