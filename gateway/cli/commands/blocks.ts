/** `portcullis blocks list|add|lift`: a client of the admin API's /v1/blocks. */
import type { Command } from 'commander';
import { ADMIN_ENV_HELP, adminOptions, fields, runAdmin, table, usage, whoami, type AdminCliOptions } from './admin-client';

type Row = Record<string, unknown>;
/** Free text, shortened in tables; ids and names are never cut. */
const CUT = ['reason'];
const COLUMNS: [string, string][] = [['id', 'id'], ['portal', 'portal'], ['kind', 'kind'], ['who', 'user/subject'], ['actor', 'by'], ['reason', 'reason'], ['created_at', 'since'], ['ends', 'until']];
const rows = (items: Row[]): Row[] => items.map((b) => ({ ...b, who: b.user ?? b.subject ?? '', ends: b.ends_at ?? 'lifted' }));

export function registerBlocks(program: Command): void {
  const blocks = program.command('blocks').description('List, add and lift blocks through the admin API (user, portal REST, IP or prefix).').addHelpText('after', ADMIN_ENV_HELP);

  adminOptions(
    blocks
      .command('list')
      .description('Live blocks, newest first (reset_required records too: the users who must set a new password).')
      .option('--portal <host>', 'only this portal')
      .option('--user <login>', 'only blocks of this login')
      .option('--kind <kind>', 'only this kind: user, portal_rest, ip, ip_prefix, webhook, app, method, reset_required, limit'),
  ).action(async (opts: AdminCliOptions & { portal?: string; user?: string; kind?: string }) => {
    await runAdmin(opts, (c) => c.all<Row>('/v1/blocks', { portal: opts.portal, user: opts.user, kind: opts.kind }).then((items) => ({ items })), (r) => table(rows(r.items), COLUMNS, '(no live blocks)', CUT));
  });

  adminOptions(
    blocks
      .command('add')
      .description("An operator's manual block: a user (--user), the portal's REST (--rest), an address (--ip) or a prefix (--prefix).")
      .requiredOption('--portal <host>', 'the portal (its host name)')
      .option('--user <login>', 'block this login')
      .option('--with-rest', "with --user: block the portal's REST too, as the seed article's lockout does")
      .option('--rest', "block every REST call of the portal")
      .option('--ip <address>', 'block logins and REST from this address')
      .option('--prefix <cidr>', 'block a prefix, e.g. 203.0.113.0/24 (the length the gateway groups by)')
      .requiredOption('--reason <text>', 'why (shown in lists, the audit trail and notifications)')
      .option('--duration <d>', 'how long, e.g. 30m, 2h, 7d (default: until lifted)')
      .option('--operator <name>', 'ignored (older scripts): the audit records the token\'s name'),
  ).action(async (opts: AdminCliOptions & { portal: string; user?: string; withRest?: boolean; rest?: boolean; ip?: string; prefix?: string; reason: string; duration?: string; operator?: string }) => {
    const targets = [opts.user !== undefined, !!opts.rest, opts.ip !== undefined, opts.prefix !== undefined].filter(Boolean).length;
    await runAdmin(
      opts,
      async (c) => {
        if (targets !== 1) throw usage('say what to block: exactly one of --user, --rest, --ip, --prefix');
        if (opts.withRest && opts.user === undefined) throw usage('--with-rest goes with --user');
        const kind = opts.user !== undefined ? 'user' : opts.rest ? 'portal_rest' : opts.ip !== undefined ? 'ip' : 'ip_prefix';
        return c.call<{ items: Row[] }>('POST', '/v1/blocks', {
          body: {
            portal: opts.portal,
            kind,
            ...(opts.user !== undefined ? { user: opts.user } : {}),
            ...(opts.ip !== undefined || opts.prefix !== undefined ? { ip: opts.ip ?? opts.prefix } : {}),
            ...(opts.withRest ? { with_portal_rest: true } : {}),
            reason: opts.reason,
            ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
            operator: opts.operator ?? whoami(),
          },
        });
      },
      (r) => `blocked:\n${table(rows(r.items), COLUMNS, '(none)', CUT)}`,
    );
  });

  adminOptions(
    blocks
      .command('lift')
      .description("Lift a block by id (from `blocks list`). A user block is lifted with the portal's REST block, and the user must set a new password (reset_required).")
      .argument('<id>', 'the block id')
      .option('--operator <name>', 'ignored (older scripts): the audit records the token\'s name'),
  ).action(async (id: string, opts: AdminCliOptions & { operator?: string }) => {
    await runAdmin(
      opts,
      (c) => c.call<{ lifted: Row[]; reset_required?: Row }>('DELETE', `/v1/blocks/${encodeURIComponent(id)}`, { query: { operator: opts.operator ?? whoami() } }),
      (r) => `lifted:\n${table(rows(r.lifted), COLUMNS, '(none)', CUT)}${r.reset_required ? `\n${r.reset_required.user ?? 'the user'} must now set a new password (reset_required):\n${fields(r.reset_required, ['id', 'user', 'reason'])}` : ''}`,
    );
  });
}
