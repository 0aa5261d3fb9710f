/**
 * The key layout of the Redis store. Every key of a portal carries the portal as its hash tag,
 * `pc:{<portal>}:…`, so that all of a portal's keys share one Cluster slot: a request's counters are
 * one script call, and a portal's record writes can be one MULTI.
 *
 *   pc:{p}:c:<counter>:<windowMs>:<key>   hash   sub-bucket index -> count          (PEXPIRE window)
 *   pc:{p}:d:<counter>:<windowMs>:<key>   zset   member -> bucket of last sighting  (PEXPIRE window)
 *   pc:{p}:rec:<collection>               hash   id -> record JSON
 *   pc:{p}:ver:<collection>               hash   id -> version: ms of the write (re-seeding compares them)
 *   pc:{p}:gone:<collection>              zset   id -> ms of its deletion (tombstones, kept TOMBSTONE_KEEP_MS)
 *   pc:{p}:audit                          zset   event JSON (with a unique id) scored by atMs, capped
 *   pc:portals                            set    portals that have records or audit events
 *   pc:seeded                             string set by each replica after it loaded its view: gone after a
 *                                                restart without persistence or a FLUSHALL (the probe looks)
 *   pc:changes                            channel  change feed between replicas
 */
import type { Collection, CounterOp } from '../port';

/** Braces would end the hash tag early; portals are host names, so this only guards odd input. */
export function portalTag(portal: string): string {
  return portal.replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'));
}

const prefix = (portal: string): string => `pc:{${portalTag(portal)}}`;

export const counterKey = (op: CounterOp): string => `${prefix(op.portal)}:${op.type === 'count' ? 'c' : 'd'}:${op.counter}:${op.windowMs}:${op.key}`;
export const recordsKey = (collection: Collection, portal: string): string => `${prefix(portal)}:rec:${collection}`;
export const versionsKey = (collection: Collection, portal: string): string => `${prefix(portal)}:ver:${collection}`;
export const tombstonesKey = (collection: Collection, portal: string): string => `${prefix(portal)}:gone:${collection}`;
export const auditKey = (portal: string): string => `${prefix(portal)}:audit`;
export const PORTALS_KEY = 'pc:portals';
export const SEEDED_KEY = 'pc:seeded';
export const CHANGES_CHANNEL = 'pc:changes';
