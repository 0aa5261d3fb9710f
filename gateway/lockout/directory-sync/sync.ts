/**
 * One directory sync, and serve's periodic one. The import is the admin API's own
 * (`Directory.import`, as `PUT /v1/portals/{portal}/directory`), audited as `directory_imported` with
 * the sync as its actor. A failed read imports nothing: the previous directory stays.
 */
import type { Clock } from '../../lib/clock';
import { PortcullisError } from '../../lib/errors';
import type { DirectorySyncSettings, PortalSettings } from '../../config/types';
import type { Directory, DirectoryEntry, DirectoryInput } from '../directory';
import type { Lockout } from '../lockout';
import { toDirectory, type MappedDirectory } from './from-portal';
import { parseWebhookUrl, readPortalUsers } from './portal-rest';
import { resolveWebhookUrl } from '../../config/directory-webhook';

export interface SyncReport extends MappedDirectory {
  readonly total: number;
  readonly pages: number;
}

/** Reads the portal's directory through the webhook and maps it; imports nothing. */
export async function readDirectory(webhookUrl: string, mapping: Pick<DirectorySyncSettings, 'adminIds' | 'ownerIds'>): Promise<SyncReport> {
  const hook = parseWebhookUrl(webhookUrl);
  const users = await readPortalUsers(hook);
  const mapped = toDirectory(users.rows, { webhookUserId: hook.userId, webhookUserIsAdmin: users.webhookUserIsAdmin, adminIds: mapping.adminIds, ownerIds: mapping.ownerIds });
  return { ...mapped, total: users.total, pages: users.pages };
}

export interface PeriodicSyncDeps {
  readonly portals: Readonly<Record<string, PortalSettings>>;
  readonly directory: Directory;
  readonly lockout: Lockout;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly log: {
    info(obj: Record<string, unknown>, msg: string): void;
    warn(obj: Record<string, unknown>, msg: string): void;
  };
}

/** Runs every configured portal's sync now, then every intervalMs; returns a stop function. */
export function startPeriodicSync(deps: PeriodicSyncDeps): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const [portal, settings] of Object.entries(deps.portals)) {
    const s = settings.directorySync;
    let running = false;
    const once = async (): Promise<void> => {
      if (running) return; // a slow portal: the next tick waits for this one instead of piling up
      running = true;
      try {
        const source = resolveWebhookUrl(s, deps.env, deps.cwd);
        if (source === null) return;
        if ('problem' in source) throw new PortcullisError(source.problem.code, source.problem.problem);
        const report = await readDirectory(source.url, s);
        // Every replica syncs: one that finds the directory already as the portal says writes nothing.
        if (sameDirectory(await deps.directory.entries(portal), report.entries)) {
          deps.log.info({ portal, users: report.entries.length, changed: false }, 'directory synced from the portal');
          return;
        }
        const result = await deps.directory.import(portal, report.entries);
        deps.lockout.audit({ atMs: deps.clock.now(), portal, type: 'directory_imported', actor: 'directory-sync', details: { users: result.imported, removed: result.removed } });
        deps.log.info({ portal, changed: true, users: result.imported, removed: result.removed, admins: report.entries.filter((e) => e.admin).length, inactive: report.entries.filter((e) => e.active === false).length, skipped: report.skipped, pages: report.pages }, 'directory synced from the portal');
      } catch (err) {
        const e = err instanceof PortcullisError ? err : new PortcullisError('PC_ERR_DIRECTORY_SYNC', (err as Error).message);
        deps.log.warn({ portal, code: e.code, err: e.message }, 'directory sync failed; the previous directory stays');
      } finally {
        running = false;
      }
    };
    if (resolveWebhookUrl(s, deps.env, deps.cwd) === null) continue;
    void once();
    const t = setInterval(() => void once(), s.intervalMs);
    t.unref();
    timers.push(t);
  }
  return () => timers.forEach((t) => clearInterval(t));
}

/** Whether an import of `next` would store what `current` already holds (import times aside). */
function sameDirectory(current: readonly DirectoryEntry[], next: readonly DirectoryInput[]): boolean {
  if (current.length !== next.length) return false;
  const key = (e: { login: string; email?: string; name?: string; phone?: string; admin: boolean; owner: boolean; active: boolean }, id: number | undefined): string =>
    JSON.stringify([e.login.trim().toLowerCase(), e.email ?? null, e.name ?? null, e.phone ?? null, id ?? null, e.admin, e.owner, e.active]);
  const have = new Set(current.map((e) => key(e, e.portalUserId)));
  return next.every((e) => have.has(key({ ...e, admin: e.admin === true || e.owner === true, owner: e.owner === true, active: e.active !== false }, e.id)));
}
