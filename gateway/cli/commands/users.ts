/** `portcullis users show PORTAL [LOGIN]`: a portal's users, or one user, from the admin API. */
import type { Command } from 'commander';
import { ADMIN_ENV_HELP, adminOptions, fields, runAdmin, table, type AdminCliOptions } from './admin-client';

type Row = Record<string, unknown>;
const COLUMNS: [string, string][] = [['login', 'login'], ['name', 'name'], ['role', 'role'], ['state', 'state'], ['active_employee', 'employee'], ['second_factor_seen', '2fa seen'], ['weak_password_seen', 'weak pw'], ['known_devices', 'devices'], ['last', 'last success']];
const role = (u: Row): string => (u.owner ? 'owner' : u.admin ? 'admin' : 'employee');
const row = (u: Row): Row => ({ ...u, role: role(u), active_employee: u.active_employee ? 'active' : 'inactive', last: (u.last_success as { at?: string } | null)?.at ?? '-' });
const yesNo = (v: unknown): string => (v === true ? 'yes' : 'no');

/** One user as lines a person reads: flags as yes/no, the last success and the block as sentences, never JSON. */
function detail(u: Row): Row {
  const last = u.last_success as { at?: string; country?: string | null } | null;
  const b = u.block as { id?: string; kind?: string; actor?: string; reason?: string; created_at?: string; ends_at?: string | null } | undefined;
  return {
    ...row(u),
    in_directory: yesNo(u.in_directory),
    seen_logging_in: yesNo(u.seen_logging_in),
    second_factor_seen: yesNo(u.second_factor_seen),
    weak_password_seen: yesNo(u.weak_password_seen),
    last_success: last ? `${last.at}${last.country ? ` from ${last.country}` : ''}` : 'never seen',
    ...(b ? { block: `${b.kind === 'reset_required' ? 'must set a new password' : 'blocked'} since ${b.created_at}${b.ends_at ? ` until ${b.ends_at}` : ''}, by ${b.actor}: ${b.reason}` } : {}),
    ...(b?.id ? { block_id: b.id } : {}),
  };
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description("A portal's users as the gateway knows them: state (active, blocked, reset_required), devices, second factor.").addHelpText('after', ADMIN_ENV_HELP);
  adminOptions(
    users
      .command('show')
      .description('Every user of PORTAL, or the one LOGIN (login or email).')
      .argument('<portal>', 'the portal (its host name)')
      .argument('[login]', 'one user')
      .option('--state <state>', 'only this state: active, blocked, reset_required'),
  ).action(async (portal: string, login: string | undefined, opts: AdminCliOptions & { state?: string }) => {
    if (login !== undefined) {
      await runAdmin(opts, (c) => c.call<Row>('GET', `/v1/users/${encodeURIComponent(portal)}/${encodeURIComponent(login)}`), (u) => fields(detail(u), ['portal', 'login', 'name', 'email', 'role', 'state', 'active_employee', 'in_directory', 'seen_logging_in', 'known_devices', 'last_success', 'second_factor_seen', 'weak_password_seen', 'block', 'block_id']));
      return;
    }
    await runAdmin(opts, (c) => c.all<Row>('/v1/users', { portal, state: opts.state }).then((items) => ({ items })), (r) => table(r.items.map(row), COLUMNS, `(no users known for ${portal}: import its directory, PUT /v1/portals/${portal}/directory)`));
  });
}
