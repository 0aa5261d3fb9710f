/**
 * The policy event log: one JSON line per scored phase (gateway/policy/event-record.ts is the format),
 * the input of `portcullis policy replay`. Written in blocks, off the request's path, and rotated by
 * size (the previous file is kept as `.1`), so it cannot fill a disk. No secret is in it: signals are
 * computed values and keyed hashes.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Verdict } from '../decision/verdict';
import type { EventRecord } from '../policy/event-record';
import type { RequestContext } from '../pipeline/context';
import { LineWriter } from './line-writer';

export interface EventLogOptions {
  readonly file: string;
  /** Rotate when the file passes this size. */
  readonly maxBytes: number;
}

export class EventLog {
  private fd: number;
  private dest: LineWriter;
  private written = 0;

  constructor(private readonly opts: EventLogOptions) {
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.fd = openSync(opts.file, 'a');
    this.dest = new LineWriter({ fd: this.fd });
    try {
      this.written = statSync(opts.file).size;
    } catch {
      this.written = 0;
    }
  }

  /**
   * The attempt and outcome verdicts of a request, as replayable records. REST calls are recorded only
   * when some rule matched (enforced or shadow): every call of every integration would cost the REST
   * path several percent and fill the disk with calls no policy noticed.
   */
  record(ctx: RequestContext): void {
    const st = ctx.state;
    if (!st) return;
    if (ctx.classified!.kind === 'rest' && !scored(st.attempt) && !scored(st.outcomeVerdict)) return;
    if (st.attempt) this.write(eventOf(ctx, st.attempt));
    if (st.outcomeVerdict) this.write(eventOf(ctx, st.outcomeVerdict));
  }

  private write(e: EventRecord): void {
    const line = `${JSON.stringify(e)}\n`;
    this.dest.write(line);
    this.written += line.length;
    if (this.written > this.opts.maxBytes) this.rotate();
  }

  private rotate(): void {
    // The old writer finishes into the renamed file (its fd follows the file), then its fd is closed.
    const [oldDest, oldFd] = [this.dest, this.fd];
    void oldDest.end().then(() => closeQuietly(oldFd));
    try {
      renameSync(this.opts.file, `${this.opts.file}.1`);
    } catch {
      /* a file another process moved: start anew all the same */
    }
    this.fd = openSync(this.opts.file, 'a');
    this.dest = new LineWriter({ fd: this.fd });
    this.written = 0;
  }

  /** Writes what is buffered, then closes the file (never under a write still in flight). */
  async close(): Promise<void> {
    await this.dest.end();
    closeQuietly(this.fd);
  }
}

function scored(v: Verdict | undefined): boolean {
  return v !== undefined && (v.matched.length > 0 || v.wouldHave !== undefined);
}

/**
 * One phase's record: the signals and counters its verdict was computed from. The attempt's counters
 * are the ones kept before the outcome phase read them again (RequestState.attemptCounters): recording
 * the later values made an unchanged set "change" on replay.
 */
function eventOf(ctx: RequestContext, v: Verdict): EventRecord {
  const signals: Record<string, unknown> = {};
  const live: Record<string, number> = {};
  const st = ctx.state!;
  const all = st.signals;
  // for…in, not Object.entries: a login has ~50 signals, and a pair array each was visible in profiles.
  for (const name in all) {
    const value = all[name];
    if (name.startsWith('counters.')) {
      if (typeof value === 'number') live[name.slice(9)] = value;
    } else if (v.phase === 'outcome' || !name.startsWith('outcome.')) {
      signals[name] = value;
    }
  }
  const counters = v.phase === 'attempt' && st.attemptCounters ? st.attemptCounters : live;
  return {
    at: new Date(ctx.startedAtMs).toISOString(),
    kind: ctx.classified!.kind,
    phase: v.phase,
    signals,
    counters,
    verdict: { ...(v.action ? { action: v.action.do } : {}), also: v.action?.also ?? [], rules: v.matched.map((r) => r.rule), setVersion: v.setVersion },
    ...(v.globalShadow ? { global_shadow: true } : {}),
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
