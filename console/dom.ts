/** Small DOM helpers: elements built with text nodes only (never innerHTML), dialogs and notices. */
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let ids = 0;
export const uid = (prefix: string): string => `${prefix}-${++ids}`;

/** A labelled input (label element bound by id). */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = input.id || uid('f');
  input.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

export function input(name: string, attrs: Attrs = {}): HTMLInputElement {
  return h('input', { name, type: 'text', autocomplete: 'off', ...attrs });
}

export function select(name: string, options: readonly (readonly [string, string])[], attrs: Attrs = {}): HTMLSelectElement {
  return h('select', { name, ...attrs }, ...options.map(([value, text]) => h('option', { value }, text)));
}

/** A status region: role=alert for errors (read out at once), role=status for the rest. */
export function notice(kind: 'error' | 'ok' | 'info', ...children: Child[]): HTMLElement {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function when(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function ago(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export interface ConfirmOptions {
  readonly title: string;
  readonly body: Child[];
  readonly confirm: string;
  readonly danger?: boolean;
  /** Inputs shown in the dialog; their values are returned (required ones must be filled). */
  readonly fields?: readonly { name: string; label: string; required?: boolean; placeholder?: string; multiline?: boolean }[];
}

/**
 * A modal confirmation (<dialog>: focus moves into it, Escape cancels, focus returns to the button).
 * Resolves to the fields' values, or null when cancelled.
 */
export function confirmDialog(opts: ConfirmOptions): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const back = document.activeElement as HTMLElement | null;
    const titleId = uid('dlg');
    const inputs = (opts.fields ?? []).map((f) => {
      const el = f.multiline ? h('textarea', { name: f.name, rows: 3, required: f.required === true, placeholder: f.placeholder }) : input(f.name, { required: f.required === true, placeholder: f.placeholder });
      return { f, el };
    });
    const form = h(
      'form',
      { method: 'dialog', class: 'dialog-form' },
      h('h2', { id: titleId }, opts.title),
      ...opts.body.map((b) => (typeof b === 'string' ? h('p', {}, b) : b)),
      ...inputs.map(({ f, el }) => field(f.label, el)),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'data-action': 'cancel' }, 'Cancel'),
        h('button', { type: 'submit', class: opts.danger ? 'danger' : 'primary', 'data-action': 'confirm' }, opts.confirm),
      ),
    );
    const dlg = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' }, form);
    let result: Record<string, string> | null = null;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      for (const { el } of inputs) if (!el.reportValidity()) return;
      result = Object.fromEntries(inputs.map(({ f, el }) => [f.name, el.value.trim()]));
      dlg.close();
    });
    form.querySelector('[data-action=cancel]')!.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      dlg.remove();
      back?.focus();
      resolve(result);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    (inputs[0]?.el ?? (form.querySelector('[data-action=confirm]') as HTMLElement)).focus();
  });
}

export function table(head: readonly string[], rows: readonly Child[][], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const el of Array.from(form.elements)) {
    const e = el as HTMLInputElement;
    if (!e.name) continue;
    out[e.name] = e.type === 'checkbox' ? (e.checked ? 'true' : '') : e.value.trim();
  }
  return out;
}
