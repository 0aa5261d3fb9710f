/**
 * Facts about a whole portal (`user.active_employees_on_portal`), read from the store's user records
 * and kept for a minute: a count over every user is not something to recompute per request.
 */
import { boundedTable } from '../../lib/bounded-table';
import type { Clock } from '../../lib/clock';
import type { BlockView } from '../../lockout/block-view';
import type { PortalFacts } from '../../signals/history';
import type { Store } from '../../store/port';
import type { UserRecord } from './user-record';

const FRESH_MS = 60_000;

export class PortalFactsCache {
  private readonly cache = boundedTable<{ facts: PortalFacts; atMs: number }>({ maxEntries: 10_000, maxBytes: 4 * 1024 * 1024, valueBytes: 64 });

  constructor(
    private readonly store: Store,
    private readonly view: BlockView | undefined,
    private readonly clock: Clock,
  ) {}

  async get(portal: string): Promise<PortalFacts> {
    const now = this.clock.now();
    const hit = this.cache.get(portal);
    if (hit && now - hit.atMs < FRESH_MS) return hit.facts;
    const users = await this.store.list<UserRecord & { active?: boolean }>('users', portal);
    const activeEmployees = users.filter((u) => u.known && u.active !== false && !this.view?.find(portal, 'user', u.id)).length;
    const facts = { activeEmployees };
    this.cache.set(portal, { facts, atMs: now });
    return facts;
  }
}
