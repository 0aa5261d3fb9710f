/**
 * Re-seeding Redis from a replica's view, for the day Redis comes back without its data (restarted
 * without persistence, a failover to a replica that had not caught up, a restore from an old dump).
 *
 * Each replica's resilient store keeps a mirror of Redis's records (resilient.ts). After a reconnect or
 * an outage it compares that mirror with what Redis holds now and writes back what Redis lacks, then
 * says so in one log line with counts (PC_ERR_STORE_RESEEDED).
 *
 * What must not come back: a record deleted meanwhile (a block lifted on another replica while this
 * one was cut off), or an older copy of a record rewritten meanwhile (an unblock request approved
 * elsewhere). So every record carries a version, the time of the write that made it (the writer's
 * clock), and every deletion leaves a tombstone, the id and the time of the deletion:
 *   - in Redis: `pc:{p}:ver:<c>` (id → version) and `pc:{p}:gone:<c>` (id scored by the deletion's
 *     time, trimmed after TOMBSTONE_KEEP_MS);
 *   - in each replica: this VersionLedger, learnt from its own writes and from the change feed.
 * A record is written back only where Redis has neither a newer version of it nor a later tombstone;
 * a tombstone is written back (removing an older copy) only where Redis has no newer version. The
 * newest write of each id wins (a deletion, on a tie), whichever replica re-seeds first: the Lua script (redis/reseed.lua)
 * is atomic per portal and collection, so two replicas re-seeding at once end in the same state.
 * Expired records are never written back (the mirror yields live records only).
 *
 * Limits: versions are the writers' clocks, so two writes of one id on two replicas within their clock
 * skew are ordered by the skew; tombstones are kept TOMBSTONE_KEEP_MS and at most MAX_TOMBSTONES per
 * replica, so a replica cut off longer than that can bring back a record deleted meanwhile; what no
 * running replica holds (Redis lost it while every replica restarted too) cannot be re-seeded.
 */
import type { Collection, StoredRecord } from './port';

/** How long deletions are remembered, in Redis and in each replica. */
export const TOMBSTONE_KEEP_MS = 7 * 24 * 3600 * 1000;
/** Tombstones one replica keeps (deletions are rare: lifts, resets done). */
export const MAX_TOMBSTONES = 50_000;

export interface VersionedRecord {
  readonly record: StoredRecord;
  /** Time of the write that made this version; -1: written before versions were kept. */
  readonly versionMs: number;
}

export interface Tombstone {
  readonly id: string;
  readonly atMs: number;
}

export interface CollectionSnapshot {
  readonly collection: Collection;
  readonly records: readonly VersionedRecord[];
  readonly tombstones: readonly Tombstone[];
}

export interface PortalSnapshot {
  readonly portal: string;
  readonly collections: readonly CollectionSnapshot[];
}

export interface ReseedCounts {
  readonly restored: number;
  /** Redis already had a newer version, or a later tombstone. */
  readonly skipped: number;
  /** Tombstones that removed an older copy from Redis. */
  readonly lifted: number;
}

/** What to write back for one portal and collection. */
export interface ReseedPlan {
  readonly collection: Collection;
  readonly portal: string;
  readonly records: VersionedRecord[];
  readonly tombstones: Tombstone[];
}

const keyOf = (collection: Collection, portal: string, id: string): string => `${collection}\0${portal}\0${id}`;

interface LocalTombstone extends Tombstone {
  readonly collection: Collection;
  readonly portal: string;
}

/** The versions of a replica's mirrored records and the deletions it saw. */
export class VersionLedger {
  private versions = new Map<string, number>();
  /** In order of deletion (Map keeps insertion order): the oldest go first past the bound. */
  private readonly gone = new Map<string, LocalTombstone>();

  noteWrite(collection: Collection, portal: string, id: string, atMs: number): void {
    const key = keyOf(collection, portal, id);
    this.versions.set(key, atMs);
    this.gone.delete(key);
  }

  noteDelete(collection: Collection, portal: string, id: string, atMs: number): void {
    const key = keyOf(collection, portal, id);
    this.versions.delete(key);
    this.gone.delete(key);
    this.gone.set(key, { collection, portal, id, atMs });
    if (this.gone.size > MAX_TOMBSTONES) this.gone.delete(this.gone.keys().next().value!);
  }

  /** The version of a record in the mirror; 0 when unknown (older than any version Redis knows). */
  version(collection: Collection, portal: string, id: string): number {
    return this.versions.get(keyOf(collection, portal, id)) ?? 0;
  }

  /** After the mirror was reloaded: the versions are Redis's; tombstones of ids rewritten since are dropped. */
  replaceVersions(snapshot: readonly PortalSnapshot[]): void {
    this.versions = new Map();
    for (const { portal, collections } of snapshot) {
      for (const { collection, records } of collections) {
        for (const { record, versionMs } of records) {
          const key = keyOf(collection, portal, record.id);
          this.versions.set(key, versionMs);
          const t = this.gone.get(key);
          if (t && t.atMs < versionMs) this.gone.delete(key);
        }
      }
    }
  }

  /** The deletions seen within TOMBSTONE_KEEP_MS of now (older ones are forgotten). */
  tombstones(nowMs: number): LocalTombstone[] {
    for (const [key, t] of this.gone) if (t.atMs < nowMs - TOMBSTONE_KEEP_MS) this.gone.delete(key);
    return [...this.gone.values()];
  }
}

/**
 * What Redis lacks of this replica's view: each live mirrored record that Redis has in no version as
 * new (and no later tombstone of), and each tombstone Redis lacks (with no newer version of its id).
 */
export function planReseed(
  view: Iterable<{ collection: Collection; portal: string; record: StoredRecord }>,
  ledger: VersionLedger,
  snapshot: readonly PortalSnapshot[],
  nowMs: number,
): ReseedPlan[] {
  const inRedis = new Map<string, { versionMs?: number; goneAtMs?: number }>();
  for (const { portal, collections } of snapshot) {
    for (const { collection, records, tombstones } of collections) {
      for (const { record, versionMs } of records) inRedis.set(keyOf(collection, portal, record.id), { versionMs });
      for (const t of tombstones) {
        const key = keyOf(collection, portal, t.id);
        inRedis.set(key, { ...inRedis.get(key), goneAtMs: t.atMs });
      }
    }
  }
  const plans = new Map<string, ReseedPlan>();
  const planOf = (collection: Collection, portal: string): ReseedPlan => {
    const key = `${collection}\0${portal}`;
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = { collection, portal, records: [], tombstones: [] }));
    return plan;
  };
  for (const { collection, portal, record } of view) {
    const versionMs = ledger.version(collection, portal, record.id);
    const there = inRedis.get(keyOf(collection, portal, record.id));
    if (there?.versionMs !== undefined && there.versionMs >= versionMs) continue;
    if (there?.goneAtMs !== undefined && there.goneAtMs >= versionMs) continue;
    planOf(collection, portal).records.push({ record, versionMs });
  }
  for (const t of ledger.tombstones(nowMs)) {
    const there = inRedis.get(keyOf(t.collection, t.portal, t.id));
    if (there?.goneAtMs !== undefined && there.goneAtMs >= t.atMs) continue;
    if (there?.versionMs !== undefined && there.versionMs > t.atMs) continue;
    planOf(t.collection, t.portal).tombstones.push({ id: t.id, atMs: t.atMs });
  }
  return [...plans.values()];
}

/** Records (and tombstones) written back per script call, so that one call never holds Redis for long. */
const RESEED_SLICE = 500;

/** What a re-seed did, for its one log line. */
export interface WriteBackSummary {
  readonly restored: Partial<Record<Collection, number>>;
  readonly skipped: number;
  readonly lifted: number;
  readonly tombstones: number;
  readonly portals: number;
}

/** Runs the plans against the store (redis/redis-store.ts `reseed`), in slices, and sums the counts. */
export async function writeBack(
  target: { reseed(collection: Collection, portal: string, records: readonly VersionedRecord[], tombstones: readonly Tombstone[]): Promise<ReseedCounts> },
  plans: readonly ReseedPlan[],
): Promise<WriteBackSummary> {
  const restored: Partial<Record<Collection, number>> = {};
  let skipped = 0;
  let lifted = 0;
  let tombstones = 0;
  for (const plan of plans) {
    for (let i = 0; i < Math.max(plan.records.length, plan.tombstones.length); i += RESEED_SLICE) {
      const counts = await target.reseed(plan.collection, plan.portal, plan.records.slice(i, i + RESEED_SLICE), plan.tombstones.slice(i, i + RESEED_SLICE));
      if (counts.restored > 0) restored[plan.collection] = (restored[plan.collection] ?? 0) + counts.restored;
      skipped += counts.skipped;
      lifted += counts.lifted;
    }
    tombstones += plan.tombstones.length;
  }
  return { restored, skipped, lifted, tombstones, portals: new Set(plans.map((p) => p.portal)).size };
}
