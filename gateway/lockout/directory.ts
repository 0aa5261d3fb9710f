/**
 * Who a portal's users are. The gateway learns users from successful logins (the `users` collection),
 * but the seed article's rules need what only the portal knows: who is an administrator or the owner,
 * and who is still an *active* employee. Ops import that as the portal's directory (admin API
 * `PUT /v1/portals/{portal}/directory`); never a password.
 *
 * Where it is kept, and why there:
 * - each entry is a record of `portal_facts` with id `directory:<user id>` (the user id is the same
 *   keyed hash blocks and the users collection use), so login and email stay in values, never in keys;
 * - the admin/owner flags are also merged into the user's `users` record, because that is what the
 *   sense stage reads for `user.admin` / `user.owner`. The rest of that record is left as the gateway
 *   learned it, so `UserRecord` keeps its shape.
 *
 * `roster()` joins the three sources (directory, learned users, user blocks) into one list of people:
 * the unblock-request rules, the users API and the posture report all read it.
 */
import type { Clock } from '../lib/clock';
import type { Store, StoredRecord } from '../store/port';
import type { UserRecord } from '../pipeline/sense/user-record';
import type { BlockRecord } from './blocks';
import type { BlockView } from './block-view';
import { userId } from './subjects';

export const DIRECTORY_ID_PREFIX = 'directory:';

/** One user as the portal's directory says (an import replaces the portal's whole directory). */
export interface DirectoryInput {
  readonly login: string;
  readonly email?: string;
  readonly name?: string;
  readonly admin?: boolean;
  readonly owner?: boolean;
  /** false: a dismissed employee (cannot vouch for anyone). Default true. */
  readonly active?: boolean;
  /** A phone number the portal recovers the password by (a recovery by phone names no login). */
  readonly phone?: string;
  /**
   * The portal's own numeric user ID (user.get's `ID`): the id an incoming webhook acts as
   * (`/rest/<id>/<code>/…`), so that a user block also refuses that user's webhooks.
   */
  readonly id?: number;
}

export interface DirectoryEntry extends StoredRecord {
  readonly id: string;
  readonly portal: string;
  readonly login: string;
  readonly email?: string;
  readonly name?: string;
  readonly admin: boolean;
  readonly owner: boolean;
  readonly active: boolean;
  /** A phone number the portal recovers the password by (a recovery by phone names no login). */
  readonly phone?: string;
  /** DirectoryInput.id: the portal's numeric user ID (`id` is the record's own key here). */
  readonly portalUserId?: number;
  readonly importedAtMs: number;
}

export type UserState = 'active' | 'blocked' | 'reset_required';

/** One person of a portal, joined from the directory, the learned users and the live blocks. */
export interface Person {
  readonly uid: string;
  readonly login: string;
  readonly email?: string;
  readonly name?: string;
  readonly admin: boolean;
  readonly owner: boolean;
  /** The directory's word; true when the directory does not list the person. */
  readonly active: boolean;
  readonly inDirectory: boolean;
  /** What the gateway learned from logins, if anything. */
  readonly learned?: UserRecord;
  readonly state: UserState;
  readonly block?: BlockRecord;
  readonly reset?: BlockRecord;
}

export interface DirectoryDeps {
  readonly store: Store;
  readonly view: BlockView;
  readonly secret: string;
  readonly clock: Clock;
}

const norm = (s: string): string => s.trim().toLowerCase();

/** The users record with the directory's `active` (absent: active), still a UserRecord for the sense stage. */
type LearnedRecord = UserRecord & { readonly active?: boolean };

export class Directory {
  constructor(private readonly deps: DirectoryDeps) {}

  async entries(portal: string): Promise<DirectoryEntry[]> {
    const all = await this.deps.store.list<DirectoryEntry>('portal_facts', portal);
    return all.filter((r) => r.id.startsWith(DIRECTORY_ID_PREFIX)).sort((a, b) => a.login.localeCompare(b.login));
  }

  /**
   * Replaces the portal's directory. Entries no longer listed are removed, and their admin/owner flags
   * cleared from the learned record, so a demoted admin stops counting as one.
   */
  async import(portal: string, input: readonly DirectoryInput[]): Promise<{ imported: number; removed: number }> {
    const now = this.deps.clock.now();
    const before = await this.entries(portal);
    const next = new Map<string, DirectoryEntry>();
    for (const u of input) {
      const uid = userId(this.deps.secret, portal, u.login);
      next.set(uid, {
        id: `${DIRECTORY_ID_PREFIX}${uid}`,
        portal,
        login: u.login.trim(),
        ...(u.email !== undefined ? { email: u.email.trim() } : {}),
        ...(u.name !== undefined ? { name: u.name } : {}),
        ...(u.phone !== undefined ? { phone: u.phone.trim() } : {}),
        ...(u.id !== undefined ? { portalUserId: u.id } : {}),
        admin: u.admin === true || u.owner === true,
        owner: u.owner === true,
        active: u.active !== false,
        ...(u.id !== undefined ? { portalUserId: u.id } : {}),
        importedAtMs: now,
      });
    }
    let removed = 0;
    for (const old of before) {
      const uid = old.id.slice(DIRECTORY_ID_PREFIX.length);
      if (next.has(uid)) continue;
      await this.deps.store.delete('portal_facts', portal, old.id);
      await this.mergeFlags(portal, uid, old.login, { admin: false, owner: false, active: true }, now);
      removed++;
    }
    for (const [uid, entry] of next) {
      await this.deps.store.put('portal_facts', portal, entry);
      await this.mergeFlags(portal, uid, entry.login, { admin: entry.admin, owner: entry.owner, active: entry.active }, now);
    }
    return { imported: next.size, removed };
  }

  /**
   * Sets admin/owner (and `active`, an optional field the portal-facts count reads) on the learned
   * record, creating an unknown (never seen) one if needed; everything else the gateway learned is
   * kept. A record that already says the same is not rewritten.
   */
  private async mergeFlags(portal: string, uid: string, login: string, flags: { admin: boolean; owner: boolean; active: boolean }, nowMs: number): Promise<void> {
    const prior = await this.deps.store.get<LearnedRecord>('users', portal, uid);
    if (prior && prior.admin === flags.admin && prior.owner === flags.owner && (prior.active ?? true) === flags.active) return;
    if (!prior && !flags.admin && !flags.owner && flags.active) return;
    const record: LearnedRecord = {
      id: uid,
      portal,
      login: prior?.login ?? login,
      known: prior?.known ?? false,
      admin: flags.admin,
      owner: flags.owner,
      secondFactorSeen: prior?.secondFactorSeen ?? false,
      weakPasswordSeen: prior?.weakPasswordSeen ?? false,
      knownDeviceIds: prior?.knownDeviceIds ?? [],
      knownFingerprints: prior?.knownFingerprints ?? [],
      countries: prior?.countries ?? [],
      ...(prior?.lastSuccess ? { lastSuccess: prior.lastSuccess } : {}),
      ...(flags.active ? {} : { active: false }),
      updatedAtMs: nowMs,
    };
    await this.deps.store.put('users', portal, record);
  }

  /** Every person of the portal, by login. */
  async roster(portal: string): Promise<Person[]> {
    const [entries, learned] = await Promise.all([this.entries(portal), this.deps.store.list<UserRecord>('users', portal)]);
    const blocks = this.deps.view.list().filter((b) => b.portal === portal);
    const byUid = new Map<string, { entry?: DirectoryEntry; learned?: UserRecord; login?: string }>();
    const at = (uid: string): { entry?: DirectoryEntry; learned?: UserRecord; login?: string } => {
      let v = byUid.get(uid);
      if (!v) byUid.set(uid, (v = {}));
      return v;
    };
    for (const e of entries) at(e.id.slice(DIRECTORY_ID_PREFIX.length)).entry = e;
    for (const u of learned) at(u.id).learned = u;
    for (const b of blocks) if ((b.kind === 'user' || b.kind === 'reset_required') && b.login) at(b.subject).login ??= b.login;
    const people: Person[] = [];
    for (const [uid, v] of byUid) {
      const login = v.entry?.login ?? v.learned?.login ?? v.login;
      if (!login) continue;
      const block = this.deps.view.find(portal, 'user', uid);
      const reset = this.deps.view.find(portal, 'reset_required', uid);
      people.push({
        uid,
        login,
        ...(v.entry?.email !== undefined ? { email: v.entry.email } : {}),
        ...(v.entry?.name !== undefined ? { name: v.entry.name } : {}),
        admin: v.entry ? v.entry.admin : (v.learned?.admin ?? false) || (v.learned?.owner ?? false),
        owner: v.entry ? v.entry.owner : (v.learned?.owner ?? false),
        active: v.entry?.active ?? true,
        inDirectory: v.entry !== undefined,
        ...(v.learned ? { learned: v.learned } : {}),
        state: block ? 'blocked' : reset ? 'reset_required' : 'active',
        ...(block ? { block } : {}),
        ...(reset ? { reset } : {}),
      });
    }
    return people.sort((a, b) => a.login.localeCompare(b.login));
  }
}

/** The person a support message names: by login or by email, case-insensitively. */
export function findPerson(people: readonly Person[], loginOrEmail: string): Person | undefined {
  const key = norm(loginOrEmail);
  return people.find((p) => norm(p.login) === key) ?? people.find((p) => p.email !== undefined && norm(p.email) === key);
}
