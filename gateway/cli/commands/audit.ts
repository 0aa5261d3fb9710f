/** `portcullis audit tail`: the newest audit events, and with --follow the ones that come after. */
import type { Command } from 'commander';
import { ADMIN_ENV_HELP, AdminClient, adminOptions, runAdmin, table, usage, type AdminCliOptions } from './admin-client';

type Row = Record<string, unknown>;
const COLUMNS: [string, string][] = [['at', 'at'], ['portal', 'portal'], ['type', 'type'], ['actor', 'actor'], ['user', 'user'], ['what', 'details']];
const CUT = ['what'];
const rows = (items: Row[]): Row[] => items.map((e) => ({ ...e, what: e.details ? JSON.stringify(e.details) : '' }));

interface TailOptions extends AdminCliOptions {
  portal?: string;
  type?: string;
  user?: string;
  lines: string;
  follow?: boolean;
  intervalMs: string;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('The audit trail: blocks, lifts, unblock requests, resets.').addHelpText('after', ADMIN_ENV_HELP);
  adminOptions(
    audit
      .command('tail')
      .description('The last events, oldest of them first (like tail); --follow keeps printing new ones.')
      .option('--portal <host>', 'only this portal')
      .option('--type <type>', 'only this type (user_blocked, rest_blocked, block_lifted, reset_required, reset_done, unblock_request_filed, …)')
      .option('--user <login>', 'only events about this login')
      .option('-n, --lines <n>', 'how many events', '20')
      .option('-f, --follow', 'keep polling for new events (Ctrl-C stops)')
      .option('--interval-ms <ms>', 'with --follow: how often to poll', '2000'),
  ).action(async (opts: TailOptions) => {
    const n = Number(opts.lines);
    const filters = { portal: opts.portal, type: opts.type, user: opts.user };
    await runAdmin(
      opts,
      async (c) => {
        if (!Number.isInteger(n) || n < 1 || n > 500) throw usage(`--lines must be an integer from 1 to 500, got ${JSON.stringify(opts.lines)}`);
        const page = await c.call<{ items: Row[] }>('GET', '/v1/audit', { query: { ...filters, limit: n } });
        const items = page.items.reverse();
        if (opts.follow) {
          process.stdout.write(opts.json ? items.map((e) => `${JSON.stringify(e)}\n`).join('') : table(rows(items), COLUMNS, '(no events yet)', CUT));
          await follow(c, filters, items, opts);
        }
        return { items };
      },
      (r) => (opts.follow ? '' : table(rows(r.items), COLUMNS, '(no events)', CUT)),
    );
  });
}

/**
 * Polls for events after the last one shown. `since` is inclusive (events of the same millisecond may
 * come after), so the events already shown at that millisecond, the first batch's included, are
 * remembered and never printed twice.
 */
async function follow(c: AdminClient, filters: Record<string, string | undefined>, shown: readonly Row[], opts: TailOptions): Promise<never> {
  let since = shown[shown.length - 1]?.at as string | undefined;
  let seenAtSince = new Set(shown.filter((e) => e.at === since).map((e) => JSON.stringify(e)));
  for (;;) {
    await new Promise((r) => setTimeout(r, Number(opts.intervalMs) || 2000));
    const page = await c.call<{ items: Row[] }>('GET', '/v1/audit', { query: { ...filters, limit: 500, ...(since ? { since } : {}) } });
    const fresh = page.items.reverse().filter((e) => !seenAtSince.has(JSON.stringify(e)));
    if (fresh.length === 0) continue;
    for (const e of fresh) process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${e.at}  ${e.portal}  ${e.type}  ${e.actor}  ${e.user ?? '-'}  ${e.details ? JSON.stringify(e.details) : ''}\n`);
    since = fresh[fresh.length - 1]!.at as string;
    seenAtSince = new Set(page.items.filter((e) => e.at === since).map((e) => JSON.stringify(e)));
  }
}
