/** One portal: its users with state, devices and second factor; the posture report; recent audit events. */
import { call } from '../api';
import { ago, clear, field, h, input, table, when, type Child } from '../dom';
import { errorNotice, pageHeader, state, type Page } from './page';

interface User {
  login: string;
  name?: string;
  email?: string;
  admin?: boolean;
  owner?: boolean;
  active_employee?: boolean;
  in_directory?: boolean;
  state: 'active' | 'blocked' | 'reset_required';
  known_devices?: number;
  last_success?: { at: string; country?: string } | null;
  second_factor_seen?: boolean;
  weak_password_seen?: boolean;
}
interface Group {
  count: number;
  users: string[];
}
interface Posture {
  users: number;
  observed: number;
  not_observed: Group;
  no_second_factor: Group;
  admins_without_second_factor: Group;
  weak_or_common_password_seen: Group;
  currently: { blocked: Group; reset_required: Group };
  blocks_last_30_days: { total: number; by_type: Record<string, number>; users: string[] };
  advice: string[];
}
interface AuditEvent {
  at: string;
  type: string;
  actor?: string;
  user?: string;
  details?: Record<string, unknown>;
}

const STATE_TEXT: Record<string, string> = { active: 'active', blocked: 'blocked', reset_required: 'reset required' };

export const portalPage: Page = (ctx) => {
  const portal = input('portal', { id: 'portal-name', required: true, placeholder: 'acme.bitrix24.local', value: state.portal, list: 'known-portals' });
  const known = h('datalist', { id: 'known-portals' });
  const body = h('div', {});
  let alive = true;

  function groupLine(label: string, g: Group | undefined): HTMLElement {
    return h('li', {}, h('strong', {}, `${label}: ${g?.count ?? 0}`), g && g.users.length ? ` — ${g.users.join(', ')}` : '');
  }

  async function load(): Promise<void> {
    const p = portal.value.trim().toLowerCase();
    clear(body);
    if (!p) {
      body.appendChild(h('div', { class: 'empty' }, h('p', {}, h('strong', {}, 'Choose a portal.')), h('p', {}, 'Type the portal\u2019s host name as the gateway sees it (for example acme.bitrix24.local) to see its users, its security posture and its recent audit trail.')));
      return;
    }
    state.portal = p;
    body.appendChild(h('p', {}, 'Loading…'));
    const enc = encodeURIComponent(p);
    const [users, posture, audit] = await Promise.allSettled([
      call<{ items: User[] }>('GET', `/v1/users?portal=${enc}&limit=500`),
      call<Posture>('GET', `/v1/portals/${enc}/posture`),
      call<{ items: AuditEvent[] }>('GET', `/v1/audit?portal=${enc}&limit=25`),
    ]);
    if (!alive) return;
    clear(body);

    const usersSec = h('section', { 'aria-labelledby': 'users-title' }, h('h2', { id: 'users-title' }, `Users of ${p}`));
    if (users.status === 'rejected') usersSec.appendChild(errorNotice(users.reason, 'Loading users'));
    else if (users.value.items.length === 0) usersSec.appendChild(h('div', { class: 'empty' }, h('p', {}, 'No users known yet: import the portal\u2019s directory (PUT /v1/portals/{portal}/directory, or the CLI) or wait for logins through the gateway.')));
    else
      usersSec.appendChild(
        table(
          ['Login', 'Name', 'Role', 'State', 'Known devices', 'Second factor', 'Last success'],
          users.value.items.map((u): Child[] => [
            h('strong', {}, u.login),
            u.name ?? '',
            u.owner ? 'owner' : u.admin ? 'admin' : u.active_employee === false ? 'inactive' : 'employee',
            h('span', { class: `state state-${u.state}` }, STATE_TEXT[u.state] ?? u.state),
            String(u.known_devices ?? 0),
            u.second_factor_seen ? 'seen' : h('span', { class: 'warn' }, 'not seen'),
            u.last_success ? h('span', {}, when(u.last_success.at), u.last_success.country ? ` (${u.last_success.country})` : '') : '—',
          ]),
        ),
      );

    const postureSec = h('section', { 'aria-labelledby': 'posture-title' }, h('h2', { id: 'posture-title' }, 'Posture'));
    if (posture.status === 'rejected') postureSec.appendChild(errorNotice(posture.reason, 'Loading the posture report'));
    else {
      const r = posture.value;
      postureSec.append(
        h('p', {}, `${r.users} users; ${r.observed} seen logging in successfully (the observations below are about them).`),
        h(
          'ul',
          { class: 'facts' },
          groupLine('No second factor observed', r.no_second_factor),
          groupLine('Administrators without a second factor', r.admins_without_second_factor),
          groupLine('Weak or common password seen', r.weak_or_common_password_seen),
          groupLine('Blocked now', r.currently.blocked),
          groupLine('Must set a new password', r.currently.reset_required),
          h('li', {}, h('strong', {}, `Blocks in the last 30 days: ${r.blocks_last_30_days.total}`), r.blocks_last_30_days.users.length ? ` — ${r.blocks_last_30_days.users.join(', ')}` : ''),
        ),
      );
      if (r.advice.length) postureSec.appendChild(h('div', { class: 'advice-box' }, h('h3', {}, 'Advice'), h('ul', {}, ...r.advice.map((a) => h('li', {}, a)))));
    }

    const auditSec = h('section', { 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Recent audit events'));
    if (audit.status === 'rejected') auditSec.appendChild(errorNotice(audit.reason, 'Loading the audit trail'));
    else if (audit.value.items.length === 0) auditSec.appendChild(h('p', {}, 'No audit events for this portal yet.'));
    else
      auditSec.appendChild(
        table(
          ['When', 'Event', 'User', 'Actor', 'Details'],
          audit.value.items.map((e): Child[] => [h('span', { title: when(e.at) }, ago(e.at)), e.type.replace(/_/g, ' '), e.user ?? '', e.actor ?? '', h('small', { class: 'details' }, summarize(e.details))]),
        ),
      );
    body.append(usersSec, postureSec, auditSec);
  }

  // Portals the operator can pick: those with a block or a request now.
  void Promise.allSettled([call<{ items: { portal: string }[] }>('GET', '/v1/blocks?limit=500'), call<{ items: { portal: string }[] }>('GET', '/v1/unblock-requests?limit=200')]).then((rs) => {
    const names = new Set<string>();
    for (const r of rs) if (r.status === 'fulfilled') for (const i of r.value.items) names.add(i.portal);
    for (const n of [...names].sort()) known.appendChild(h('option', { value: n }));
  });

  const form = h('form', { class: 'toolbar', 'aria-label': 'Choose a portal' }, field('Portal', portal), known, h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  clear(ctx.root);
  ctx.root.append(pageHeader('Portal', 'Who the portal\u2019s users are, how well they are protected, and what happened recently.'), form, body);
  void load();
  return () => {
    alive = false;
  };
};

function summarize(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  return Object.entries(d)
    .filter(([k, v]) => v !== null && v !== undefined && typeof v !== 'object' && k !== 'request' && k !== 'subject')
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('; ');
}
