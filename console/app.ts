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

/** Each page, and the admin operation it reads: a role that may not call it does not see the page. */
const PAGES: readonly { id: string; title: string; page: Page; reads: string }[] = [
  { id: 'requests', title: 'Unblock requests', page: requestsPage, reads: 'listUnblockRequests' },
  { id: 'blocks', title: 'Blocks', page: blocksPage, reads: 'listBlocks' },
  { id: 'portal', title: 'Portal', page: portalPage, reads: 'getPosture' },
  { id: 'activity', title: 'Activity', page: activityPage, reads: 'metrics' },
  { id: 'policies', title: 'Policies', page: policiesPage, reads: 'getPolicies' },
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
  const status = h('div', { 'aria-live': 'polite' }, message ? notice('info', message) : null);
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Portcullis support console'),
    h('p', {}, 'Sign in with your admin token. Its name is recorded in the audit trail with every action you take, and its role decides what you can do. The token is exchanged for a session; it is never kept by this page.'),
    field('Admin token', token),
    status,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    signIn(token.value)
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
  token.focus();
}

function visiblePages(): (typeof PAGES)[number][] {
  return PAGES.filter((p) => session?.allowed.includes(p.reads));
}

function currentPage(): (typeof PAGES)[number] | undefined {
  const id = location.hash.replace(/^#\/?/, '').split('?')[0];
  const pages = visiblePages();
  return pages.find((p) => p.id === id) ?? pages[0];
}

function showApp(): void {
  if (!session) return showSignIn();
  stop();
  clear(root);
  const here = currentPage();
  document.title = `${here?.title ?? 'Nothing to show'} · Portcullis console`;
  const nav = h(
    'nav',
    { 'aria-label': 'Console pages' },
    h('ul', {}, ...visiblePages().map((p) => h('li', {}, h('a', { href: `#/${p.id}`, ...(p === here ? { 'aria-current': 'page' } : {}) }, p.title)))),
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
    h('span', { class: 'who' }, `Signed in as ${session.operator} (${session.role})`),
    out,
  );
  const main = h('main', { id: 'main', tabindex: -1 });
  root.append(header, main);
  const allowed = new Set(session.allowed);
  const ctx: PageContext = { operator: session.operator, may: (op) => allowed.has(op), root: main, go: (hash) => (location.hash = hash) };
  if (!here) {
    main.appendChild(notice('info', `The role ${session.role} of this token can read none of the console's pages.`));
    return;
  }
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
