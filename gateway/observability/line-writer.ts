/**
 * Request lines (and policy events) to a file descriptor, gathered in a reused buffer and written in
 * large blocks.
 *
 * Why: what a log line costs is mostly the write call that carries it. Measured on this project's
 * machine: pino's sonic-boom, ~2.8 µs of CPU per 350-byte line (it keeps the pending lines as one
 * growing string and measures it on every write); an async `fs.write` costs ~35 µs of main-thread time
 * per call (the hand-off to libuv's pool), a synchronous write of 4 KiB ~15 µs and of 64 KiB ~30 µs.
 * So lines are encoded straight into a 64 KiB buffer and written with one synchronous call when it is
 * nearly full or `flushMs` after its first line: ~0.3 µs a line under load, measured in isolation.
 *
 * Rules:
 * - every write happens on the event loop's thread, one at a time, so the general logger's lines (also
 *   written synchronously, whole) never land inside a request line;
 * - a quiet gateway's lines appear at most `flushMs` late;
 * - a stdout that does not take the bytes (a non-blocking pipe answering EAGAIN) keeps them queued and
 *   is tried again; past `maxQueuedBytes` new lines are dropped and counted (`dropped`) instead of
 *   growing memory, and the gateway keeps answering. (A blocking stdout whose reader stops blocks the
 *   write, as pino's default synchronous destination does.)
 */
import fs from 'node:fs';

const BLOCK = 64 * 1024;
/** Written as soon as this much is buffered (the next line might not fit). */
const FULL = BLOCK - 8 * 1024;

export interface LineWriterOptions {
  readonly fd: number;
  readonly flushMs?: number;
  readonly maxQueuedBytes?: number;
  /** Told once per burst of drops (the first drop after a successful write). */
  readonly onDrop?: (dropped: number) => void;
}

export class LineWriter {
  private current = Buffer.allocUnsafe(BLOCK);
  private length = 0;
  /** Blocks the fd did not take yet (EAGAIN, or a partial write), oldest first. */
  private readonly waiting: Buffer[] = [];
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private dropping = false;
  dropped = 0;

  constructor(private readonly options: LineWriterOptions) {}

  /** Appends one line (with its "\n"). */
  write(line: string): void {
    if (this.closed) return;
    if (this.waitingBytes + this.length > (this.options.maxQueuedBytes ?? 16 * 1024 * 1024)) {
      this.drop();
      return;
    }
    // line.length * 3 bounds its UTF-8 size; the exact size is computed only when that bound does not fit.
    if (this.length + line.length * 3 > BLOCK) {
      const bytes = Buffer.byteLength(line);
      if (bytes > BLOCK) {
        this.flush();
        this.send(Buffer.from(line)); // longer than a block: on its own
        return;
      }
      if (this.length + bytes > BLOCK) this.flush();
    }
    this.length += this.current.write(line, this.length, 'utf8');
    if (this.length >= FULL) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.options.flushMs ?? 100);
      this.timer.unref();
    }
  }

  /** Writes what is buffered now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.length > 0) {
      // The block is written (or copied to the waiting list) before the buffer is reused.
      const block = this.current.subarray(0, this.length);
      this.length = 0;
      this.send(block);
    } else {
      this.retryWaiting();
    }
  }

  /** Writes what is buffered and takes no more lines. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** close(), as a promise (callers that close several outputs in order). */
  end(): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  private send(block: Buffer): void {
    this.retryWaiting();
    if (this.waiting.length > 0) {
      this.queue(Buffer.from(block));
      return;
    }
    const written = this.writeSome(block);
    if (written < block.length) this.queue(Buffer.from(block.subarray(written)));
  }

  private retryWaiting(): void {
    while (this.waiting.length > 0) {
      const block = this.waiting[0]!;
      const written = this.writeSome(block);
      this.waitingBytes -= written;
      if (written < block.length) {
        this.waiting[0] = block.subarray(written);
        this.schedule(10);
        return;
      }
      this.waiting.shift();
    }
    this.dropping = false;
  }

  /** Bytes the fd took: all of them, a part (a full non-blocking pipe), or none (EAGAIN; lost on other errors). */
  private writeSome(block: Buffer): number {
    let offset = 0;
    try {
      while (offset < block.length) {
        const n = fs.writeSync(this.options.fd, block, offset, block.length - offset);
        if (n <= 0) break;
        offset += n;
      }
      return offset;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return offset;
      // EPIPE, EBADF…: nobody reads any more; the lines are lost, the gateway goes on.
      this.dropped++;
      return block.length;
    }
  }

  private queue(block: Buffer): void {
    this.waiting.push(block);
    this.waitingBytes += block.length;
    this.schedule(10);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private drop(): void {
    this.dropped++;
    if (!this.dropping) {
      this.dropping = true;
      this.options.onDrop?.(this.dropped);
    }
  }
}
