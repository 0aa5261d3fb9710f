/**
 * The embedded store: counters in bounded memory, durable records and the audit trail in memory and
 * in a journal in the state folder (`<stateDir>/store.journal`), replayed at start. One replica only:
 * its changes are delivered to subscribers of this process.
 *
 * Order of a durable write: apply to memory, deliver the change, append to the journal, and resolve
 * once the journal has it (fsynced under the default policy). A caller that saw put() resolve knows
 * the record survives SIGKILL; a caller whose put() rejected (PC_ERR_STORE_JOURNAL) knows it may not.
 */
import type { TableUsage } from '../../lib/bounded-table';
import path from 'node:path';
import type { Clock } from '../../lib/clock';
import { PortcullisError } from '../../lib/errors';
import { AuditLog } from '../audit-log';
import { ChangeFeed } from '../change-feed';
import { CounterTable } from '../counter-table';
import { Journal, type FsyncPolicy } from '../journal';
import { silentLogger, type StoreLogger } from '../logger';
import type { AuditEvent, AuditQuery, Change, Collection, CounterOp, CounterResult, Store, StoredRecord, StoreHealth } from '../port';
import { RecordTable } from '../record-table';

export const JOURNAL_FILE = 'store.journal';

/** One line of the journal. Short keys: the journal is mostly these. */
export type MemoryJournalEntry =
  | { readonly op: 'put'; readonly c: Collection; readonly p: string; readonly r: StoredRecord }
  | { readonly op: 'del'; readonly c: Collection; readonly p: string; readonly id: string }
  | { readonly op: 'audit'; readonly e: AuditEvent };

export interface MemoryStoreOptions {
  readonly clock: Clock;
  /** This process, as named in changes. */
  readonly origin: string;
  /** Where the journal lives; null keeps nothing on disk (tests, tools). */
  readonly stateDir: string | null;
  readonly maxCounterKeys: number;
  readonly auditMaxPerPortal: number;
  readonly fsync: FsyncPolicy;
  readonly compactAfterBytes: number;
  readonly logger?: StoreLogger;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly counterTable: CounterTable;
  private readonly records = new RecordTable();
  private readonly audit: AuditLog;
  private readonly feed: ChangeFeed;
  private journal: Journal<MemoryJournalEntry> | null = null;
  private closed = false;

  private constructor(private readonly options: MemoryStoreOptions) {
    this.counterTable = new CounterTable({ maxKeys: options.maxCounterKeys });
    this.audit = new AuditLog(options.auditMaxPerPortal);
    this.feed = new ChangeFeed(options.logger ?? silentLogger);
  }

  static async open(options: MemoryStoreOptions): Promise<MemoryStore> {
    const store = new MemoryStore(options);
    if (options.stateDir !== null) {
      const { journal, replay } = await Journal.open<MemoryJournalEntry>({
        file: path.join(options.stateDir, JOURNAL_FILE),
        fsync: options.fsync,
        compactAfterBytes: options.compactAfterBytes,
        logger: options.logger ?? silentLogger,
      });
      for (const entry of replay.entries) store.applyEntry(entry);
      journal.onSnapshot(() => store.snapshot());
      store.journal = journal;
      (options.logger ?? silentLogger).info(
        { file: path.join(options.stateDir, JOURNAL_FILE), entries: replay.entries.length, skipped: replay.skipped },
        'store: memory journal replayed',
      );
    }
    return store;
  }

  async counters(ops: readonly CounterOp[], nowMs: number): Promise<CounterResult> {
    this.assertOpen();
    return { ok: true, values: this.counterTable.apply(ops, nowMs) };
  }

  /** The number of counter keys held (bounded by maxCounterKeys). */
  get counterKeys(): number {
    return this.counterTable.size;
  }

  async put(collection: Collection, portal: string, record: StoredRecord): Promise<void> {
    this.assertOpen();
    this.records.put(collection, portal, record);
    this.feed.emit({ collection, portal, id: record.id, op: 'put', value: record, origin: this.options.origin, atMs: this.options.clock.now() });
    await this.journal?.append({ op: 'put', c: collection, p: portal, r: record });
  }

  async get<T extends StoredRecord>(collection: Collection, portal: string, id: string): Promise<T | undefined> {
    this.assertOpen();
    return this.records.get(collection, portal, id, this.options.clock.now()) as T | undefined;
  }

  async delete(collection: Collection, portal: string, id: string): Promise<void> {
    this.assertOpen();
    this.records.delete(collection, portal, id);
    this.feed.emit({ collection, portal, id, op: 'delete', origin: this.options.origin, atMs: this.options.clock.now() });
    await this.journal?.append({ op: 'del', c: collection, p: portal, id });
  }

  async list<T extends StoredRecord>(collection: Collection, portal: string | '*'): Promise<T[]> {
    this.assertOpen();
    return this.records.list(collection, portal, this.options.clock.now()) as T[];
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    this.assertOpen();
    this.audit.append(event);
    await this.journal?.append({ op: 'audit', e: event });
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    this.assertOpen();
    return this.audit.query(query);
  }

  subscribe(listener: (change: Change) => void): () => void {
    return this.feed.subscribe(listener);
  }

  health(): StoreHealth {
    return { state: 'ok' };
  }

  tableUsage(): Readonly<Record<string, TableUsage>> {
    return { store_counters: this.counterTable.usage() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal?.close();
  }

  private applyEntry(entry: MemoryJournalEntry): void {
    switch (entry.op) {
      case 'put':
        this.records.put(entry.c, entry.p, entry.r);
        break;
      case 'del':
        this.records.delete(entry.c, entry.p, entry.id);
        break;
      case 'audit':
        this.audit.append(entry.e);
        break;
    }
  }

  /** The live state as journal entries: what a compacted journal holds. Expired records are left out. */
  private *snapshot(): Generator<MemoryJournalEntry> {
    for (const { collection, portal, record } of this.records.entries(this.options.clock.now())) {
      yield { op: 'put', c: collection, p: portal, r: record };
    }
    for (const event of this.audit.entries()) yield { op: 'audit', e: event };
  }

  private assertOpen(): void {
    if (this.closed) throw new PortcullisError('PC_ERR_STORE_CLOSED', 'the memory store is closed');
  }
}
