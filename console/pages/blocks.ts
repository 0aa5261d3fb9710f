/** Active blocks by portal, user, REST and address, with why (rules, score, time), a lift button, and an operator's manual block form. */
import { call } from '../api';
import { ago, clear, confirmDialog, field, formValues, h, input, notice, select, table, when, type Child } from '../dom';
import { errorNotice, pageHeader, state, type Page } from './page';

interface Block {
  id: string;
  portal: string;
  kind: string;
  user?: string;
  subject?: string;
  actor?: string;
  reason?: string;
  rules?: string[];
  score?: number;
  created_at?: string;
  ends_at?: string | null;
  offences?: number;
}

const KIND_NAMES: Record<string, string> = {
  user: 'User',
  portal_rest: 'Portal REST',
  ip: 'IP address',
  ip_prefix: 'IP prefix',
  webhook: 'Webhook',
  app: 'App',
  method: 'REST method',
  reset_required: 'Reset required',
  limit: 'Rate limit',
};

export const blocksPage: Page = (ctx) => {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const list = h('section', { 'aria-labelledby': 'blocks-title' }, h('p', {}, 'Loading…'));
  const portalFilter = input('portal-filter', { id: 'portal-filter', placeholder: 'all portals', value: state.portal });
  let alive = true;

  const say = (el: HTMLElement): void => {
    clear(status);
    status.appendChild(el);
  };

  async function lift(b: Block): Promise<void> {
    const what = b.kind === 'user' ? `the block of ${b.user} on ${b.portal}` : `the ${KIND_NAMES[b.kind] ?? b.kind} block ${b.subject ?? ''} on ${b.portal}`;
    const ok = await confirmDialog({
      title: `Lift ${what}?`,
      body: [b.kind === 'user' ? 'The user block and the portal\u2019s REST block end together, and the user must set a new password (reset required). Prefer an unblock request when someone asked for it.' : 'The block ends at once on every replica.'],
      confirm: 'Lift block',
      danger: true,
    });
    if (!ok) return;
    try {
      await call('DELETE', `/v1/blocks/${encodeURIComponent(b.id)}?operator=${encodeURIComponent(ctx.operator)}`);
      say(notice('ok', `Lifted ${what}.`));
    } catch (err) {
      say(errorNotice(err, 'Lifting the block'));
    }
    await load();
  }

  function row(b: Block): Child[] {
    const who = b.kind === 'user' || b.kind === 'reset_required' ? b.user ?? '—' : b.kind === 'portal_rest' ? 'all REST calls' : b.subject ?? '—';
    const why: Child[] = [b.reason ?? ''];
    if (b.rules?.length) why.push(h('small', { class: 'block' }, `Rules: ${b.rules.join(', ')}`));
    if (typeof b.score === 'number') why.push(h('small', { class: 'block' }, `Score: ${b.score}`));
    if (b.actor) why.push(h('small', { class: 'block' }, `By: ${b.actor}`));
    return [
      b.portal,
      h('span', { class: `kind kind-${b.kind}` }, KIND_NAMES[b.kind] ?? b.kind),
      h('strong', {}, who),
      h('span', {}, ...why),
      h('span', {}, when(b.created_at), h('br', {}), h('small', {}, ago(b.created_at))),
      b.ends_at ? when(b.ends_at) : 'until lifted',
      !ctx.may('liftBlock') ? h('small', {}, '—') : h('button', { type: 'button', class: 'danger small', 'data-action': 'lift', 'data-block': b.id, 'aria-label': `Lift ${KIND_NAMES[b.kind] ?? b.kind} block ${who} on ${b.portal}`, onclick: () => void lift(b) }, 'Lift'),
    ];
  }

  async function load(): Promise<void> {
    try {
      const p = portalFilter.value.trim();
      const page = await call<{ items: Block[] }>('GET', `/v1/blocks?limit=500${p ? `&portal=${encodeURIComponent(p)}` : ''}`);
      if (!alive) return;
      clear(list);
      list.appendChild(h('h2', { id: 'blocks-title' }, p ? `Active blocks on ${p}` : 'Active blocks'));
      if (page.items.length === 0) {
        list.appendChild(h('div', { class: 'empty' }, h('p', {}, h('strong', {}, 'No active blocks.')), h('p', {}, 'Blocks appear here when a policy blocks a user, a portal\u2019s REST or an address, or when an operator blocks one with the form below. Watch attacks on the ', h('a', { href: '#/activity' }, 'Activity'), ' page.')));
        return;
      }
      const order = ['user', 'portal_rest', 'ip', 'ip_prefix', 'reset_required'];
      const sorted = [...page.items].sort((a, b) => a.portal.localeCompare(b.portal) || (order.indexOf(a.kind) + 1 || 99) - (order.indexOf(b.kind) + 1 || 99));
      list.appendChild(table(['Portal', 'Kind', 'Who or what', 'Why', 'Since', 'Ends', 'Action'], sorted.map(row)));
    } catch (err) {
      clear(list);
      list.appendChild(errorNotice(err, 'Loading blocks'));
    }
  }

  const kind = select('kind', [
    ['user', 'A user (login)'],
    ['portal_rest', 'The portal\u2019s REST API'],
    ['ip', 'An IP address'],
    ['ip_prefix', 'An IP prefix (CIDR)'],
  ]);
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'manual-title', id: 'manual-block' },
    h('h2', { id: 'manual-title' }, 'Manual block'),
    h('p', { class: 'hint' }, 'An operator\u2019s block goes through the same lockout as a policy verdict: enforced at once, audited, notified.'),
    h(
      'div',
      { class: 'grid' },
      field('Portal', input('portal', { required: true, value: state.portal })),
      field('What to block', kind),
      field('User login (for a user)', input('user')),
      field('Address or prefix (for IP)', input('ip', { placeholder: '203.0.113.7 or 203.0.113.0/24' })),
      field('Reason', input('reason', { required: true })),
      field('Duration (optional)', input('duration', { placeholder: '30m, 2h, 7d; empty: until lifted', pattern: '[0-9]+[smhd]' })),
    ),
    h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'with_portal_rest' }), ' Also block the portal\u2019s REST (users only)'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, 'Block')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    void (async () => {
      const target = v.kind === 'user' ? v.user : v.kind === 'portal_rest' ? 'REST' : v.ip;
      const ok = await confirmDialog({ title: `Block ${target} on ${v.portal}?`, body: [`Reason: ${v.reason}. ${v.duration ? `For ${v.duration}.` : 'Until lifted.'}`], confirm: 'Block', danger: true });
      if (!ok) return;
      const body: Record<string, unknown> = { portal: v.portal, kind: v.kind, reason: v.reason, operator: ctx.operator };
      if (v.kind === 'user') body.user = v.user;
      if (v.kind === 'ip' || v.kind === 'ip_prefix') body.ip = v.ip;
      if (v.kind === 'user' && v.with_portal_rest) body.with_portal_rest = true;
      if (v.duration) body.duration = v.duration;
      try {
        await call('POST', '/v1/blocks', body);
        state.portal = v.portal ?? '';
        if (portalFilter.value.trim() && portalFilter.value.trim() !== state.portal) portalFilter.value = state.portal;
        say(notice('ok', `Blocked ${target} on ${v.portal}.`));
        form.reset();
      } catch (err) {
        say(errorNotice(err, 'Blocking'));
      }
      await load();
    })();
  });

  portalFilter.addEventListener('change', () => {
    state.portal = portalFilter.value.trim();
    void load();
  });
  clear(ctx.root);
  ctx.root.append(
    pageHeader('Blocks', 'What is blocked now and why. Lifting a user block restores REST too and asks the user for a new password.'),
    status,
    h('div', { class: 'toolbar' }, field('Portal filter', portalFilter), h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    list,
    ...(ctx.may('createBlock') ? [form] : []),
  );
  void load();
  const timer = setInterval(() => void load(), 10000);
  return () => {
    alive = false;
    clearInterval(timer);
  };
};
