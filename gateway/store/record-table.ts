/**
 * Durable records held in memory: collection → portal → id → record. The memory store keeps its
 * records here (journaled around it), and the resilient store keeps its local view of Redis here.
 *
 * Expiry is checked on every read against the injected clock, so an expired block is gone the moment
 * it expires, whatever the sweep's timing; the sweep (in list()) only frees memory.
 */
import type { Collection, StoredRecord } from './port';

export const COLLECTIONS: readonly Collection[] = ['blocks', 'unblock_requests', 'users', 'devices', 'portal_facts'];

export function isLive(record: StoredRecord, nowMs: number): boolean {
  return record.expiresAtMs === undefined || record.expiresAtMs === null || record.expiresAtMs > nowMs;
}

export class RecordTable {
  private readonly byCollection = new Map<Collection, Map<string, Map<string, StoredRecord>>>();

  put(collection: Collection, portal: string, record: StoredRecord): void {
    let portals = this.byCollection.get(collection);
    if (!portals) this.byCollection.set(collection, (portals = new Map()));
    let records = portals.get(portal);
    if (!records) portals.set(portal, (records = new Map()));
    records.set(record.id, record);
  }

  delete(collection: Collection, portal: string, id: string): void {
    const records = this.byCollection.get(collection)?.get(portal);
    if (!records) return;
    records.delete(id);
    if (records.size === 0) this.byCollection.get(collection)!.delete(portal);
  }

  get(collection: Collection, portal: string, id: string, nowMs: number): StoredRecord | undefined {
    const record = this.byCollection.get(collection)?.get(portal)?.get(id);
    return record && isLive(record, nowMs) ? record : undefined;
  }

  list(collection: Collection, portal: string | '*', nowMs: number): StoredRecord[] {
    const portals = this.byCollection.get(collection);
    if (!portals) return [];
    const out: StoredRecord[] = [];
    const names = portal === '*' ? [...portals.keys()] : [portal];
    for (const name of names) {
      const records = portals.get(name);
      if (!records) continue;
      for (const [id, record] of records) {
        if (isLive(record, nowMs)) out.push(record);
        else this.delete(collection, name, id);
      }
    }
    return out;
  }

  /** Every live record, for a journal snapshot. */
  *entries(nowMs: number): Generator<{ collection: Collection; portal: string; record: StoredRecord }> {
    for (const [collection, portals] of this.byCollection) {
      for (const [portal, records] of portals) {
        for (const record of records.values()) if (isLive(record, nowMs)) yield { collection, portal, record };
      }
    }
  }

  clear(): void {
    this.byCollection.clear();
  }
}
