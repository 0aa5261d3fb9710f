/**
 * Throttling per portal and kind of event, so that an attack that blocks hundreds of users sends a
 * handful of messages, not hundreds: the first event of a quiet period goes out at once and opens a
 * window; events inside the window are held; when it closes, what it held goes out as ONE summary,
 * and a new window opens (a flood that goes on yields one summary per window). A quiet window closes
 * without sending anything.
 */
import { summaryOf, type Notification } from './notification';

export interface ThrottleOptions {
  readonly windowMsFor: (portal: string) => number;
  readonly send: (n: Notification) => void;
}

interface Window {
  first: Notification;
  held: Notification[];
  timer: NodeJS.Timeout;
}

export class Throttle {
  private readonly windows = new Map<string, Window>();
  private closed = false;

  constructor(private readonly options: ThrottleOptions) {}

  push(n: Notification): void {
    if (this.closed) return;
    const key = `${n.portal}\0${n.kind}`;
    const w = this.windows.get(key);
    if (w) {
      w.held.push(n);
      return;
    }
    this.options.send(n);
    this.open(key, n);
  }

  private open(key: string, first: Notification): void {
    const timer = setTimeout(() => this.close(key), this.options.windowMsFor(first.portal));
    // A pending summary must not keep a stopping process alive.
    timer.unref();
    this.windows.set(key, { first, held: [], timer });
  }

  private close(key: string): void {
    const w = this.windows.get(key);
    this.windows.delete(key);
    if (!w || w.held.length === 0 || this.closed) return;
    this.options.send(summaryOf(w.first, w.held));
    this.open(key, w.first);
  }

  /** Sends what every open window holds (at shutdown), then stops. */
  flush(): void {
    for (const key of [...this.windows.keys()]) {
      const w = this.windows.get(key)!;
      clearTimeout(w.timer);
      this.windows.delete(key);
      if (w.held.length > 0) this.options.send(summaryOf(w.first, w.held));
    }
    this.closed = true;
  }
}
