/**
 * The support queue (the seed article's flow): open unblock requests oldest first; verify identity
 * (administrators and owners), approve, reject with a reason — each after a confirmation; and a form
 * for support to file a request taken by phone or email. The API applies the article's rules and
 * this page shows its answers, including the sole-user refusal and its advice.
 */
import { call } from '../api';
import { ago, clear, confirmDialog, field, formValues, h, input, notice, select, table, when, type Child } from '../dom';
import { errorNotice, pageHeader, state, type Page } from './page';

interface UnblockRequest {
  id: string;
  portal: string;
  blocked_user: string;
  blocked_login: string;
  role: 'employee' | 'admin' | 'owner';
  name: string;
  email: string;
  requested_by: string;
  channel: 'employee' | 'sales_email';
  state: 'open' | 'identity_verified' | 'approved' | 'rejected';
  identity_required: boolean;
  directory_match?: { name?: boolean; email?: boolean };
  created_at: string;
  identity?: { by?: string; method?: string };
  decision?: { by?: string; reason?: string; note?: string };
  next?: string[];
}

const CHANNELS = [
  ['employee', 'Employee: an admin or active colleague asked'],
  ['sales_email', 'Sales e-mail: the blocked admin or owner wrote'],
] as const;

export const requestsPage: Page = (ctx) => {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const list = h('section', { 'aria-labelledby': 'queue-title' }, h('h2', { id: 'queue-title' }, 'Queue'), h('p', {}, 'Loading…'));
  const showDecided = h('input', { type: 'checkbox', id: 'show-decided' });
  let alive = true;

  function say(el: HTMLElement): void {
    clear(status);
    status.appendChild(el);
  }

  async function act(r: UnblockRequest, action: string): Promise<void> {
    const who = `${r.blocked_login} on ${r.portal}`;
    let values: Record<string, string> | null;
    let body: Record<string, string>;
    if (action === 'verify-identity') {
      values = await confirmDialog({
        title: `Verify the identity of ${who}`,
        body: [`${r.role === 'owner' ? 'The account owner' : 'An administrator'} is blocked. The article asks support to verify identity before restoring access. Record how you did it.`],
        fields: [{ name: 'method', label: 'How identity was verified', required: true, placeholder: 'e.g. video call with ID document, callback to the number on file' }],
        confirm: 'Record verification',
      });
      body = { verified_by: ctx.operator, method: values?.method ?? '' };
    } else if (action === 'approve') {
      values = await confirmDialog({
        title: `Approve and unblock ${who}?`,
        body: ['This lifts the user block and the portal\u2019s REST block. The user must then set a new password: the old one keeps failing (reset required).'],
        fields: [{ name: 'note', label: 'Note for the record (optional)' }],
        confirm: 'Approve and unblock',
      });
      body = { approved_by: ctx.operator, ...(values?.note ? { note: values.note } : {}) };
    } else {
      values = await confirmDialog({
        title: `Reject the request for ${who}?`,
        body: ['The block stays. The reason is told to whoever asked.'],
        fields: [{ name: 'reason', label: 'Reason', required: true, multiline: true }],
        confirm: 'Reject request',
        danger: true,
      });
      body = { rejected_by: ctx.operator, reason: values?.reason ?? '' };
    }
    if (!values) return;
    try {
      const res = await call<UnblockRequest & { lifted?: string[] }>('POST', `/v1/unblock-requests/${encodeURIComponent(r.id)}/${action}`, body);
      const done = action === 'approve' ? `Approved: ${who} is unblocked${res.lifted ? ` (lifted: ${res.lifted.join(', ')})` : ''}; the user must set a new password.` : action === 'reject' ? `Rejected the request for ${who}.` : `Identity of ${who} verified; the request can now be approved.`;
      say(notice('ok', done));
    } catch (err) {
      say(errorNotice(err, action === 'verify-identity' ? 'Verify identity' : action === 'approve' ? 'Approve' : 'Reject'));
    }
    await load();
  }

  function row(r: UnblockRequest): Child[] {
    const match = r.directory_match;
    const mismatch = match && (match.name === false || match.email === false) ? h('div', { class: 'warn' }, `Does not match the directory: ${[match.name === false ? 'name' : '', match.email === false ? 'email' : ''].filter(Boolean).join(', ')}`) : null;
    const op: Record<string, string> = { 'verify-identity': 'verifyIdentity', approve: 'approveUnblockRequest', reject: 'rejectUnblockRequest' };
    const actions = (r.next ?? []).filter((a) => ctx.may(op[a] ?? a)).map((a) =>
      h(
        'button',
        { type: 'button', class: a === 'reject' ? 'danger small' : 'primary small', 'data-action': a, 'data-request': r.id, onclick: () => void act(r, a) },
        a === 'verify-identity' ? 'Verify identity' : a === 'approve' ? 'Approve' : 'Reject',
      ),
    );
    const stateText = r.state === 'open' && r.identity_required ? 'open — identity check needed' : r.state.replace('_', ' ');
    return [
      h('span', { title: when(r.created_at) }, when(r.created_at), h('br', {}), h('small', {}, ago(r.created_at))),
      r.portal,
      h('span', {}, h('strong', {}, r.blocked_login), ` (${r.role})`, h('br', {}), h('small', {}, `${r.name} <${r.email}>`), mismatch),
      r.requested_by,
      r.channel === 'sales_email' ? 'sales e-mail' : 'employee',
      h('span', { class: `state state-${r.state}` }, stateText, r.decision?.reason ? h('small', { class: 'block' }, `Reason: ${r.decision.reason}`) : null, r.identity?.method ? h('small', { class: 'block' }, `Verified: ${r.identity.method}`) : null),
      actions.length ? h('div', { class: 'row-actions' }, ...actions) : h('small', {}, (r.next ?? []).length ? 'not for your role' : 'decided'),
    ];
  }

  async function load(): Promise<void> {
    try {
      const page = await call<{ items: UnblockRequest[] }>('GET', '/v1/unblock-requests?limit=200');
      if (!alive) return;
      const items = page.items.filter((r) => showDecided.checked || r.state === 'open' || r.state === 'identity_verified');
      clear(list);
      list.appendChild(h('h2', { id: 'queue-title' }, showDecided.checked ? 'All requests, oldest first' : 'Open requests, oldest first'));
      if (items.length === 0) {
        list.appendChild(
          h(
            'div',
            { class: 'empty' },
            h('p', {}, h('strong', {}, 'No open unblock requests.')),
            h('p', {}, 'When a portal\u2019s administrator or an active colleague of a blocked user contacts support (phone, chat, e-mail), file the request with the form below. A blocked administrator or owner who cannot reach support writes to the sales address: file it with the sales e-mail channel.'),
            h('p', {}, 'Blocked users are on the ', h('a', { href: '#/blocks' }, 'Blocks'), ' page.'),
          ),
        );
      } else list.appendChild(table(['Filed', 'Portal', 'Blocked user', 'Requested by', 'Channel', 'State', 'Actions'], items.map(row)));
    } catch (err) {
      clear(list);
      list.append(h('h2', { id: 'queue-title' }, 'Queue'), errorNotice(err, 'Loading the queue'));
    }
  }

  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'file-title', id: 'file-request' },
    h('h2', { id: 'file-title' }, 'File a request (taken by phone or e-mail)'),
    h('p', { class: 'hint' }, 'The article asks for the portal address, the blocked user\u2019s name and e-mail, and who asks. Employees cannot ask for themselves.'),
    h(
      'div',
      { class: 'grid' },
      field('Portal', input('portal', { required: true, placeholder: 'acme.bitrix24.local', value: state.portal })),
      field('Blocked user (login or e-mail)', input('blocked_user', { required: true })),
      field('Blocked user\u2019s name', input('name', { required: true })),
      field('Blocked user\u2019s e-mail', input('email', { required: true, type: 'email' })),
      field('Requested by (login or e-mail)', input('requested_by', { required: true }), 'The admin or active colleague; for sales e-mail, the sender address.'),
      field('Channel', select('channel', CHANNELS)),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'File request')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    void (async () => {
      const ok = await confirmDialog({ title: 'File this unblock request?', body: [`${v.blocked_user} on ${v.portal}, asked by ${v.requested_by} (${v.channel === 'sales_email' ? 'sales e-mail' : 'employee'}).`], confirm: 'File request' });
      if (!ok) return;
      try {
        state.portal = v.portal ?? '';
        const r = await call<UnblockRequest>('POST', '/v1/unblock-requests', { portal: v.portal, blocked_user: v.blocked_user, name: v.name, email: v.email, requested_by: v.requested_by, channel: v.channel });
        say(notice('ok', `Filed: ${r.blocked_login} on ${r.portal} (${r.role})${r.identity_required ? ' — verify identity before approving' : ''}.`));
        form.reset();
      } catch (err) {
        say(errorNotice(err, 'Filing the request'));
      }
      await load();
    })();
  });

  showDecided.addEventListener('change', () => void load());
  clear(ctx.root);
  ctx.root.append(
    pageHeader('Unblock requests', 'Restore access the way the support article describes: check who asks, verify the identity of administrators and owners, then approve or reject.'),
    status,
    h('div', { class: 'toolbar' }, h('label', { for: 'show-decided', class: 'inline' }, showDecided, ' Show decided requests'), h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    list,
    ...(ctx.may('fileUnblockRequest') ? [form] : []),
  );
  void load();
  const timer = setInterval(() => void load(), 15000);
  return () => {
    alive = false;
    clearInterval(timer);
  };
};
