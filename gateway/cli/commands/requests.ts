/**
 * `portcullis requests list|show|file|verify|approve|reject`: the seed article's support flow through
 * the admin API's /v1/unblock-requests.
 */
import type { Command } from 'commander';
import { ADMIN_ENV_HELP, adminOptions, fields, runAdmin, table, whoami, type AdminCliOptions } from './admin-client';

type Row = Record<string, unknown>;
const COLUMNS: [string, string][] = [['id', 'id'], ['portal', 'portal'], ['blocked_login', 'blocked'], ['role', 'role'], ['requested_by', 'requested by'], ['channel', 'channel'], ['state', 'state'], ['next', 'next'], ['created_at', 'filed']];
const KEYS = ['id', 'portal', 'blocked_user', 'blocked_login', 'role', 'name', 'email', 'requested_by', 'channel', 'state', 'identity_required', 'directory_match', 'next', 'lifted', 'reset_required', 'created_at', 'updated_at', 'identity', 'decision'];
const show = (r: Row): string => fields(r, KEYS);

export function registerRequests(program: Command): void {
  const requests = program
    .command('requests')
    .description('Unblock requests (the seed article\'s support flow): list, file, verify identity, approve, reject.')
    .addHelpText(
      'after',
      `
The flow: an employee's admin or an active colleague files the request (channel employee); a blocked
administrator or owner is filed by a colleague or from the mail to the vendor (channel sales_email) and
needs "verify" before "approve". "approve" lifts the user block and the portal's REST block; the user
must then set a new password. The sole user of a portal cannot be restored (register a new account).
${ADMIN_ENV_HELP}`,
    );

  adminOptions(
    requests
      .command('list')
      .description('Requests, oldest first (the queue).')
      .option('--portal <host>', 'only this portal')
      .option('--state <state>', 'only this state: open, identity_verified, approved, rejected')
      .option('--channel <channel>', 'only this channel: employee, sales_email'),
  ).action(async (opts: AdminCliOptions & { portal?: string; state?: string; channel?: string }) => {
    await runAdmin(opts, (c) => c.all<Row>('/v1/unblock-requests', { portal: opts.portal, state: opts.state, channel: opts.channel }).then((items) => ({ items })), (r) => table(r.items, COLUMNS, '(no requests)'));
  });

  adminOptions(requests.command('show').description('One request with its history.').argument('<id>', 'the request id')).action(async (id: string, opts: AdminCliOptions) => {
    await runAdmin(opts, (c) => c.call<Row>('GET', `/v1/unblock-requests/${encodeURIComponent(id)}`), (r) => `${show(r)}${table((r.history as Row[]) ?? [], [['at', 'at'], ['state', 'state'], ['actor', 'by'], ['note', 'note']], '(none)', ['note'])}`);
  });

  adminOptions(
    requests
      .command('file')
      .description("File a request: the portal's address, the blocked user's name and email, who asks, and by which channel.")
      .requiredOption('--portal <host>', 'the portal (its host name)')
      .requiredOption('--user <login-or-email>', 'the blocked user')
      .requiredOption('--name <name>', "the blocked user's name")
      .requiredOption('--email <email>', "the blocked user's email")
      .requiredOption('--by <login-or-email>', 'who asks: the admin or an active colleague (employee), or the sender of the mail (sales_email)')
      .option('--channel <channel>', 'employee or sales_email', 'employee'),
  ).action(async (opts: AdminCliOptions & { portal: string; user: string; name: string; email: string; by: string; channel: string }) => {
    await runAdmin(
      opts,
      (c) => c.call<Row>('POST', '/v1/unblock-requests', { body: { portal: opts.portal, blocked_user: opts.user, name: opts.name, email: opts.email, requested_by: opts.by, channel: opts.channel } }),
      (r) => `filed:\n${show(r)}`,
    );
  });

  adminOptions(
    requests
      .command('verify')
      .description("Record that the blocked user's identity was verified (required for an administrator or owner).")
      .argument('<id>', 'the request id')
      .requiredOption('--method <how>', 'how identity was verified, e.g. "video call"')
      .option('--by <name>', 'ignored (older scripts): the audit records the token\'s name')
      .option('--note <text>', 'anything to keep on record'),
  ).action(async (id: string, opts: AdminCliOptions & { method: string; by?: string; note?: string }) => {
    await runAdmin(opts, (c) => c.call<Row>('POST', `/v1/unblock-requests/${encodeURIComponent(id)}/verify-identity`, { body: { verified_by: opts.by ?? whoami(), method: opts.method, ...(opts.note ? { note: opts.note } : {}) } }), (r) => `identity verified:\n${show(r)}`);
  });

  adminOptions(
    requests
      .command('approve')
      .description("Approve: lifts the user block and the portal's REST block; the user must set a new password.")
      .argument('<id>', 'the request id')
      .option('--by <name>', 'ignored (older scripts): the audit records the token\'s name')
      .option('--note <text>', 'anything to keep on record'),
  ).action(async (id: string, opts: AdminCliOptions & { by?: string; note?: string }) => {
    await runAdmin(opts, (c) => c.call<Row>('POST', `/v1/unblock-requests/${encodeURIComponent(id)}/approve`, { body: { approved_by: opts.by ?? whoami(), ...(opts.note ? { note: opts.note } : {}) } }), (r) => `approved:\n${show(r)}`);
  });

  adminOptions(
    requests
      .command('reject')
      .description('Reject, with a reason. The block stays.')
      .argument('<id>', 'the request id')
      .requiredOption('--reason <text>', 'why (told to whoever asked)')
      .option('--by <name>', 'ignored (older scripts): the audit records the token\'s name'),
  ).action(async (id: string, opts: AdminCliOptions & { reason: string; by?: string }) => {
    await runAdmin(opts, (c) => c.call<Row>('POST', `/v1/unblock-requests/${encodeURIComponent(id)}/reject`, { body: { rejected_by: opts.by ?? whoami(), reason: opts.reason } }), (r) => `rejected:\n${show(r)}`);
  });
}
