/**
 * An append-only journal of JSON lines, with group commit. Used by the memory store (its durable
 * records) and by the resilient store (writes queued during a Redis outage).
 *
 * Line format: `<8 hex of sha1(json)> <json>\n`. A line is accepted only when it ends with a newline
 * and its checksum matches, so a write torn by a crash (SIGKILL, power loss) is detected and skipped,
 * never fatal; a torn tail is cut off at open so that the next append starts on a clean line.
 *
 * Durability (`fsync`):
 * - `batch` (default): every append made in one tick is written with one write() and one fdatasync(),
 *   and the appends' promises resolve only after it. An acknowledged write survives SIGKILL and power
 *   loss. Appends made while a flush is in progress form the next batch (group commit).
 * - `off`: resolved after write(). Survives a crash of the process (the data is in the OS), not of the
 *   machine.
 *
 * Compaction: when the file passes `compactAfterBytes` and twice the size of its last snapshot, it is
 * rewritten from `snapshot()` into a temporary file, fsynced, and renamed over the journal (then the
 * folder is fsynced), so a crash at any point leaves either the old or the new file, whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, fsyncSync, readFileSync, truncateSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PortcullisError } from '../lib/errors';
import type { StoreLogger } from './logger';

export type FsyncPolicy = 'batch' | 'off';

export interface JournalOptions {
  readonly file: string;
  readonly fsync: FsyncPolicy;
  readonly compactAfterBytes: number;
  readonly logger: StoreLogger;
}

export interface JournalReplay<T> {
  readonly entries: T[];
  /** Lines that failed their checksum or did not parse (torn or damaged); skipped. */
  readonly skipped: number;
}

const checksum = (json: string): string => createHash('sha1').update(json).digest('hex').slice(0, 8);

export function encodeLine(entry: unknown): string {
  const json = JSON.stringify(entry);
  return `${checksum(json)} ${json}\n`;
}

/** Parses a journal's text; returns the entries, the skipped count and the length of the valid prefix. */
export function decodeLines<T>(text: string): JournalReplay<T> & { readonly cleanLength: number } {
  const entries: T[] = [];
  let skipped = 0;
  let start = 0;
  let cleanLength = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end < 0) {
      // No newline: the last write was torn. Not counted as clean, so it is cut off.
      skipped++;
      break;
    }
    const line = text.slice(start, end);
    start = end + 1;
    cleanLength = start;
    const space = line.indexOf(' ');
    const json = line.slice(space + 1);
    if (space !== 8 || checksum(json) !== line.slice(0, 8)) {
      if (line.length > 0) skipped++;
      continue;
    }
    try {
      entries.push(JSON.parse(json) as T);
    } catch {
      skipped++;
    }
  }
  return { entries, skipped, cleanLength };
}

interface Pending {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class Journal<T> {
  private handle: FileHandle | null = null;
  private pending: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private bytes = 0;
  private snapshotBytes = 0;
  private closed = false;
  private snapshotSource: (() => Iterable<T>) | null = null;
  private compactRequested = false;

  private constructor(private readonly options: JournalOptions) {}

  /** Opens (creating the folder and file), replays, and cuts off a torn tail. */
  static async open<T>(options: JournalOptions): Promise<{ journal: Journal<T>; replay: JournalReplay<T> }> {
    const journal = new Journal<T>(options);
    try {
      mkdirSync(path.dirname(options.file), { recursive: true });
      let replay: JournalReplay<T> = { entries: [], skipped: 0 };
      if (existsSync(options.file)) {
        const text = readFileSync(options.file, 'utf8');
        const decoded = decodeLines<T>(text);
        replay = { entries: decoded.entries, skipped: decoded.skipped };
        const byteLength = Buffer.byteLength(text);
        const cleanBytes = Buffer.byteLength(text.slice(0, decoded.cleanLength));
        if (cleanBytes < byteLength) truncateSync(options.file, cleanBytes);
        journal.bytes = cleanBytes;
        journal.snapshotBytes = cleanBytes;
        if (decoded.skipped > 0) {
          options.logger.warn({ code: 'PC_ERR_STORE_JOURNAL_LINE', file: options.file, skipped: decoded.skipped }, 'store: journal lines skipped (torn or damaged)');
        }
      }
      journal.handle = await open(options.file, 'a');
      return { journal, replay };
    } catch (err) {
      if (err instanceof PortcullisError) throw err;
      throw new PortcullisError('PC_ERR_STORE_JOURNAL', `cannot open the journal ${options.file}: ${(err as Error).message}`, { file: options.file });
    }
  }

  /**
   * Where a compaction takes the live entries from. Set once by the owner, who must apply each change
   * to that state synchronously before appending its line.
   */
  onSnapshot(source: () => Iterable<T>): void {
    this.snapshotSource = source;
  }

  /** Resolves when the entry is written (and fsynced under `batch`). */
  append(entry: T): Promise<void> {
    if (this.closed) return Promise.reject(new PortcullisError('PC_ERR_STORE_CLOSED', 'the journal is closed'));
    const line = encodeLine(entry);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.schedule();
    });
  }

  /** Rewrites the journal from the snapshot source at the next flush (e.g. the outage queue, emptied). */
  compactSoon(): Promise<void> {
    this.compactRequested = true;
    return new Promise<void>((resolve, reject) => {
      // An empty marker append rides the next flush, after which the compaction has run.
      this.pending.push({ line: '', resolve, reject });
      this.schedule();
    });
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) await this.flush();
      else await new Promise((r) => setImmediate(r));
    }
    await this.handle?.close();
    this.handle = null;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every append of this tick (and its promise continuations) joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          const text = batch.map((p) => p.line).join('');
          if (text.length > 0) {
            const buffer = Buffer.from(text);
            await this.handle!.write(buffer, 0, buffer.length);
            if (this.options.fsync === 'batch') await this.handle!.datasync();
            this.bytes += buffer.length;
          }
          if (this.compactRequested || this.shouldCompact()) await this.compactOrKeep();
          for (const p of batch) p.resolve();
        } catch (err) {
          const failure = new PortcullisError('PC_ERR_STORE_JOURNAL', `cannot write the journal ${this.options.file}: ${(err as Error).message}`, { file: this.options.file });
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private shouldCompact(): boolean {
    return this.snapshotSource !== null && this.bytes > this.options.compactAfterBytes && this.bytes > 2 * this.snapshotBytes;
  }

  /** A failed compaction keeps the old journal (still whole) and is retried at the next threshold. */
  private async compactOrKeep(): Promise<void> {
    try {
      await this.compact();
    } catch (err) {
      this.snapshotBytes = this.bytes;
      this.options.logger.warn({ code: 'PC_ERR_STORE_JOURNAL', file: this.options.file, err: (err as Error).message }, 'store: journal compaction failed; the journal is kept');
    }
  }

  /**
   * The owner applies a change to its state before it appends the change's line, synchronously (the
   * contract of `onSnapshot`). So the snapshot, taken synchronously here, already holds the effect of
   * every line still pending: those are acknowledged by the snapshot, not written after it.
   */
  private async compact(): Promise<void> {
    this.compactRequested = false;
    if (!this.snapshotSource) return;
    const file = this.options.file;
    const tmp = `${file}.compact`;
    const text = Array.from(this.snapshotSource(), encodeLine).join('');
    const reflected = this.pending;
    this.pending = [];
    const buffer = Buffer.from(text);
    try {
      const out = await open(tmp, 'w');
      try {
        await out.write(buffer, 0, buffer.length);
        await out.sync();
      } finally {
        await out.close();
      }
    } catch (err) {
      // Nothing replaced: the reflected lines go to the old journal as if no compaction had started.
      this.pending = [...reflected, ...this.pending];
      throw err;
    }
    // Order matters: the new file is whole on disk before it replaces the old one, and the rename is
    // made durable (folder fsync) before the old handle is dropped.
    await rename(tmp, file);
    const dirFd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    await this.handle!.close();
    this.handle = await open(file, 'a');
    this.bytes = buffer.length;
    this.snapshotBytes = buffer.length;
    for (const p of reflected) p.resolve();
    this.options.logger.info({ file, bytes: buffer.length }, 'store: journal compacted');
  }
}
