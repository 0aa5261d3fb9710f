/**
 * The live policy set, and how it is replaced: on SIGHUP, on a change of a file in the policy folder
 * (debounced), and through the admin API. A reload compiles the whole new set first and swaps it in
 * one assignment; a broken set leaves the last good one serving and is reported (log, metric, admin
 * API). A request reads `current()` once when it starts and keeps that set to its end.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { FileProblem } from '../lib/errors';
import type { Clock } from '../lib/clock';
import type { CompiledPolicySet } from './compiled';
import { loadPolicySet } from './load';

export type ReloadTrigger = 'start' | 'sighup' | 'file_change' | 'admin_api';

export interface ReloadResult {
  readonly ok: boolean;
  readonly trigger: ReloadTrigger;
  readonly atMs: number;
  readonly durationMs: number;
  /** The version now serving (unchanged when the reload failed). */
  readonly version: string;
  readonly problems: readonly FileProblem[];
}

export interface PolicyReloaderOptions {
  readonly dir: string;
  readonly clock: Clock;
  /** Called after every attempt: the composition root logs and counts it. */
  readonly onReload?: (result: ReloadResult) => void;
  /** Quiet period before a burst of file events is reloaded once (editors write several times). */
  readonly debounceMs?: number;
}

export class PolicyReloader {
  private set: CompiledPolicySet;
  private last: ReloadResult;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly opts: PolicyReloaderOptions;

  /** Loads the set once; throws the problems when there is no good set to serve at all. */
  static start(opts: PolicyReloaderOptions): PolicyReloader | { problems: readonly FileProblem[] } {
    const t0 = performance.now();
    const loaded = loadPolicySet(opts.dir);
    if (!loaded.set) return { problems: loaded.problems };
    const r = new PolicyReloader(opts, loaded.set, {
      ok: true, trigger: 'start', atMs: opts.clock.now(), durationMs: performance.now() - t0, version: loaded.set.version, problems: [],
    });
    opts.onReload?.(r.last);
    return r;
  }

  private constructor(opts: PolicyReloaderOptions, set: CompiledPolicySet, first: ReloadResult) {
    this.opts = opts;
    this.set = set;
    this.last = first;
  }

  current(): CompiledPolicySet {
    return this.set;
  }

  lastResult(): ReloadResult {
    return this.last;
  }

  reload(trigger: ReloadTrigger): ReloadResult {
    const t0 = performance.now();
    const loaded = loadPolicySet(this.opts.dir);
    if (loaded.set) this.set = loaded.set; // the swap: one reference assignment
    this.last = {
      ok: Boolean(loaded.set),
      trigger,
      atMs: this.opts.clock.now(),
      durationMs: performance.now() - t0,
      version: this.set.version,
      problems: loaded.problems,
    };
    this.opts.onReload?.(this.last);
    return this.last;
  }

  /** Reload when a file in the folder changes. fs.watch may fire several events per save: debounce. */
  watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.opts.dir, { persistent: false }, () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.reload('file_change'), this.opts.debounceMs ?? 250);
        this.timer.unref();
      });
      this.watcher.on('error', () => this.unwatch());
    } catch {
      // A path that cannot be watched (one file on some filesystems) still reloads on SIGHUP and API.
      this.watcher = undefined;
    }
  }

  unwatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
