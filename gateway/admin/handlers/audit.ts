/**
 * The audit trail, newest first. The store pages by time (`beforeMs`); events of the same millisecond
 * are told apart by how many of them the previous page already showed, carried in the cursor.
 */
import { AdminError } from '../http-io';
import { decodeCursor, DEFAULT_LIMIT, encodeCursor } from '../paging';
import { presentAudit } from '../present';
import { ok, portalName, type Handler } from './context';

export const listAudit: Handler = async ({ cp, query }) => {
  const limit = (query.limit as number | undefined) ?? DEFAULT_LIMIT;
  let beforeMs: number | undefined;
  let skip = 0;
  if (query.cursor !== undefined) {
    const [at, n] = decodeCursor(String(query.cursor));
    if (typeof at !== 'number' || typeof n !== 'number') throw new AdminError(422, 'PC_ERR_ADMIN_INVALID_FIELD', 'cursor is not one this API gave out', { field: 'cursor' });
    beforeMs = at + 1;
    skip = n;
  }
  const sinceMs = query.since !== undefined ? Date.parse(String(query.since)) : undefined;
  const events = await cp.store.queryAudit({
    ...(query.portal !== undefined ? { portal: portalName(String(query.portal)) } : {}),
    ...(query.type !== undefined ? { type: String(query.type) } : {}),
    ...(query.user !== undefined ? { user: String(query.user) } : {}),
    ...(beforeMs !== undefined ? { beforeMs } : {}),
    limit: limit + skip + 1,
  });
  const rest = events.slice(skip);
  const inWindow = sinceMs === undefined ? rest : rest.filter((e) => e.atMs >= sinceMs);
  const page = inWindow.slice(0, limit);
  let next: string | null = null;
  if (inWindow.length > limit && page.length > 0) {
    const lastAt = page[page.length - 1]!.atMs;
    // Events at lastAt already shown: on this page, plus those skipped (same millisecond as the cursor).
    const shownAtLast = page.filter((e) => e.atMs === lastAt).length + (beforeMs !== undefined && lastAt === beforeMs - 1 ? skip : 0);
    next = encodeCursor([lastAt, shownAtLast]);
  }
  return ok({ items: page.map(presentAudit), next_cursor: next });
};
