/**
 * The portal's numeric user IDs (from the directory's optional `id`) → the gateway's user id (the keyed
 * hash blocks are keyed by), in process, so that enforcement can refuse a blocked user's incoming
 * webhooks (`/rest/<id>/<code>/…` acts as user `<id>`) without a store round trip.
 *
 * Filled from the store at start and kept fresh by the same change feed the block view follows, so an
 * import on one replica reaches the others. A directory without ids leaves the map empty: then only
 * the portal-wide REST block reaches a blocked user's webhooks (docs/lockout.md says so).
 */
import type { Change, Store } from '../store/port';
import { DIRECTORY_ID_PREFIX, type DirectoryEntry } from './directory';

export class PortalUserIds {
  /** `<portal>\0<numeric id>` → user id; and record id → that key, to forget it on a delete. */
  private readonly byPortalId = new Map<string, string>();
  private readonly keyOfRecord = new Map<string, string>();
  private unsubscribe: (() => void) | undefined;

  async follow(store: Store, onError: (err: unknown) => void): Promise<void> {
    this.unsubscribe = store.subscribe((change) => this.onChange(store, change, onError));
    await this.reload(store);
  }

  async reload(store: Store): Promise<void> {
    const all = await store.list<DirectoryEntry>('portal_facts', '*');
    this.byPortalId.clear();
    this.keyOfRecord.clear();
    for (const r of all) this.apply(r);
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** The user id of the portal's user `portalUserId` (PHP's intval of the webhook's path segment). */
  userOf(portal: string, portalUserId: string): string | undefined {
    return this.byPortalId.get(`${portal}\0${portalUserId}`);
  }

  get size(): number {
    return this.byPortalId.size;
  }

  private onChange(store: Store, change: Change, onError: (err: unknown) => void): void {
    if (change.op === 'resync') {
      this.reload(store).catch(onError);
      return;
    }
    if (change.collection !== 'portal_facts' || !change.id.startsWith(DIRECTORY_ID_PREFIX)) return;
    this.forget(`${change.portal}\0${change.id}`);
    if (change.op === 'put' && change.value) this.apply(change.value as DirectoryEntry);
  }

  private apply(r: DirectoryEntry): void {
    if (!r.id.startsWith(DIRECTORY_ID_PREFIX) || typeof r.portalUserId !== 'number') return;
    const record = `${r.portal}\0${r.id}`;
    this.forget(record);
    const key = `${r.portal}\0${r.portalUserId}`;
    this.byPortalId.set(key, r.id.slice(DIRECTORY_ID_PREFIX.length));
    this.keyOfRecord.set(record, key);
  }

  private forget(record: string): void {
    const key = this.keyOfRecord.get(record);
    if (key === undefined) return;
    this.keyOfRecord.delete(record);
    this.byPortalId.delete(key);
  }
}
