/**
 * The portal's users (user.get rows) as directory entries. Pure: no I/O, so the CLI and serve's
 * periodic sync map the same way, and a test can feed it any row.
 *
 * Which fields, and why:
 * - login: LOGIN where the portal gives one (a self-hosted portal), else EMAIL (the cloud's user.get
 *   has no LOGIN, and its users sign in with their e-mail). A row with neither is skipped.
 * - active: ACTIVE (false: a dismissed employee). Rows of another USER_TYPE than `employee`
 *   (extranet guests) are skipped: they are not the company's employees, so they vouch for nobody.
 * - phone: the first non-empty of PERSONAL_MOBILE, WORK_PHONE, PERSONAL_PHONE (a recovery by phone
 *   names a number, not a login; which of them the portal's SMS recovery uses is not documented).
 * - admin: the webhook's own user when user.admin said so, and `adminIds`; owner: `ownerIds`. The
 *   portal's REST documents no method that lists administrators or names the owner.
 * Passwords are never asked for (user.get has none to give) and never read.
 */
import type { DirectoryInput } from '../directory';

/** One row of user.get, as far as the directory reads it; every field may be missing. */
export type PortalUserRow = Readonly<Record<string, unknown>>;

export interface DirectoryMapping {
  /** The portal user ID the webhook acts as (from its URL), and whether user.admin said it is an admin. */
  readonly webhookUserId: number;
  readonly webhookUserIsAdmin: boolean;
  readonly adminIds: readonly number[];
  readonly ownerIds: readonly number[];
}

export interface MappedDirectory {
  readonly entries: DirectoryInput[];
  /** Rows left out, by reason (no login or e-mail, not an employee, a login listed twice). */
  readonly skipped: { readonly noLogin: number; readonly notEmployee: number; readonly duplicate: number };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/** ACTIVE is a JSON boolean in the docs' answers; older portals answer "Y"/"N". Absent: active. */
function isActive(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'boolean') return v;
  return ['y', '1', 'true'].includes(String(v).trim().toLowerCase());
}

export function toDirectory(rows: readonly PortalUserRow[], m: DirectoryMapping): MappedDirectory {
  const admins = new Set(m.adminIds);
  const owners = new Set(m.ownerIds);
  if (m.webhookUserIsAdmin) admins.add(m.webhookUserId);
  const seen = new Set<string>();
  const entries: DirectoryInput[] = [];
  const skipped = { noLogin: 0, notEmployee: 0, duplicate: 0 };
  for (const row of rows) {
    const type = text(row['USER_TYPE']);
    if (type !== undefined && type !== 'employee') {
      skipped.notEmployee++;
      continue;
    }
    const email = text(row['EMAIL']);
    const login = text(row['LOGIN']) ?? email;
    if (login === undefined) {
      skipped.noLogin++;
      continue;
    }
    const key = login.toLowerCase();
    if (seen.has(key)) {
      skipped.duplicate++;
      continue;
    }
    seen.add(key);
    const id = Number(text(row['ID']));
    const hasId = Number.isInteger(id) && id > 0;
    const name = [text(row['NAME']), text(row['LAST_NAME'])].filter((s) => s !== undefined).join(' ');
    const phone = text(row['PERSONAL_MOBILE']) ?? text(row['WORK_PHONE']) ?? text(row['PERSONAL_PHONE']);
    const owner = hasId && owners.has(id);
    entries.push({
      login,
      ...(email !== undefined ? { email } : {}),
      ...(name !== '' ? { name } : {}),
      ...(phone !== undefined ? { phone } : {}),
      ...(hasId ? { id } : {}),
      admin: owner || (hasId && admins.has(id)),
      owner,
      active: isActive(row['ACTIVE']),
    });
  }
  return { entries, skipped };
}
