/**
 * `portcullis directory import --portal P --file users.json`: a directory written by hand (a JSON list of
 * { login, email, name, admin, owner, active, phone, id }), imported through the admin API; `-` reads
 * standard input, so it runs inside the gateway's own image, which has no curl.
 *
 * `portcullis directory sync --portal P --webhook URL`: reads the portal's users from its own REST with
 * an administrator's incoming webhook (lockout/directory-sync/), then imports them through the admin
 * API (`PUT /v1/portals/{portal}/directory`), exactly as a hand-written import would be. A failed read
 * imports nothing. The webhook URL holds a secret code: prefer --webhook-env or --webhook-file to
 * --webhook (a command line is visible to other users of the machine); it is never printed.
 */
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { PortcullisError } from '../../lib/errors';
import { readDirectory } from '../../lockout/directory-sync/sync';
import { EXIT_RUNTIME } from '../fail';
import { ADMIN_ENV_HELP, adminOptions, CliFailure, runAdmin, usage, type AdminCliOptions } from './admin-client';

export const WEBHOOK_ENV = 'PORTCULLIS_DIRECTORY_WEBHOOK';

interface SyncOptions extends AdminCliOptions {
  portal: string;
  webhook?: string;
  webhookEnv?: string;
  webhookFile?: string;
  adminIds?: number[];
  ownerIds?: number[];
  dryRun?: boolean;
}

const idList = (value: string): number[] => {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (ids.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError('expected a comma-separated list of portal user IDs, e.g. 1,7');
  return ids;
};

function webhookUrl(opts: SyncOptions): string {
  const given = [opts.webhook !== undefined, opts.webhookEnv !== undefined, opts.webhookFile !== undefined].filter(Boolean).length;
  if (given > 1) throw usage('give one of --webhook, --webhook-env, --webhook-file');
  if (opts.webhook !== undefined) return opts.webhook;
  if (opts.webhookFile !== undefined) {
    try {
      return fs.readFileSync(opts.webhookFile, 'utf8').trim();
    } catch (err) {
      throw usage(`--webhook-file: cannot read ${opts.webhookFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const name = opts.webhookEnv ?? WEBHOOK_ENV;
  const v = process.env[name]?.trim();
  if (!v) throw usage(`no webhook: pass --webhook URL, --webhook-file FILE, or set ${name} (an administrator's incoming webhook, https://<portal>/rest/<user id>/<code>/)`);
  return v;
}

export function registerDirectory(program: Command): void {
  const directory = program
    .command('directory')
    .description("A portal's directory (who is an administrator, the owner, an active employee; e-mails and phones), read from the portal itself.")
    .addHelpText('after', ADMIN_ENV_HELP);
  adminOptions(
    directory
      .command('import')
      .description("Import PORTAL's directory from a JSON file (a list of { login, email, name, admin, owner, active, phone, id }); replaces the previous one (PUT /v1/portals/{portal}/directory).")
      .requiredOption('--portal <host>', 'the portal, as the gateway names it (its host name)')
      .requiredOption('--file <file>', 'the JSON file, or - for standard input'),
  ).action(async (opts: AdminCliOptions & { portal: string; file: string }) => {
    await runAdmin(
      opts,
      async (client) => {
        let entries: unknown;
        try {
          entries = JSON.parse(fs.readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8'));
        } catch (err) {
          throw usage(`--file ${opts.file}: ${err instanceof SyntaxError ? `not JSON (${err.message})` : `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`}`);
        }
        return client.call<{ imported: number; removed: number }>('PUT', `/v1/portals/${encodeURIComponent(opts.portal)}/directory`, { body: entries });
      },
      (r) => `imported ${r.imported} user(s) into ${opts.portal}, removed ${r.removed}\n`,
    );
  });
  adminOptions(
    directory
      .command('sync')
      .description("Read PORTAL's users from its REST (user.admin, then user.get 50 a page) with an administrator's webhook and import them (PUT /v1/portals/{portal}/directory). Never reads a password.")
      .requiredOption('--portal <host>', 'the portal, as the gateway names it (its host name)')
      .option('--webhook <url>', `the webhook's URL (default: $${WEBHOOK_ENV}); it holds a secret, prefer --webhook-env or --webhook-file`)
      .option('--webhook-env <name>', 'an environment variable that holds the webhook URL')
      .option('--webhook-file <file>', 'a file that holds the webhook URL')
      .option('--admin-ids <ids>', "portal user IDs of the other administrators, e.g. 1,7 (the portal's REST lists none; the webhook's own user is one)", idList)
      .option('--owner-ids <ids>', 'portal user IDs of the account owner', idList)
      .option('--dry-run', 'read and show what would be imported; import nothing'),
  ).action(async (opts: SyncOptions) => {
    // A dry run never calls the admin API, so it needs no token.
    const token = opts.token ?? process.env.PORTCULLIS_ADMIN_TOKEN ?? (opts.dryRun ? 'not-used-by-a-dry-run' : undefined);
    await runAdmin(
      { ...opts, ...(token !== undefined ? { token } : {}) },
      async (client) => {
        let report;
        try {
          report = await readDirectory(webhookUrl(opts), { adminIds: opts.adminIds ?? [], ownerIds: opts.ownerIds ?? [] });
        } catch (err) {
          if (err instanceof PortcullisError) throw new CliFailure(`${err.message}; nothing was imported, the previous directory of ${opts.portal} stays`, err.code, EXIT_RUNTIME);
          throw err;
        }
        const summary = {
          portal: opts.portal,
          read: report.total,
          pages: report.pages,
          admins: report.entries.filter((e) => e.admin).length,
          owners: report.entries.filter((e) => e.owner).length,
          inactive: report.entries.filter((e) => e.active === false).length,
          with_phone: report.entries.filter((e) => e.phone !== undefined).length,
          skipped: { no_login: report.skipped.noLogin, not_employee: report.skipped.notEmployee, duplicate: report.skipped.duplicate },
        };
        if (opts.dryRun) return { ...summary, dry_run: true, entries: report.entries };
        const put = await client.call<{ imported: number; removed: number }>('PUT', `/v1/portals/${encodeURIComponent(opts.portal)}/directory`, { body: report.entries });
        return { ...summary, imported: put.imported, removed: put.removed };
      },
      (r) => {
        const skipped = Object.entries(r.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replace('_', ' ')}`);
        const head = 'dry_run' in r ? `would import ${r.entries.length} user(s) into ${r.portal} (dry run: nothing imported)` : `imported ${r.imported} user(s) into ${r.portal}, removed ${r.removed}`;
        return `${head}\n  read ${r.read} from the portal in ${r.pages} page(s): ${r.admins} admin(s), ${r.owners} owner(s), ${r.inactive} inactive, ${r.with_phone} with a phone${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}\n`;
      },
    );
  });
}
