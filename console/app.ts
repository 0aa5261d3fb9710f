/**
 * Portcullis support console: sign-in, navigation and the pages (requests, blocks, portal, activity,
 * policies). Plain DOM, bundled by scripts/build-console.js; every number comes from the admin API.
 */
import { currentSession, signIn, signOut, whenSignedOut, type Session } from './api';
import { clear, field, h, input, notice } from './dom';
import { activityPage } from './pages/activity';
import { blocksPage } from './pages/blocks';
import { portalPage } from './pages/portal';
import { policiesPage } from './pages/policies';
import { requestsPage } from './pages/requests';
import type { Page, PageContext } from './pages/page';

const PAGES: readonly { id: string; title: string; page: Page }[] = [
  { id: 'requests', title: 'Unblock requests', page: requestsPage },
  { id: 'blocks', title: 'Blocks', page: blocksPage },
  { id: 'portal', title: 'Portal', page: portalPage },
  { id: 'activity', title: 'Activity', page: activityPage },
  { id: 'policies', title: 'Policies', page: policiesPage },
];

const root = document.getElementById('app')!;
let session: Session | null = null;
let stopPage: (() => void) | null = null;

function stop(): void {
  stopPage?.();
  stopPage = null;
}

function showSignIn(message?: string): void {
  stop();
  session = null;
  clear(root);
  document.title = 'Sign in · Portcullis console';
  const token = input('token', { type: 'password', required: true, autocomplete: 'off' });
  const operator = input('operator', { required: true, autocomplete: 'username', pattern: '[^\\s:][^:]*', maxlength: 100 });
  const status = h('div', { 'aria-live': 'polite' }, message ? notice('info', message) : null);
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Portcullis support console'),
    h('p', {}, 'Sign in with the admin token (PORTCULLIS_ADMIN_TOKEN). The token is exchanged for a session; it is never kept by this page.'),
    field('Your name', operator, 'Recorded in the audit trail with every action you take (no colon).'),
    field('Admin token', token),
    status,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    signIn(token.value, operator.value.trim())
      .then((s) => {
        token.value = '';
        session = s;
        showApp();
      })
      .catch((err: { message?: string }) => {
        clear(status);
        status.appendChild(notice('error', err.message ?? 'sign-in failed'));
        token.focus();
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  root.appendChild(h('main', { id: 'main', class: 'signin-page' }, form));
  operator.focus();
}

function currentPage(): (typeof PAGES)[number] {
  const id = location.hash.replace(/^#\/?/, '').split('?')[0];
  return PAGES.find((p) => p.id === id) ?? PAGES[0]!;
}

function showApp(): void {
  if (!session) return showSignIn();
  stop();
  clear(root);
  const here = currentPage();
  document.title = `${here.title} · Portcullis console`;
  const nav = h(
    'nav',
    { 'aria-label': 'Console pages' },
    h('ul', {}, ...PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.id}`, ...(p === here ? { 'aria-current': 'page' } : {}) }, p.title)))),
  );
  const out = h('button', { type: 'button', class: 'secondary', id: 'sign-out' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut()
      .catch(() => undefined)
      .finally(() => showSignIn('You are signed out.'));
  });
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('span', { class: 'brand' }, 'Portcullis'),
    nav,
    h('span', { class: 'who' }, `Signed in as ${session.operator}`),
    out,
  );
  const main = h('main', { id: 'main', tabindex: -1 });
  root.append(header, main);
  const ctx: PageContext = { operator: session.operator, root: main, go: (hash) => (location.hash = hash) };
  const maybeStop = here.page(ctx);
  stopPage = typeof maybeStop === 'function' ? maybeStop : null;
}

whenSignedOut((why) => showSignIn(why));
window.addEventListener('hashchange', () => {
  if (session) {
    showApp();
    document.getElementById('main')?.focus();
  }
});

currentSession()
  .then((s) => {
    session = s;
    if (s) showApp();
    else showSignIn();
  })
  .catch(() => showSignIn());
