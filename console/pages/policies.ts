/** The loaded policy set: version, files, policies and rules, the last reload with its load errors (file:line:col), and a reload button. */
import { call, ApiFailure } from '../api';
import { clear, confirmDialog, h, notice, table, when, type Child } from '../dom';
import { errorNotice, pageHeader, type Page } from './page';

interface LoadError {
  code: string;
  file?: string;
  line?: number;
  col?: number;
  problem?: string;
  message: string;
}
interface Reload {
  ok: boolean;
  trigger: string;
  at: string;
  duration_ms: number;
  version: string;
  errors: LoadError[];
}
interface PolicySet {
  version: string;
  files: string[];
  policies: { name: string; file: string; on: string[]; mode: string; rules: { id: string; phase: string; score: number; shadow: boolean }[]; actions: { at: number; do: string }[] }[];
  last_reload: Reload;
}

function errorsList(errors: LoadError[]): HTMLElement {
  return h('ul', { class: 'load-errors' }, ...errors.map((e) => h('li', {}, h('code', {}, `${e.file ?? '?'}:${e.line ?? '?'}:${e.col ?? '?'}`), ' ', e.problem ?? e.message, ' ', h('small', {}, e.code))));
}

export const policiesPage: Page = (ctx) => {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const body = h('div', {}, h('p', {}, 'Loading…'));

  async function load(): Promise<void> {
    try {
      const set = await call<PolicySet>('GET', '/v1/policies');
      clear(body);
      const r = set.last_reload;
      body.append(
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'set-title' },
          h('h2', { id: 'set-title' }, 'Loaded set'),
          h('dl', { class: 'facts' }, h('dt', {}, 'Version'), h('dd', {}, h('code', {}, set.version)), h('dt', {}, 'Files'), h('dd', {}, set.files.join(', ') || '—'), h('dt', {}, 'Last reload'), h('dd', {}, `${when(r.at)} (${r.trigger}, ${r.ok ? 'ok' : 'failed: the last good set kept serving'}, ${r.duration_ms} ms)`)),
          r.errors.length ? h('div', {}, h('h3', {}, 'Load errors'), errorsList(r.errors)) : h('p', {}, 'No load errors.'),
        ),
        h(
          'section',
          { 'aria-labelledby': 'pol-title' },
          h('h2', { id: 'pol-title' }, 'Policies and rules'),
          set.policies.length === 0
            ? h('p', { class: 'empty' }, 'No policies are loaded: the gateway enforces nothing. Put policy files in the policy folder and reload.')
            : table(
                ['Policy', 'File', 'On', 'Mode', 'Rules (score)', 'Actions (at score)'],
                set.policies.map((p): Child[] => [
                  h('strong', {}, p.name),
                  p.file,
                  p.on.join(', '),
                  p.mode,
                  h('span', {}, ...p.rules.map((rule) => h('small', { class: 'block' }, `${rule.id} (${rule.score})${rule.shadow ? ' shadow' : ''}`))),
                  h('span', {}, ...p.actions.map((a) => h('small', { class: 'block' }, `${a.at}: ${a.do}`))),
                ]),
              ),
        ),
      );
    } catch (err) {
      clear(body);
      body.appendChild(errorNotice(err, 'Loading policies'));
    }
  }

  const reload = h('button', { type: 'button', class: 'primary', id: 'reload-policies' }, 'Reload policies');
  reload.addEventListener('click', () => {
    void (async () => {
      const ok = await confirmDialog({ title: 'Reload the policy folder?', body: ['A broken set is refused and the last good set keeps serving.'], confirm: 'Reload' });
      if (!ok) return;
      clear(status);
      try {
        const r = await call<Reload>('POST', '/v1/policies/reload');
        status.appendChild(notice('ok', `Reloaded: version ${r.version} (${r.duration_ms} ms).`));
      } catch (err) {
        if (err instanceof ApiFailure && Array.isArray(err.info.problems)) status.appendChild(notice('error', h('strong', {}, 'Reload refused: '), err.info.message, errorsList(err.info.problems as LoadError[])));
        else status.appendChild(errorNotice(err, 'Reload'));
      }
      await load();
    })();
  });
  clear(ctx.root);
  ctx.root.append(pageHeader('Policies', 'The policy set the gateway enforces now.'), status, ...(ctx.may('reloadPolicies') ? [h('div', { class: 'toolbar' }, reload)] : []), body);
  void load();
};
