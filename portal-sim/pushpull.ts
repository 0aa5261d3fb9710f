/**
 * Push & pull, the portal's real-time channel (nginx push-stream module in front of the portal):
 *   GET  /bitrix/sub/?CHANNEL_ID=x   long polling: waits for a message (up to longPollTimeoutMs),
 *                                    answers 200 with it, or 304 with no body on timeout (what the
 *                                    push-stream module sends when a long poll expires);
 *   POST /bitrix/pub/?CHANNEL_ID=x   publishes the body to that channel;
 *   WS   /bitrix/subws/              a WebSocket that echoes every message back.
 * A message published with no one waiting is kept (a few per channel) for the next poll.
 * Channels are per portal.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimResponse } from './pages';

const KEPT_PER_CHANNEL = 100;

interface Waiter {
  deliver(message: string): void;
}

export class PushPull {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly queued = new Map<string, string[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<() => void>();
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(private readonly longPollTimeoutMs: number) {
    this.wss.on('connection', (ws: WebSocket) => {
      ws.on('message', (data, isBinary) => {
        if (ws.readyState === ws.OPEN) ws.send(data, { binary: isBinary });
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** Long poll. `aborted` fires when the client goes away, so its waiter is dropped. */
  subscribe(key: string, onAbort: (cancel: () => void) => void): Promise<SimResponse> {
    const queue = this.queued.get(key);
    if (queue && queue.length) {
      const msg = queue.shift()!;
      if (!queue.length) this.queued.delete(key);
      return Promise.resolve(this.message(msg));
    }
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const finish = (res: SimResponse): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.pending.delete(expire);
        set!.delete(waiter);
        if (!set!.size) this.waiters.delete(key);
        resolve(res);
      };
      const waiter: Waiter = { deliver: (m) => finish(this.message(m)) };
      const expire = (): void => finish({ status: 304, headers: { 'cache-control': 'no-cache' }, body: '' });
      const timer = setTimeout(expire, this.longPollTimeoutMs);
      this.timers.add(timer);
      this.pending.add(expire);
      set.add(waiter);
      onAbort(expire);
    });
  }

  publish(key: string, message: string): SimResponse {
    const set = this.waiters.get(key);
    const subscribers = set?.size ?? 0;
    if (set && subscribers) for (const w of [...set]) w.deliver(message);
    else {
      const queue = this.queued.get(key) ?? [];
      queue.push(message);
      if (queue.length > KEPT_PER_CHANNEL) queue.shift();
      this.queued.set(key, queue);
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: key.slice(key.indexOf('|') + 1), published_messages: 1, stored_messages: this.queued.get(key)?.length ?? 0, subscribers }),
    };
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  /** Ends every wait and socket, so the server closes at once. */
  close(): void {
    for (const expire of [...this.pending]) expire();
    for (const t of this.timers) clearTimeout(t);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private message(msg: string): SimResponse {
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }, body: msg };
  }
}
