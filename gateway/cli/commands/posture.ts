/** `portcullis posture PORTAL`: the prevention report (second factor, weak passwords, recent blocks). */
import type { Command } from 'commander';
import { ADMIN_ENV_HELP, adminOptions, runAdmin, type AdminCliOptions } from './admin-client';
import type { Posture, PostureGroup } from '../../lockout/posture';

/** The API's answer is the gateway's own Posture value (lockout/posture.ts), as JSON. */
type Group = PostureGroup;

function render(p: Posture): string {
  const g = (label: string, x: Group): string => `  ${label.padEnd(34)} ${String(x.count).padStart(4)}${x.users.length > 0 ? `  ${x.users.join(', ')}` : ''}`;
  const lines = [
    `Posture of ${p.portal}: ${p.users} user(s), ${p.observed} seen logging in`,
    '',
    g('no second factor observed', p.no_second_factor),
    g('admins/owners without second factor', p.admins_without_second_factor),
    g('weak or common password seen', p.weak_or_common_password_seen),
    g('never seen logging in', p.not_observed),
    g('blocked now', p.currently.blocked),
    g('must set a new password', p.currently.reset_required),
    '',
    `  blocks in the last 30 days: ${p.blocks_last_30_days.total}${Object.keys(p.blocks_last_30_days.by_type).length > 0 ? ` (${Object.entries(p.blocks_last_30_days.by_type).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
  ];
  if (p.advice.length > 0) lines.push('', 'Advice:', ...p.advice.map((a) => `  - ${a}`));
  return `${lines.join('\n')}\n`;
}

export function registerPosture(program: Command): void {
  adminOptions(
    program
      .command('posture')
      .description("The seed article's prevention advice as a report: users with no second factor observed, weak or common passwords seen (never the passwords), blocks in the last 30 days.")
      .argument('<portal>', 'the portal (its host name)')
      .addHelpText('after', ADMIN_ENV_HELP),
  ).action(async (portal: string, opts: AdminCliOptions) => {
    await runAdmin(opts, (c) => c.call<Posture>('GET', `/v1/portals/${encodeURIComponent(portal)}/posture`), render);
  });
}
